// Composition root of a consumer process: reads the environment, starts a consumer (and, with a
// metrics port, the server of its own /metrics), and stops them gracefully on SIGTERM/SIGINT (stop
// taking jobs, finish running ones, flush the metrics, close connections, close the server).

import { loadEnv, redisConnection, redlockUrls } from '../lib/config.js';
import { faultHook, parseFaultPlan } from '../lib/faults.js';
import { stopOnSignals } from '../lib/graceful-stop.js';
import { createLogger } from '../lib/logger.js';
import { ConsumerMetrics } from '../observability/metrics.js';
import { type MetricsServer, startMetricsServer } from '../observability/metrics-server.js';
import { startTracingIfSet } from '../observability/tracing-start.js';
import { type Consumer, createConsumer } from './consumer.js';
import type { ConsumerHooks } from './resume-engine.js';

export interface ConsumerProcessOptions {
  concurrency?: number;
  /** PreResume/PostResume hooks of this process (a process entry of your own passes them). */
  hooks?: ConsumerHooks;
  /** Serve this process's metrics at http://<host>:<port>/metrics (default: METRICS_PORT, else none). */
  metricsPort?: number;
}

/** A running consumer process: the consumer, and the port its /metrics listens on (null: none). */
export type ConsumerProcess = Consumer & { metricsPort: number | null };

export async function runConsumerProcess(opts: ConsumerProcessOptions = {}): Promise<ConsumerProcess> {
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  // Traces go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set: registered before the consumer is made.
  const tracing = await startTracingIfSet({
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: env.OTEL_SERVICE_NAME,
    process: 'consumer',
  });
  const port = opts.metricsPort ?? env.METRICS_PORT;
  // With a port, the registry carries the process metrics too (it is this process's scrape).
  const metrics = new ConsumerMetrics({ processMetrics: port !== undefined });
  const consumer = createConsumer({
    connection: redisConnection(env),
    prefix: env.RESUME_PREFIX,
    partitions: env.RESUME_PARTITIONS,
    concurrency: opts.concurrency ?? env.CONSUMER_CONCURRENCY,
    timeoutConcurrency: env.TIMEOUT_CONCURRENCY,
    logger,
    lockTtlMs: env.LOCK_TTL_MS,
    hookTimeoutMs: env.HOOK_TIMEOUT_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS,
    poisonDeaths: env.POISON_JOB_DEATHS,
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
    reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
    keepCompleted: env.KEEP_COMPLETED_JOBS,
    redlockUrls: redlockUrls(env),
    durability: env.RESUME_DURABILITY,
    fault: faultHook(parseFaultPlan(process.env.RP_FAULTS)),
    metrics,
  });
  let server: MetricsServer | null = null;
  // The process's own lines (start, signals, stop) under a component of their own.
  const processLog = logger.child({ component: 'process' });
  stopOnSignals(processLog, 'running jobs', async () => {
    await consumer.stop();
    await server?.close();
    await tracing?.shutdown();
  });
  await consumer.start();
  if (port !== undefined) {
    server = await startMetricsServer(metrics.registry, { port });
    processLog.info({ port: server.port }, 'consumer metrics at /metrics');
  }
  return Object.assign(consumer, { metricsPort: server?.port ?? null });
}
