// Reference for the latency phase: the shortest resume-shaped chain BullMQ allows. A worker takes a
// job from `forward-in` and adds one job to `forward-out` (job id derived from the taken one), with
// the worker timing and retention of the measured systems. Its latency at the rate resume-processor
// is measured at is the floor this machine sets on a two-hop chain; no state, no lock, no fencing.
// Env: REDIS_URL, BENCH_PREFIX, CONSUMER_CONCURRENCY.

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { KEEP_FINISHED } from '../../src/lib/queues/catalog.js';
import { QUEUES, WORKER_TIMING } from '../lib/workload.js';
import { env, envInt, serveChild } from './runtime.js';

await serveChild(async () => {
  const url = env('REDIS_URL');
  const prefix = env('BENCH_PREFIX');
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'forwarder-store' });
  const blocking = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'forwarder-worker' });
  const out = new Queue(QUEUES.forwardOut, { connection: redis, prefix });
  const worker = new Worker(
    QUEUES.forwardIn,
    async (job) => {
      await out.add('forwarded', { from: job.id }, { jobId: `f-${job.id}` });
    },
    {
      connection: blocking,
      prefix,
      concurrency: envInt('CONSUMER_CONCURRENCY', 16),
      ...WORKER_TIMING,
      ...KEEP_FINISHED,
    },
  );
  worker.on('error', (err) => console.error('forwarder error', err));
  await worker.waitUntilReady();
  return {
    async stop() {
      await worker.close();
      await out.close();
      await Promise.all([redis.quit(), blocking.quit()]);
    },
  };
});
