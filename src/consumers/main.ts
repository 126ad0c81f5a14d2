// Composition root of a consumer process: reads the environment, starts a consumer, and stops it
// gracefully on SIGTERM/SIGINT (stop taking jobs, finish running ones, close connections).

import { loadEnv, redisConnection, redlockUrls } from '../lib/config.js';
import { faultHook, parseFaultPlan } from '../lib/faults.js';
import { stopOnSignals } from '../lib/graceful-stop.js';
import { createLogger } from '../lib/logger.js';
import { type Consumer, createConsumer } from './consumer.js';
import type { ConsumerHooks } from './resume-engine.js';

export interface ConsumerProcessOptions {
  concurrency?: number;
  /** PreResume/PostResume hooks of this process (a process entry of your own passes them). */
  hooks?: ConsumerHooks;
}

export async function runConsumerProcess(opts: ConsumerProcessOptions = {}): Promise<Consumer> {
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
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
  });
  stopOnSignals(logger, 'running jobs', () => consumer.stop());
  await consumer.start();
  return consumer;
}
