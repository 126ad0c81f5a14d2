// The jobs our scripts add (add-job.lua: a commit's respawn and timeout, a resume request) are the
// jobs BullMQ's own add writes: the same keys, hash fields, list and set entries, marker and
// events (all but BullMQ's counter for generated ids), on the BullMQ version package.json pins. If an upgrade changes BullMQ's layout, this
// fails before anything else does. Then a BullMQ worker takes our jobs like its own.

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobAdd, resumeRequestAdd } from '../../src/lib/queues/job-adds.js';
import { keySpace } from '../../src/lib/store/keys.js';
import { WorkerStore } from '../../src/lib/store/worker-store.js';
import { redisUrl, waitFor } from '../support/harness.js';

/** Everything under a prefix, with what differs between any two adds (times, stream ids) masked. */
async function dump(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const keys = (await redis.keys(`${prefix}resume:*`)).sort();
  for (const key of keys) {
    const name = key.slice(prefix.length);
    const type = await redis.type(key);
    if (type === 'hash') {
      const h = await redis.hgetall(key);
      if (h.timestamp) h.timestamp = '<t>';
      if (h.opts) {
        // BullMQ's add is given the same timestamp through its options; that copy is the test's own.
        const { timestamp: _t, ...opts } = JSON.parse(h.opts) as Record<string, unknown>;
        h.opts = opts as never;
      }
      if (h.data) h.data = JSON.parse(h.data);
      if (name.endsWith(':meta')) delete h.version; // written by the Queue instance, not the add
      out[name] = h;
    } else if (type === 'list') out[name] = await redis.lrange(key, 0, -1);
    else if (type === 'zset') {
      const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
      out[name] = flat.map((v, i) => (i % 2 === 1 ? 'score' : v));
      if (name.endsWith(':delayed'))
        out[`${name} score ms`] = flat
          .filter((_, i) => i % 2 === 1)
          .map((s) => Math.floor(Number(s) / 4096) - DUE);
      if (name.endsWith(':marker'))
        out[`${name} score`] = flat
          .filter((_, i) => i % 2 === 1)
          .map((s) => Math.round(Number(s) - (Number(s) > 0 ? DUE : 0)));
    } else if (type === 'stream') {
      const entries = await redis.xrange(key, '-', '+');
      out[name] = entries.map(([, fields]) =>
        fields.map((f, i) => (fields[i - 1] === 'delay' ? String(Number(f) - DUE) : f)),
      );
    } else if (type === 'string' && !name.endsWith(':id')) out[name] = await redis.get(key);
    // `:id` is BullMQ's counter for the ids it makes up; jobs with ids of their own never read it,
    // and our adds (every job id is given) leave it alone: the one intended difference.
  }
  return out;
}

const NOW = 1_800_000_000_000;
const DUE = NOW + 5000;

describe('jobs added by our scripts', () => {
  let redis: Redis;
  let run: string;
  beforeEach(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    run = `jl${Math.random().toString(36).slice(2, 8)}`;
  });
  afterEach(async () => {
    await redis.quit();
  });

  /** The same job, once through BullMQ's Queue.add and once through our script; both dumps. */
  async function both(add: JobAdd, setup?: (queue: Queue) => Promise<void>) {
    const bull = new Queue(add.queue, { connection: redis, prefix: `{${run}b:0}` });
    const ours = new Queue(add.queue, { connection: redis, prefix: `{${run}o:0}` });
    try {
      for (const q of [bull, ours]) await setup?.(q);
      const opts = JSON.parse(add.opts) as { jobId: string; delay?: number };
      await bull.add(add.name as never, JSON.parse(add.data) as never, {
        jobId: opts.jobId,
        timestamp: NOW,
        ...(opts.delay ? { delay: opts.delay } : {}),
      });
      const store = new WorkerStore({ redis, keys: keySpace(`${run}o`) });
      await redis.set(keySpace(`${run}o`).doc('w1'), 'v\x1f1\x1es\x1fsuspended'); // the worker exists
      expect(await store.enqueue('w1', add, NOW)).toBe('added');
      expect(await store.enqueue('w1', add, NOW)).toBe('exists');
      const fromBull = await dump(redis, `{${run}b:0}:`);
      const fromOurs = await dump(redis, `{${run}o:0}:`);
      return { fromBull, fromOurs };
    } finally {
      await bull.close();
      await ours.close();
    }
  }

  const job = (delayMs: number): JobAdd => {
    const add = resumeRequestAdd('r-1', {
      workerId: 'w1',
      options: {
        inputPresent: true,
        input: 'go',
        continueTranscript: true,
        initiator: null,
        triggerEvent: null,
      },
      requestedAtMs: NOW,
    });
    if (delayMs === 0) return add;
    return { ...add, delayMs, opts: JSON.stringify({ jobId: add.id, delay: delayMs, attempts: 0 }) };
  };

  it('a job ready now is written exactly as BullMQ writes it', async () => {
    const { fromBull, fromOurs } = await both(job(0));
    expect(fromOurs).toEqual(fromBull);
    expect(Object.keys(fromOurs)).toEqual(
      expect.arrayContaining(['resume:r-1', 'resume:wait', 'resume:marker', 'resume:events']),
    );
  });

  it('a delayed job is written exactly as BullMQ writes it (score, marker, events)', async () => {
    const { fromBull, fromOurs } = await both(job(5000));
    expect(fromOurs).toEqual(fromBull);
    expect(fromOurs['resume:delayed score ms']).toEqual([0]);
  });

  it('on a paused queue, the job waits without waking the workers, as with BullMQ', async () => {
    const { fromBull, fromOurs } = await both(job(0), (q) => q.pause());
    expect(fromOurs).toEqual(fromBull);
    expect(fromOurs['resume:marker']).toBeUndefined();
  });

  it('a BullMQ worker takes our jobs, ready and delayed, with their data and ids', async () => {
    const prefix = `{${run}w:0}`;
    const store = new WorkerStore({ redis, keys: keySpace(`${run}w`) });
    await redis.set(keySpace(`${run}w`).doc('w1'), 'v\x1f1\x1es\x1fsuspended');
    const seen: { id: string | undefined; data: unknown; at: number }[] = [];
    const worker = new Worker(
      'resume',
      async (j) => {
        seen.push({ id: j.id, data: j.data, at: Date.now() });
        return 'ok';
      },
      { connection: redis.duplicate(), prefix },
    );
    try {
      const now = Date.now();
      const ready = { ...job(0), id: 'r-now', opts: JSON.stringify({ jobId: 'r-now', attempts: 0 }) };
      const later = {
        ...job(300),
        id: 'r-later',
        opts: JSON.stringify({ jobId: 'r-later', delay: 300, attempts: 0 }),
      };
      await store.enqueue('w1', later, now);
      await store.enqueue('w1', ready, now);
      await waitFor('both jobs', async () => seen.length === 2, 10_000);
      expect(seen.map((s) => s.id)).toEqual(['r-now', 'r-later']);
      expect(seen[0]?.data).toEqual(JSON.parse(ready.data));
      expect(seen[1]?.at).toBeGreaterThanOrEqual(now + 300);
      const events = await redis.xrange(`${prefix}:resume:events`, '-', '+');
      const added = events.filter(([, f]) => f[1] === 'added').map(([, f]) => f[3]);
      expect(added).toEqual(['r-later', 'r-now']);
      expect(await store.enqueue('nobody', ready, now)).toBe('no-worker');
    } finally {
      await worker.close();
    }
  });
});
