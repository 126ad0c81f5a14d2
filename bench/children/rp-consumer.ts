// The resume-processor consumer as a bench child: the same createConsumer wiring and environment as
// test/support/consumer-process.ts (REDIS_URL, RESUME_PREFIX, CONSUMER_CONCURRENCY, LOCK_TTL_MS,
// STALLED_INTERVAL_MS, RECONCILE_INTERVAL_MS, LOG_LEVEL), plus the round-trip counter and stats
// over IPC. No hooks: the cost measured is the engine's own.
//
// The library is loaded compiled, from dist/ (`npm run bench` builds it first), as an installed
// package runs; BullMQ and Redlock, the baselines' libraries, are compiled JavaScript too. Only
// this small file goes through tsx, like the other children.

import { serveChild } from './runtime.js';

type Library = typeof import('../../src/index.js');
type Config = typeof import('../../src/lib/config.js');
type Logging = typeof import('../../src/lib/logger.js');
const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).href;

await serveChild(async () => {
  const { createConsumer } = (await import(dist('index.js'))) as Library;
  const { loadEnv, redisConnection, redlockUrls } = (await import(dist('lib/config.js'))) as Config;
  const { createLogger } = (await import(dist('lib/logger.js'))) as Logging;
  const e = loadEnv();
  const consumer = createConsumer({
    connection: redisConnection(e),
    prefix: e.RESUME_PREFIX,
    partitions: e.RESUME_PARTITIONS,
    concurrency: e.CONSUMER_CONCURRENCY,
    timeoutConcurrency: e.TIMEOUT_CONCURRENCY,
    logger: createLogger(e.LOG_LEVEL),
    lockTtlMs: e.LOCK_TTL_MS,
    hookTimeoutMs: e.HOOK_TIMEOUT_MS,
    stalledIntervalMs: e.STALLED_INTERVAL_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    redlockUrls: redlockUrls(e),
  });
  await consumer.start();
  return consumer;
});
