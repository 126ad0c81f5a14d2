// Baseline 2: the resume a team would write by hand on the same stack. A BullMQ worker takes a
// Redlock on the worker id, GETs the JSON record, checks it is suspended, SETs it back as running,
// removes the timeout job and adds the respawn job. No fencing token, no outbox, no event stream,
// no status index: the guarantees it lacks are what resume-processor pays for.
// Env: REDIS_URL, BENCH_PREFIX, CONSUMER_CONCURRENCY.

import { Redlock } from '@sesamecare-oss/redlock';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { KEEP_FINISHED } from '../../src/lib/queues/catalog.js';
import { handRolledKeys } from '../lib/hand-rolled-keys.js';
import { QUEUES, WORKER_TIMING } from '../lib/workload.js';
import { env, envInt, serveChild } from './runtime.js';

interface StoredWorker {
  id: string;
  name: string;
  mode: string;
  task: string;
  status: string;
  version: number;
  history: string[];
  updated_at_ms: number;
  suspension: { timeout_job_id?: string } | null;
}

interface ResumeData {
  workerId: string;
  options: { input: unknown };
}

await serveChild(async () => {
  const url = env('REDIS_URL');
  const prefix = env('BENCH_PREFIX');
  const keys = handRolledKeys(prefix);
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'hand-store' });
  const lockClient = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'hand-lock' });
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'hand-worker' });
  const redlock = new Redlock([lockClient]);
  const timeouts = new Queue(QUEUES.timeout, { connection: redis, prefix });
  const tasks = new Queue(QUEUES.tasks, { connection: redis, prefix });

  const worker = new Worker(
    QUEUES.resume,
    async (job) => {
      const { workerId, options } = job.data as ResumeData;
      return redlock.using([keys.lock(workerId)], 5000, async (signal) => {
        const raw = await redis.get(keys.worker(workerId));
        if (raw === null) throw new UnrecoverableError(`unknown worker ${workerId}`);
        const record = JSON.parse(raw) as StoredWorker;
        if (record.status !== 'suspended' || !record.suspension) {
          return { outcome: 'rejected', status: record.status };
        }
        const input = typeof options.input === 'string' ? options.input : JSON.stringify(options.input);
        const timeoutJobId = record.suspension.timeout_job_id;
        record.status = 'running';
        record.version += 1;
        record.task = input;
        record.history.push(input);
        record.suspension = null;
        record.updated_at_ms = Date.now();
        if (signal.aborted) throw signal.error;
        await redis.set(keys.worker(workerId), JSON.stringify(record));
        if (timeoutJobId) await timeouts.remove(timeoutJobId);
        await tasks.add(
          'respawn',
          { workerId, version: record.version, name: record.name, task: input, mode: record.mode },
          { jobId: `respawn-${workerId}-${record.version}` },
        );
        return { outcome: 'resumed', version: record.version };
      });
    },
    {
      connection: workerConnection,
      prefix,
      concurrency: envInt('CONSUMER_CONCURRENCY', 16),
      ...WORKER_TIMING,
      // The retention resume-processor's workers use, so both acknowledge with the same cleanup.
      ...KEEP_FINISHED,
    },
  );
  worker.on('error', (err) => console.error('hand-rolled worker error', err));
  await worker.waitUntilReady();
  return {
    async stop() {
      await worker.close();
      await Promise.all([timeouts.close(), tasks.close()]);
      await Promise.all([redis.quit(), lockClient.quit(), workerConnection.quit()]);
    },
  };
});
