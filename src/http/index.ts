// `resume-processor/http`: the HTTP API for embedding in an application's own process. `createHttpApp`
// builds the same fastify app as `resume-processor serve` from a Redis connection and the HTTP
// settings, and closes what it connected with the app; `buildHttpApp` takes every dependency
// ready-made. `app.listen()` serves it on a port of its own; `app.inject()` answers a request
// without one (tests).

import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../lib/logger.js';
import { QueueSet } from '../lib/queues/queues.js';
import { type ConnectionSpec, closeConnection, connect, isClient, type RedisClient } from '../lib/redis.js';
import { keySpace } from '../lib/store/keys.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { createProducer } from '../producers/producer.js';
import { buildHttpApp } from './app.js';
import type { HttpConfig } from './config.js';

export type { ApiKey, Scope } from './api-keys.js';
export type { HttpDeps } from './app.js';
export { buildHttpApp, redactPath } from './app.js';
export type { HttpConfig } from './config.js';
export { loadHttpConfig } from './config.js';

export interface HttpAppOptions {
  /**
   * A redis:// URL or `{ cluster: ['host:port', …] }` (the app connects and disconnects on close),
   * or an ioredis client (the caller owns it).
   */
  connection: ConnectionSpec;
  /** RESUME_PREFIX and RESUME_PARTITIONS of the deployment (defaults rp and 1). */
  prefix?: string;
  partitions?: number;
  /** API keys, resume-link and webhook secrets, limits: `loadHttpConfig(process.env)` reads them. */
  config: HttpConfig;
  logger?: Logger;
  /** Every route open (no API keys): for local trials only. */
  insecureNoAuth?: boolean;
  /** RECONCILE_INTERVAL_MS of the consumers (overdue timeouts in /metrics and listings; default 2000). */
  overdueGraceMs?: number;
}

export interface HttpApp {
  /** The fastify app, ready (buildHttpApp readies it): `listen()` or `inject()` it. */
  app: FastifyInstance;
  /** Closes the app, then what createHttpApp connected (the producer, queues and its Redis). */
  close(): Promise<void>;
}

/** The HTTP API on `connection`, not yet listening. */
export async function createHttpApp(opts: HttpAppOptions): Promise<HttpApp> {
  const prefix = opts.prefix ?? 'rp';
  const partitions = opts.partitions ?? 1;
  const logger = opts.logger ?? createLogger('info');
  const owned = !isClient(opts.connection);
  const redis: RedisClient = isClient(opts.connection)
    ? opts.connection
    : connect(opts.connection, 'producer');
  const producer = createProducer({
    connection: redis,
    prefix,
    partitions,
    logger,
    overdueGraceMs: opts.overdueGraceMs,
  });
  const keys = keySpace(prefix, partitions);
  const queues = new QueueSet(redis, keys);
  const release = async () => {
    await producer.disconnect().catch(() => undefined);
    await queues.close().catch(() => undefined);
    if (owned) await closeConnection(redis).catch(() => undefined);
  };
  let app: FastifyInstance;
  try {
    app = await buildHttpApp({
      producer,
      store: new WorkerStore({ redis, keys }),
      queues,
      redis,
      config: opts.config,
      logger,
      insecureNoAuth: opts.insecureNoAuth,
      overdueGraceMs: opts.overdueGraceMs,
    });
  } catch (err) {
    await release();
    throw err;
  }
  return {
    app,
    async close() {
      await app.close();
      await release();
    },
  };
}
