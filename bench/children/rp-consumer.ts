// The resume-processor consumer as a bench child: the same createConsumer wiring and environment as
// test/support/consumer-process.ts (REDIS_URL, RESUME_PREFIX, CONSUMER_CONCURRENCY, LOCK_TTL_MS,
// STALLED_INTERVAL_MS, RECONCILE_INTERVAL_MS, LOG_LEVEL), plus the round-trip counter and stats
// over IPC. No hooks: the cost measured is the engine's own.

import { createConsumer } from '../../src/index.js';
import { loadEnv, redlockUrls } from '../../src/lib/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { serveChild } from './runtime.js';

await serveChild(async () => {
  const e = loadEnv();
  const consumer = createConsumer({
    connection: e.REDIS_URL,
    prefix: e.RESUME_PREFIX,
    concurrency: e.CONSUMER_CONCURRENCY,
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
