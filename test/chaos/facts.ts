// Facts read back from Redis for the ledger: every job of a queue with its state and outcome, and
// every worker's lifecycle event log, plus how an event names the winner of a suspension.

import type { Job, Queue } from 'bullmq';
import type { ChaosEnv } from './env.js';
import type { Winner } from './workload.js';

const ALL_STATES = [
  'completed',
  'failed',
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
] as const;
export const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

export interface JobFact {
  id: string;
  state: string;
  data: Record<string, unknown>;
  returnvalue: unknown;
  failedReason: string | null;
  attemptsStarted: number;
  stalledCounter: number;
  timestamp: number;
  dueAt: number;
  finishedOn: number | null;
}

export interface StreamEvent {
  type: string;
  version: number;
  at: number;
  data: Record<string, unknown>;
}

export async function readJobs(queue: Queue): Promise<Map<string, JobFact>> {
  const out = new Map<string, JobFact>();
  for (const state of ALL_STATES) {
    const jobs = (await queue.getJobs([state], 0, -1)) as Job[];
    for (const job of jobs) {
      if (!job?.id) continue;
      out.set(String(job.id), {
        id: String(job.id),
        state,
        data: (job.data ?? {}) as Record<string, unknown>,
        returnvalue: job.returnvalue,
        failedReason: job.failedReason ?? null,
        attemptsStarted: job.attemptsStarted ?? 0,
        stalledCounter: job.stalledCounter ?? 0,
        timestamp: job.timestamp,
        // BullMQ zeroes `delay` when a delayed job is promoted (the reconciler does that to a late
        // timeout): the ledger puts in the deadline the suspension was armed with where it knows it.
        dueAt: job.timestamp + (job.delay ?? 0),
        finishedOn: job.finishedOn ?? null,
      });
    }
  }
  return out;
}

/** Every job of one queue kind over all partitions (job ids are unique across partitions). */
export async function readJobsOf(queues: readonly Queue[]): Promise<Map<string, JobFact>> {
  const out = new Map<string, JobFact>();
  for (const queue of queues) for (const [id, fact] of await readJobs(queue)) out.set(id, fact);
  return out;
}

/** Each worker's lifecycle events, oldest first, from the event log kept in its record. */
export async function readEvents(env: ChaosEnv, ids: readonly string[]): Promise<Map<string, StreamEvent[]>> {
  const out = new Map<string, StreamEvent[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const logs = await Promise.all(chunk.map((id) => env.store.events(id)));
    chunk.forEach((id, j) => {
      out.set(
        id,
        (logs[j] ?? []).map((e) => ({
          type: e.type,
          version: e.version,
          at: e.atMs,
          data: (e.data ?? {}) as Record<string, unknown>,
        })),
      );
    });
  }
  return out;
}

/**
 * Who ended a suspension, from the event at the next version. A WorkerResumed event carries the
 * continuity initiator: `timeout` for a timeout's resume, `triggered` for an event's, and the
 * driver's resumes give none, so the engine infers `operator`. The ledger cross-checks this against
 * the job that reported the commit as its own (outcomes-match-state).
 */
export function winnerOf(ev: StreamEvent | undefined): Winner | null {
  if (!ev) return null;
  if (ev.type === 'WorkerResumed') {
    const initiator = String(ev.data.initiator ?? '');
    if (initiator === 'timeout') return 'timeout';
    if (initiator === 'triggered') return 'trigger';
    if (initiator === 'operator') return 'resume';
    return 'other';
  }
  if (ev.type === 'WorkerFailed') return ev.data.reason === 'timeout' ? 'timeout' : 'other';
  if (ev.type === 'WorkerCancelled' || ev.type === 'WorkerStopped') return 'close';
  return 'other';
}

/** The kind of request a job id belongs to (the producer's and the engine's id rules). */
export function requestKindOf(jobId: string): Winner {
  if (jobId.startsWith('timeout-')) return 'timeout';
  if (jobId.startsWith('e-')) return 'trigger';
  if (jobId.startsWith('r-') || jobId.startsWith('k-')) return 'resume';
  return 'other';
}

/** A consumer's request id is `<job id>@<enqueue ms>` (last_request.id, outbox.requestId). */
export const requestJobId = (requestId: string) => requestId.split('@')[0] ?? '';
