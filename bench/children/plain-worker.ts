// Baseline 1: a plain BullMQ worker whose processor does nothing. Env: REDIS_URL, BENCH_PREFIX,
// CONSUMER_CONCURRENCY.

import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, WORKER_TIMING } from '../lib/workload.js';
import { env, envInt, serveChild } from './runtime.js';

await serveChild(async () => {
  const connection = new Redis(env('REDIS_URL'), {
    maxRetriesPerRequest: null,
    connectionName: 'plain-worker',
  });
  const worker = new Worker(QUEUES.plain, async () => {}, {
    connection,
    prefix: env('BENCH_PREFIX'),
    concurrency: envInt('CONSUMER_CONCURRENCY', 16),
    ...WORKER_TIMING,
  });
  worker.on('error', (err) => console.error('plain worker error', err));
  await worker.waitUntilReady();
  return {
    async stop() {
      await worker.close();
      await connection.quit();
    },
  };
});
