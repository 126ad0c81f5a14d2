// What a finished job tells the metrics: its outcome (and error code), a committed resume's latency
// from its enqueue, a job that failed for good. Read from the result and the job's own fields: no
// request of its own.

import type { WorkerRecord } from '../lib/policy/types.js';
import { codeOf } from '../lib/queues/job-errors.js';
import type { MetricsSink } from './metrics.js';

/** A job's result as the engine returns it (StoredOutcome or TimeoutOutcome). */
interface Finished {
  outcome?: unknown;
  error?: unknown;
  replayed?: unknown;
}

function codeOfResult(r: Finished): string {
  if (typeof r.error === 'string') return r.error;
  const code = (r.error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** What of a BullMQ job the count reads. */
interface JobFacts {
  queueName: string;
  /** When it was enqueued (ms). */
  timestamp: number;
  data: unknown;
}

/**
 * A job finished with `result`. A resume that committed (not a replay of an earlier commit) has its
 * latency observed: enqueue to now, right after the commit that enqueued the respawn. An early
 * resume's is not: it waited in the worker's inbox for a suspension, not in the queue.
 */
export function countJob(sink: MetricsSink, job: JobFacts, result: unknown, nowMs = Date.now()): void {
  const queue = job.queueName;
  const early = (job.data as { early?: unknown } | null)?.early !== undefined;
  const r = (result ?? {}) as Finished;
  const outcome = typeof r.outcome === 'string' ? r.outcome : 'unknown';
  if (queue === 'timeout') {
    sink.timeoutOutcome(outcome);
    return;
  }
  if (queue !== 'resume') return;
  sink.resumeOutcome(outcome, codeOfResult(r));
  if (outcome === 'resumed' && r.replayed !== true && !early)
    sink.resumeLatency((nowMs - job.timestamp) / 1000);
}

/** A job that failed for good (BullMQ's `failed` event): outcome "job_failed", its error code. */
export function countJobFailure(sink: MetricsSink, queue: string, err: Error): void {
  const code = (err as { code?: unknown }).code;
  const text = typeof code === 'string' ? code : (codeOf(err.message) ?? 'unknown');
  if (queue === 'resume') sink.resumeOutcome('job_failed', text);
  else if (queue === 'timeout') sink.timeoutOutcome('job_failed');
}

/** A hook chain (PreResume), its duration reported whether it finished or failed. */
export async function timeHooks<T>(sink: MetricsSink, hook: string, chain: Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await chain;
  } finally {
    sink.hookDuration(hook, (performance.now() - started) / 1000);
  }
}

/** A timeout that changed the worker: how long after its deadline it was applied (now). */
export function measureLateness<A extends { kind: string; previous?: WorkerRecord | null }>(
  sink: MetricsSink,
  applied: A,
): A {
  const deadline = applied.kind === 'committed' ? applied.previous?.suspension?.deadline_ms : undefined;
  if (deadline !== undefined) sink.timeoutLateness((Date.now() - deadline) / 1000);
  return applied;
}
