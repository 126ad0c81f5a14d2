// The HTTP API as a fastify instance: JSON only, problem+json errors, API keys checked before a body
// is read, a rate limit per key, the OpenAPI document built from the routes' zod schemas. Everything
// it talks to is passed in; `serve` (src/http/main.ts) builds those from the environment.

import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../lib/logger.js';
import type { QueueSet } from '../lib/queues/queues.js';
import type { RedisClient } from '../lib/redis.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { Producer } from '../producers/types.js';
import { allows, bearerKey, findKey, type Scope } from './api-keys.js';
import type { HttpConfig } from './config.js';
import { dashboardRoutes } from './dashboard/index.js';
import { transform, transformObject } from './openapi.js';
import { HttpCode, HttpProblem, problem, toProblem } from './problem.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { resumeRoutes } from './routes/resumes.js';
import { waitRoutes } from './routes/waits.js';
import { workerRoutes } from './routes/workers.js';

export interface HttpDeps {
  producer: Producer;
  /** The deployment's store and queues (events, resume tokens), on the producer's connection. */
  store: WorkerStore;
  queues: QueueSet;
  /** For /readyz. */
  redis: RedisClient;
  config: HttpConfig;
  logger: Logger;
  /** No API keys: every route is open (the server then listens on 127.0.0.1 only). */
  insecureNoAuth?: boolean;
  clock?: () => number;
  /** /metrics: a timeout due for longer than this is overdue (RECONCILE_INTERVAL_MS; default 2000). */
  overdueGraceMs?: number;
}

/** What a route needs of the server: its dependencies and the clock. */
export type RouteDeps = HttpDeps & { clock: () => number };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API key scope the route needs; absent: a public route. */
    scope?: Scope;
  }
  interface FastifyInstance {
    /** The API's routes (method and URL as registered), for the docs check and diagnostics. */
    apiRoutes: { method: string; url: string }[];
  }
  interface FastifyRequest {
    /** The name of the API key the request came with. */
    apiKeyName?: string;
  }
}

/** A resume token is a credential: request logs show its route, never the token. */
export function redactPath(url: string): string {
  return url.replace(/^(\/v1\/resume\/)[^?#]*/, '$1[redacted]');
}

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const d: RouteDeps = { ...deps, clock: deps.clock ?? Date.now };
  const logger = deps.logger.child(
    { component: 'http' },
    {
      serializers: {
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: redactPath(req.url),
          remoteAddress: req.ip,
        }),
      },
    },
  );
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    // Resume tokens travel in the path and are longer than fastify's default of 100.
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
  });
  const routes: { method: string; url: string }[] = [];
  app.decorate('apiRoutes', routes);
  app.addHook('onRoute', (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!hidden) for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document; answers are plain JSON, so a field the library adds to a summary
  // later reaches clients instead of being stripped (or failing the request).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // JSON only: without the text/plain parser every other type is refused with 415.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, request, reply) => {
    const answer = toProblem(err);
    if (answer.bug) request.log.error({ err }, 'request failed with an unexpected error');
    else if (answer.problem.status >= 500)
      request.log.warn({ code: answer.problem.code }, answer.problem.detail);
    return reply
      .code(answer.problem.status)
      .headers(answer.headers)
      .type('application/problem+json')
      .send(JSON.stringify(answer.problem));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send(
        JSON.stringify(
          problem(
            404,
            HttpCode.NotFound,
            `no route ${request.method} ${redactPath(request.url.split('?')[0] ?? '')}`,
          ),
        ),
      ),
  );

  // A graceful stop: requests in flight are answered with `Connection: close`, so their keep-alive
  // connections end with them instead of holding the stop until they time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // Before the body is read: a request without a valid key costs no parsing.
  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config.scope;
    if (needed === undefined) return;
    if (deps.insecureNoAuth) {
      request.apiKeyName = 'insecure';
      return;
    }
    const presented = bearerKey(request.headers.authorization);
    const key = presented === null ? null : findKey(deps.config.apiKeys, presented);
    if (!key)
      throw new HttpProblem(
        401,
        HttpCode.Unauthorized,
        presented === null ? 'send an API key: Authorization: Bearer <key>' : 'the API key is not valid',
        { 'www-authenticate': 'Bearer' },
      );
    if (!allows(key.scope, needed))
      throw new HttpProblem(
        403,
        HttpCode.Forbidden,
        `API key "${key.name}" has scope ${key.scope}; this route needs ${needed}`,
      );
    request.apiKeyName = key.name;
  });

  await app.register(fastifyRateLimit, {
    global: true,
    max: deps.config.rateLimit.max,
    timeWindow: deps.config.rateLimit.windowMs,
    keyGenerator: (request) => (request.apiKeyName ? `key:${request.apiKeyName}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(
        429,
        HttpCode.RateLimited,
        `more than ${context.max} requests in ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'resume-processor',
        description:
          'Durable suspend/resume of agent workers. Errors are application/problem+json with a stable `code`.',
        version: '1',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    },
    transform,
    transformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes(d));
  await app.register(workerRoutes(d));
  await app.register(resumeRoutes(d));
  await app.register(deliveryRoutes(d));
  await app.register(waitRoutes(d));
  await app.register(dashboardRoutes(d));
  await app.register(metricsRoutes(d));
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );
  await app.ready();
  return app;
}
