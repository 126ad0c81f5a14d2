// Facts read back from Redis for the ledger: every job of a queue with its state and outcome, and
// every worker's lifecycle stream, plus how a stream event names the winner of a suspension.

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
        // BullMQ zeroes `delay` once a delayed job is promoted: timeouts carry their own due time.
        dueAt:
          typeof (job.data as { dueAtMs?: unknown } | undefined)?.dueAtMs === 'number'
            ? (job.data as { dueAtMs: number }).dueAtMs
            : job.timestamp + (job.delay ?? 0),
        finishedOn: job.finishedOn ?? null,
      });
    }
  }
  return out;
}

export async function readEvents(env: ChaosEnv, ids: readonly string[]): Promise<Map<string, StreamEvent[]>> {
  const out = new Map<string, StreamEvent[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const pipe = env.admin.pipeline();
    for (const id of chunk) pipe.xrange(env.store.keys.workerEvents(id), '-', '+');
    const replies = (await pipe.exec()) ?? [];
    chunk.forEach((id, j) => {
      const [err, entries] = replies[j] ?? [null, []];
      if (err) throw err;
      out.set(
        id,
        (entries as [string, string[]][]).map(([streamId, fields]) => {
          const map = new Map<string, string>();
          for (let k = 0; k + 1 < fields.length; k += 2) map.set(fields[k] ?? '', fields[k + 1] ?? '');
          return {
            type: map.get('type') ?? '',
            version: Number(map.get('version')),
            at: Number(streamId.split('-')[0]),
            data: JSON.parse(map.get('data') ?? '{}') as Record<string, unknown>,
          };
        }),
      );
    });
  }
  return out;
}

export function winnerOf(ev: StreamEvent | undefined): Winner | null {
  if (!ev) return null;
  if (ev.type === 'WorkerResumed') {
    const req = String(ev.data.request ?? '');
    if (req.startsWith('timeout-')) return 'timeout';
    if (req.startsWith('e-')) return 'trigger';
    if (req.startsWith('r-') || req.startsWith('k-')) return 'resume';
    return 'other';
  }
  if (ev.type === 'WorkerFailed') return ev.data.reason === 'timeout' ? 'timeout' : 'other';
  if (ev.type === 'WorkerCancelled' || ev.type === 'WorkerStopped') return 'close';
  return 'other';
}

/** The request id in a WorkerResumed event is `<job id>@<enqueue ms>`; older builds used the job id. */
export const requestJobId = (ev: StreamEvent) => String(ev.data.request ?? '').split('@')[0] ?? '';
