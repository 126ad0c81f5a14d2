// Composition root of the HTTP server (`resume-processor serve`): reads the environment, connects to
// Redis, builds the app and listens; SIGTERM/SIGINT stop it gracefully (no new connections, requests
// in flight finish, connections close, exit 0).

import type { FastifyInstance } from 'fastify';
import { type Env, loadEnv, redisConnection } from '../lib/config.js';
import { RpCode, ValidationError } from '../lib/errors.js';
import { stopOnSignals } from '../lib/graceful-stop.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { QueueSet } from '../lib/queues/queues.js';
import { closeConnection, connect, type RedisClient, reportConnectionErrors } from '../lib/redis.js';
import { keySpace } from '../lib/store/keys.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { startTracingIfSet } from '../observability/tracing-start.js';
import { createProducer } from '../producers/producer.js';
import type { Producer } from '../producers/types.js';
import { buildHttpApp } from './app.js';
import { type HttpConfig, loadHttpConfig } from './config.js';

export interface ServeOptions {
  host: string;
  port: number;
  insecureNoAuth: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  url: string;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Refuses a server that would be open to anyone: no keys without --insecure-no-auth, loopback only. */
export function checkServeOptions(opts: ServeOptions, config: HttpConfig): void {
  const refuse = (path: string, message: string) => {
    throw new ValidationError(RpCode.InvalidConfig, `cannot serve: ${message}`, [{ path, message }]);
  };
  if (opts.insecureNoAuth && config.apiKeys.length > 0)
    refuse('--insecure-no-auth', 'API_KEYS is set: drop --insecure-no-auth, or unset API_KEYS');
  if (!opts.insecureNoAuth && config.apiKeys.length === 0)
    refuse(
      'API_KEYS',
      'no API keys: set API_KEYS="name:key:read|write,..." (or, for a local trial, --insecure-no-auth)',
    );
  if (opts.insecureNoAuth && !LOOPBACK.has(opts.host))
    refuse('--host', `--insecure-no-auth listens on 127.0.0.1 only, not ${opts.host}`);
}

/** Builds and starts a server on the deployment `env` names (the CLI's and tests' entry point). */
export async function startServer(
  opts: ServeOptions,
  env: Env,
  config: HttpConfig,
  logger: Logger,
): Promise<RunningServer> {
  checkServeOptions(opts, config);
  const redis: RedisClient = connect(redisConnection(env), 'producer');
  const connectionLog = logger.child({ component: 'serve' });
  reportConnectionErrors(redis, (level, message, err) => connectionLog[level]({ err }, message));
  const keys = keySpace(env.RESUME_PREFIX, env.RESUME_PARTITIONS);
  const producer: Producer = createProducer({
    connection: redis,
    prefix: env.RESUME_PREFIX,
    partitions: env.RESUME_PARTITIONS,
    idempotencyTtlMs: env.IDEMPOTENCY_TTL_MS,
    durability: env.RESUME_DURABILITY,
    overdueGraceMs: env.RECONCILE_INTERVAL_MS,
    stateDir: env.HARN_WORKER_STATE_DIR,
    logger,
  });
  const store = new WorkerStore({ redis, keys });
  const queues = new QueueSet(redis, keys);
  const release = async () => {
    await producer.disconnect().catch(() => undefined);
    await queues.close().catch(() => undefined);
    await closeConnection(redis).catch(() => undefined);
  };
  let app: FastifyInstance;
  try {
    app = await buildHttpApp({
      producer,
      store,
      queues,
      redis,
      config,
      logger,
      insecureNoAuth: opts.insecureNoAuth,
      overdueGraceMs: env.RECONCILE_INTERVAL_MS,
    });
    await app.listen({ host: opts.insecureNoAuth ? '127.0.0.1' : opts.host, port: opts.port });
  } catch (err) {
    await release();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.insecureNoAuth ? '127.0.0.1' : opts.host;
  return {
    app,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async stop() {
      await app.close();
      await release();
    },
  };
}

/** `serve`: the environment, the server, and the signals that stop it. */
export async function runServeProcess(opts: ServeOptions, env: Env = loadEnv()): Promise<RunningServer> {
  const config = loadHttpConfig();
  const logger = createLogger(env.LOG_LEVEL);
  // Traces go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set: registered before the producer is made.
  const tracing = await startTracingIfSet({
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: env.OTEL_SERVICE_NAME,
    process: 'serve',
  });
  const server = await startServer(opts, env, config, logger);
  // The process's own lines (start, signals, stop) under a component of their own.
  const processLog = logger.child({ component: 'process' });
  processLog.info({ url: server.url, insecureNoAuth: opts.insecureNoAuth }, 'HTTP API listening');
  stopOnSignals(processLog, 'requests in flight', async () => {
    await server.stop();
    await tracing?.shutdown();
  });
  return server;
}
