// Resume tickets: a handle on one queued request that waits for the consumer's outcome. The job
// keeps a small outcome; the ticket adds the worker's summary, read when the result is asked for.

import { Job } from 'bullmq';
import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import { unknownWorker } from '../lib/policy/messages.js';
import { summarize } from '../lib/policy/summary.js';
import type { ResumeOutcome, StoredOutcome } from '../lib/policy/types.js';
import { codeOf } from '../lib/queues/job-errors.js';
import type { CatalogQueue } from '../lib/queues/queues.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { ResumeTicket } from './types.js';

export function ticketFor(
  queue: CatalogQueue<'resume'>,
  jobId: string,
  workerId: string,
  store: WorkerStore,
): ResumeTicket {
  return {
    jobId,
    workerId,
    result: async (o) =>
      withWorker(await waitForOutcome(queue, jobId, o?.timeoutMs ?? 30_000), workerId, store),
  };
}

/** A ticket whose outcome is already known (an idempotency key replay). */
export function settledTicket(
  jobId: string,
  workerId: string,
  outcome: StoredOutcome,
  store: WorkerStore,
): ResumeTicket {
  return { jobId, workerId, result: () => withWorker(outcome, workerId, store) };
}

/** The outcome with the worker's summary as it is now (`version` says what the resume produced). */
export async function withWorker(
  outcome: StoredOutcome,
  workerId: string,
  store: WorkerStore,
): Promise<ResumeOutcome> {
  const record = (await store.read(workerId))?.record ?? null;
  const worker = record ? summarize(record) : null;
  if (outcome.outcome === 'rejected' || outcome.outcome === 'expired') return { ...outcome, worker };
  if (!worker) throw unknownWorker(workerId);
  if (outcome.outcome === 'blocked')
    return { ...outcome, worker: { ...worker, pre_resume_denied: outcome.reason } };
  return { ...outcome, worker };
}

// Polls the job with a growing pause (5 ms → 100 ms): cheap, and needs no extra connection.
async function waitForOutcome(
  queue: CatalogQueue<'resume'>,
  jobId: string,
  timeoutMs: number,
): Promise<StoredOutcome> {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  for (;;) {
    const job = await Job.fromId(queue, jobId);
    if (job?.finishedOn && job.returnvalue !== undefined && job.returnvalue !== null) return job.returnvalue;
    if (job?.finishedOn && job.failedReason) {
      throw new ResumeProcessorError(
        codeOf(job.failedReason) ?? RpCode.InvalidJob,
        `resume request ${jobId} failed: ${job.failedReason}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new ResumeProcessorError(
        RpCode.Timeout,
        `no outcome for resume request ${jobId} after ${timeoutMs} ms (is a consumer running?)`,
        { retryable: true },
      );
    }
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 100);
  }
}
