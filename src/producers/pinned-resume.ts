// Pinned resumes: a resume request that may apply only to one suspension (the worker's epoch when it
// was issued) and that is named by its caller, so every request under one name collapses into one
// job. The HTTP API's resume tokens are built on it: a token's uses share one job, and the consumer
// refuses the job with HARN-SUS-003 once the worker has left that suspension. Validated like any
// resume before anything is written.

import { createHash } from 'node:crypto';
import { Job } from 'bullmq';
import { invalidResumeInput, unknownWorker } from '../lib/policy/messages.js';
import { parseResumeOptions, resumeInputText } from '../lib/policy/resume-options.js';
import type { JsonValue } from '../lib/policy/types.js';
import type { ResumeJob } from '../lib/queues/catalog.js';
import { resumeRequestAdd } from '../lib/queues/job-adds.js';
import type { QueueSet } from '../lib/queues/queues.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import { Tracing } from '../observability/tracing.js';
import { ticketFor } from './ticket.js';
import type { ResumeTicket } from './types.js';

export interface PinnedResumeDeps {
  store: WorkerStore;
  queues: QueueSet;
  clock: () => number;
  /** Default: the global tracer provider's (off without an SDK). */
  tracing?: Tracing;
}

export interface PinnedResume {
  workerId: string;
  /** The suspension's epoch: any other suspension (or none) refuses the resume. */
  epoch: number;
  /** The caller's name for the request; the job id is derived from it and the worker id. */
  requestKey: string;
  /** The resume input; absent: a resume without input. */
  input?: JsonValue;
}

/** The job id of a pinned request: one per (worker, request key). */
export function pinnedJobId(workerId: string, requestKey: string): string {
  return `p-${createHash('sha256').update(`${workerId}\u0000${requestKey}`).digest('hex').slice(0, 40)}`;
}

/**
 * Enqueues the pinned request unless a job of that name exists already: `joined` is true when an
 * earlier request under the same key made the job (its outcome is that request's).
 */
export async function resumePinned(
  deps: PinnedResumeDeps,
  req: PinnedResume,
): Promise<{ ticket: ResumeTicket; joined: boolean }> {
  let joined = false;
  // Traced as `resume.enqueue` like any resume request; the job carries the span (tracing on).
  const ticket = await (deps.tracing ?? Tracing.fromGlobal()).enqueue(async (span) => {
    const added = await enqueuePinned(deps, req, span.carry);
    joined = added === 'exists';
    return ticketFor(
      deps.queues.of(req.workerId).resume,
      pinnedJobId(req.workerId, req.requestKey),
      req.workerId,
      deps.store,
    );
  });
  return { ticket, joined };
}

async function enqueuePinned(
  deps: PinnedResumeDeps,
  req: PinnedResume,
  carry: (job: ResumeJob) => ResumeJob,
): Promise<'added' | 'exists'> {
  const options = parseResumeOptions(req.input === undefined ? undefined : { input: req.input }, null);
  if (resumeInputText(options).kind === 'invalid') throw invalidResumeInput(req.workerId);
  const jobId = pinnedJobId(req.workerId, req.requestKey);
  const now = deps.clock();
  const job: ResumeJob = carry({
    workerId: req.workerId,
    options,
    requestedAtMs: now,
    suspensionEpoch: req.epoch,
  });
  const added = await deps.store.enqueue(req.workerId, resumeRequestAdd(jobId, job), now);
  if (added === 'no-worker') throw unknownWorker(req.workerId);
  return added;
}

/** Whether a request under `requestKey` was made for the worker (its job is kept for a day). */
export async function pinnedJobExists(
  deps: PinnedResumeDeps,
  workerId: string,
  requestKey: string,
): Promise<boolean> {
  return (await Job.fromId(deps.queues.of(workerId).resume, pinnedJobId(workerId, requestKey))) !== undefined;
}
