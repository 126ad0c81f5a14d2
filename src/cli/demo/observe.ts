// Reads back what happened, from Redis itself rather than from what the demo believes it sent:
// queue job states, completed timeout jobs, respawn job ids, and each worker's status and events,
// over every partition.

import { type CatalogJob, type PartitionQueues, QueueSet } from '../../lib/queues/queues.js';
import type { RedisClient } from '../../lib/redis.js';
import { allPartitions, keySpace } from '../../lib/store/keys.js';
import { type StoredEvent, WorkerStore } from '../../lib/store/worker-store.js';

export type WorkerEvent = StoredEvent;

export interface Facts {
  queueCounts: Record<'resume' | 'timeout' | 'tasks', Record<string, number>>;
  respawnJobIds: string[];
  /** `outcome` of every completed timeout job: stale | failed | resumed | rejected | blocked. */
  timeoutResults: { workerId: string; outcome: string }[];
  failedJobs: { queue: string; id: string; reason: string }[];
  workers: Map<string, { status: string | null; events: WorkerEvent[] }>;
}

const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const ALL_STATES = [...UNFINISHED, 'completed', 'failed'] as const;

interface Deployment {
  store: WorkerStore;
  queues: QueueSet;
  partitions: PartitionQueues[];
}

function deployment(redis: RedisClient, prefix: string, partitions: number): Deployment {
  const keys = keySpace(prefix, partitions);
  const queues = new QueueSet(redis, keys);
  return {
    store: new WorkerStore({ redis, keys }),
    queues,
    partitions: allPartitions(keys).map((p) => queues.partition(p)),
  };
}

/** Polls until no resume or timeout job is unfinished and no armed deadline is left; false on timeout. */
export async function waitForDrain(
  redis: RedisClient,
  prefix: string,
  partitions: number,
  timeoutMs: number,
): Promise<boolean> {
  const d = deployment(redis, prefix, partitions);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const counts = await Promise.all(
        d.partitions.flatMap((q) => [
          q.resume.getJobCounts(...UNFINISHED),
          q.timeout.getJobCounts(...UNFINISHED),
        ]),
      );
      const armed = await d.store.indexes.countArmedTimeouts();
      if (counts.reduce((a, c) => a + sum(c), 0) + armed === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await d.queues.close();
  }
}

export async function observe(
  redis: RedisClient,
  prefix: string,
  partitions: number,
  workerIds: readonly string[],
): Promise<Facts> {
  const d = deployment(redis, prefix, partitions);
  try {
    const counts = async (name: 'resume' | 'timeout' | 'tasks') =>
      merge(await Promise.all(d.partitions.map((q) => q[name].getJobCounts(...ALL_STATES))));
    const tasks = (
      await Promise.all(d.partitions.map((q) => q.tasks.getJobs([...ALL_STATES], 0, -1)))
    ).flat();
    const timeouts = (
      await Promise.all(d.partitions.map((q) => q.timeout.getJobs(['completed'], 0, -1)))
    ).flat();
    const records = await d.store.readMany(workerIds);
    const events = await Promise.all(workerIds.map((id) => d.store.events(id)));
    const workers = new Map<string, { status: string | null; events: WorkerEvent[] }>();
    workerIds.forEach((id, i) => {
      workers.set(id, { status: records[i]?.record.status ?? null, events: events[i] ?? [] });
    });
    return {
      queueCounts: {
        resume: await counts('resume'),
        timeout: await counts('timeout'),
        tasks: await counts('tasks'),
      },
      respawnJobIds: tasks.map((j) => String(j.id)),
      timeoutResults: timeouts.map((j) => ({ workerId: String(j.data?.workerId), outcome: outcomeOf(j) })),
      failedJobs: await failedJobs(d.partitions),
      workers,
    };
  } finally {
    await d.queues.close();
  }
}

async function failedJobs(partitions: PartitionQueues[]): Promise<Facts['failedJobs']> {
  const out: Facts['failedJobs'] = [];
  for (const p of partitions) {
    for (const q of [p.resume, p.timeout] as const) {
      for (const job of await q.getJobs(['failed'], 0, -1)) {
        out.push({ queue: q.name, id: String(job.id), reason: job.failedReason });
      }
    }
  }
  return out;
}

function outcomeOf(job: CatalogJob<'timeout'>): string {
  const value: unknown = job.returnvalue;
  if (typeof value === 'object' && value !== null && 'outcome' in value) return String(value.outcome);
  return 'unknown';
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function merge(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}
