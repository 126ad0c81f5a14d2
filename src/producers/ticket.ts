// Resume tickets: a handle on one queued request that waits for the consumer's outcome.

import { Job } from 'bullmq';
import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import type { ResumeOutcome } from '../lib/policy/types.js';
import type { QueueSet } from '../lib/queues/queues.js';
import type { ResumeTicket } from './types.js';

export function ticketFor(queues: QueueSet, jobId: string, workerId: string): ResumeTicket {
  return { jobId, workerId, result: (o) => waitForOutcome(queues, jobId, o?.timeoutMs ?? 30_000) };
}

/** A ticket whose outcome is already known (an idempotency key replay). */
export function settledTicket(jobId: string, workerId: string, outcome: ResumeOutcome): ResumeTicket {
  return { jobId, workerId, result: async () => outcome };
}

// Polls the job with a growing pause (5 ms → 100 ms): cheap, and needs no extra connection.
async function waitForOutcome(queues: QueueSet, jobId: string, timeoutMs: number): Promise<ResumeOutcome> {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  for (;;) {
    const job = await Job.fromId(queues.resume, jobId);
    if (job?.finishedOn && job.returnvalue !== undefined && job.returnvalue !== null) {
      return job.returnvalue as ResumeOutcome;
    }
    if (job?.finishedOn && job.failedReason) {
      throw new ResumeProcessorError(
        RpCode.InvalidJob,
        `resume request ${jobId} failed: ${job.failedReason}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new ResumeProcessorError(
        RpCode.Timeout,
        `no outcome for resume request ${jobId} after ${timeoutMs} ms (is a consumer running?)`,
        {
          retryable: true,
        },
      );
    }
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 100);
  }
}
