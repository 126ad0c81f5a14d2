// Reads back what happened, from Redis itself rather than from what the demo believes it sent:
// queue job states, completed timeout jobs, respawn job ids, and each worker's status and events.

import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createQueues, type QueueSet } from '../../lib/queues/queues.js';
import { WorkerStore } from '../../lib/store/worker-store.js';

export interface WorkerEvent {
  type: string;
  version: number;
  data: unknown;
}

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

/** Polls until no resume or timeout job is unfinished and no armed deadline is left; false on timeout. */
export async function waitForDrain(redis: Redis, prefix: string, timeoutMs: number): Promise<boolean> {
  const queues = createQueues(redis, prefix);
  const store = new WorkerStore(redis, prefix);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const [resume, timeout, armed] = await Promise.all([
        queues.resume.getJobCounts(...UNFINISHED),
        queues.timeout.getJobCounts(...UNFINISHED),
        redis.zcard(store.keys.deadlines),
      ]);
      if (sum(resume) + sum(timeout) + armed === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await queues.close();
  }
}

export async function observe(redis: Redis, prefix: string, workerIds: readonly string[]): Promise<Facts> {
  const queues = createQueues(redis, prefix);
  const store = new WorkerStore(redis, prefix);
  try {
    const [resumeCounts, timeoutCounts, taskCounts] = await Promise.all(
      [queues.resume, queues.timeout, queues.tasks].map((q) => q.getJobCounts(...ALL_STATES)),
    );
    const tasks = await queues.tasks.getJobs([...ALL_STATES], 0, -1);
    const timeouts = await queues.timeout.getJobs(['completed'], 0, -1);
    const records = await store.readMany(workerIds);
    const events = await Promise.all(workerIds.map((id) => store.events(id, 1000)));
    const workers = new Map<string, { status: string | null; events: WorkerEvent[] }>();
    workerIds.forEach((id, i) => {
      workers.set(id, { status: records[i]?.status ?? null, events: events[i] ?? [] });
    });
    return {
      queueCounts: { resume: resumeCounts ?? {}, timeout: timeoutCounts ?? {}, tasks: taskCounts ?? {} },
      respawnJobIds: tasks.map((j) => String(j.id)),
      timeoutResults: timeouts.map((j) => ({ workerId: String(j.data?.workerId), outcome: outcomeOf(j) })),
      failedJobs: await failedJobs(queues),
      workers,
    };
  } finally {
    await queues.close();
  }
}

async function failedJobs(queues: QueueSet): Promise<Facts['failedJobs']> {
  const out: Facts['failedJobs'] = [];
  for (const q of [queues.resume, queues.timeout]) {
    for (const job of await q.getJobs(['failed'], 0, -1)) {
      out.push({ queue: q.name, id: String(job.id), reason: job.failedReason });
    }
  }
  return out;
}

function outcomeOf(job: Job): string {
  const value: unknown = job.returnvalue;
  if (typeof value === 'object' && value !== null && 'outcome' in value) return String(value.outcome);
  return 'unknown';
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
