// GET /metrics: the fleet's Prometheus metrics (src/observability/metrics-fleet.ts) for a key of
// read scope, as Prometheus sends it (`authorization: {credentials: <key>}` in the scrape config).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FleetMetrics } from '../../observability/metrics-fleet.js';
import { isTransportError, redisUnavailable } from '../../producers/transport-errors.js';
import type { RouteDeps } from '../app.js';
import { problems, protectedRoute } from './common.js';

export const metricsRoutes =
  (d: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const fleet = new FleetMetrics({
      store: d.store,
      queues: d.queues,
      overdueGraceMs: d.overdueGraceMs ?? 2000,
      clock: d.clock,
    });
    app.get(
      '/metrics',
      {
        config: { scope: 'read' },
        schema: {
          ...protectedRoute(
            'operations',
            "the fleet's Prometheus metrics: gauges read from the indexes and queues now, the consumers' counters and histograms as flushed to Redis, this process's metrics",
          ),
          response: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: z.string() } },
            },
            '4xx': problems,
            503: problems,
          },
        },
      },
      async (_request, reply) => {
        let text: string;
        try {
          text = await fleet.render();
        } catch (err) {
          if (isTransportError(err)) throw redisUnavailable('the API server', err);
          throw err;
        }
        return reply.type(fleet.contentType).send(text);
      },
    );
  };
