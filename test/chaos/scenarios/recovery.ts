// Recovery figures after a fault, read from the ledger: for the jobs that were active when the
// fault hit, how long until every one of them had finished.

import type { ChaosEnv } from '../env.js';
import type { Ledger } from '../ledger.js';
import type { LogBook } from '../processes.js';
import { percentile } from '../rng.js';

export interface ActiveJob {
  /** "resume:<id>" / "timeout:<id>" (job ids are unique across partitions). */
  key: string;
  queue: 'resume' | 'timeout';
  id: string;
  partition: number;
}

/** Active resume/timeout jobs of every partition. */
export async function activeJobsAt(env: ChaosEnv): Promise<ActiveJob[]> {
  const lists = await Promise.all(
    env
      .partitions()
      .flatMap((q) =>
        (['resume', 'timeout'] as const).map(async (queue) =>
          (await q[queue].getRanges(['active'], 0, -1)).map(
            (id): ActiveJob => ({ key: `${queue}:${id}`, queue, id, partition: q.partition }),
          ),
        ),
      ),
  );
  return lists.flat();
}

/** Active resume/timeout job ids, qualified by queue ("resume:<id>"). */
export async function activeJobs(env: ChaosEnv): Promise<string[]> {
  return (await activeJobsAt(env)).map((j) => j.key);
}

export interface Recovery {
  /** ms from the fault until the last in-flight job finished (null: one never did). */
  ms: number | null;
  /** In-flight jobs that no longer exist (a timeout job removed by its own outbox after a redelivery). */
  removed: string[];
  unfinished: string[];
}

/** How long until every job of `jobs` (in flight at `from`) had finished. */
export function finishedAfter(ledger: Ledger, jobs: readonly string[], from: number): Recovery {
  let last = from;
  const removed: string[] = [];
  const unfinished: string[] = [];
  for (const q of jobs) {
    const [queue, ...rest] = q.split(':');
    const id = rest.join(':');
    const job = (queue === 'resume' ? ledger.resumeJobs : ledger.timeoutJobs).get(id);
    if (!job) removed.push(q);
    else if (!job.finishedOn) unfinished.push(`${q} (${job.state})`);
    else last = Math.max(last, job.finishedOn);
  }
  return { ms: unfinished.length > 0 ? null : last - from, removed, unfinished };
}

export function firstFinishAfter(ledger: Ledger, from: number): number | null {
  let first = Number.POSITIVE_INFINITY;
  for (const j of [...ledger.resumeJobs.values(), ...ledger.timeoutJobs.values()])
    if (j.finishedOn && j.finishedOn >= from) first = Math.min(first, j.finishedOn);
  return Number.isFinite(first) ? first - from : null;
}

export function summarize(values: readonly (number | null)[]) {
  const known = values.filter((v): v is number => v !== null);
  return {
    p50: percentile(known, 50),
    max: known.length ? Math.max(...known) : null,
    unfinished: values.length - known.length,
  };
}

/** ms after `upAt` until every job that was due before it (queued before or during an outage) finished. */
export function backlogDrainedAfter(
  ledger: Ledger,
  upAt: number,
): { ms: number | null; slowest: string | null } {
  let last = upAt;
  let slowest: string | null = null;
  for (const [queue, jobs] of [
    ['resume', ledger.resumeJobs],
    ['timeout', ledger.timeoutJobs],
  ] as const) {
    for (const j of jobs.values()) {
      if (j.dueAt >= upAt) continue;
      if (!j.finishedOn) return { ms: null, slowest: `${queue}:${j.id} (${j.state})` };
      if (j.finishedOn > last) {
        last = j.finishedOn;
        slowest = `${queue}:${j.id} due ${j.dueAt - upAt} ms, attempts ${j.attemptsStarted}, stalls ${j.stalledCounter}`;
      }
    }
  }
  return { ms: last - upAt, slowest };
}

/**
 * Per consumer process, ms after `upAt` until it logged that its Redis connection was back (0 when
 * it reconnected while the harness was still waiting for the server to answer PING).
 */
export function reconnectedAfter(
  logs: LogBook,
  downAt: number,
  upAt: number,
): { consumers: number; maxMs: number | null } {
  const first = new Map<string, number>();
  for (const line of logs.watched)
    if (line.msg === 'Redis connection restored' && line.at > downAt && !first.has(line.source))
      first.set(line.source, Math.max(0, line.at - upAt));
  const values = [...first.values()];
  return { consumers: values.length, maxMs: values.length ? Math.max(...values) : null };
}

/** The recovery figures of a Redis outage from `downAt` to `upAt` (restart scenarios share them). */
export function outageRecovery(
  ledger: Ledger,
  logs: LogBook,
  active: string[],
  downAt: number,
  upAt: number,
) {
  const backlog = backlogDrainedAfter(ledger, upAt);
  return {
    recoveryMs: {
      firstJobAfterRestart: firstFinishAfter(ledger, upAt),
      inFlightAtOutageDone: finishedAfter(ledger, active, upAt).ms,
      backlogDrained: backlog.ms,
    },
    backlogSlowestJob: backlog.slowest,
    consumersReconnected: reconnectedAfter(logs, downAt, upAt),
  };
}
