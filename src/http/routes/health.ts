// Probes: /healthz (the process answers) and /readyz (Redis answers and will not evict our keys).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkEvictionPolicy } from '../../lib/redis.js';
import { isTransportError, redisUnavailable } from '../../producers/transport-errors.js';
import type { RouteDeps } from '../app.js';
import { HttpCode, HttpProblem } from '../problem.js';
import { problems, publicRoute } from './common.js';

export const healthRoutes =
  (d: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      {
        config: { rateLimit: false },
        schema: {
          ...publicRoute('health', 'the process is up'),
          response: { 200: z.strictObject({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        config: { rateLimit: false },
        schema: {
          ...publicRoute('health', 'Redis is reachable and its maxmemory-policy is noeviction'),
          response: {
            200: z.strictObject({ status: z.literal('ready'), maxmemory_policy: z.literal('noeviction') }),
            503: problems,
          },
        },
      },
      async () => {
        let other: string | null;
        try {
          await d.redis.ping();
          other = await checkEvictionPolicy(d.redis);
        } catch (err) {
          if (isTransportError(err)) throw redisUnavailable('the API server', err);
          throw new HttpProblem(
            503,
            HttpCode.NotReady,
            `cannot read maxmemory-policy: ${(err as Error).message}`,
            {
              'retry-after': '5',
            },
          );
        }
        if (other !== null)
          throw new HttpProblem(
            503,
            HttpCode.NotReady,
            `Redis maxmemory-policy is ${other}: set noeviction, or queue and worker keys may be evicted`,
            { 'retry-after': '5' },
          );
        return { status: 'ready' as const, maxmemory_policy: 'noeviction' as const };
      },
    );
  };
