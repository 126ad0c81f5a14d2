// What the benchmark feeds the systems: queue names, job shapes, the small transcript every worker
// carries, and the BullMQ worker timing all three measured components share.

import type { JobsOptions } from 'bullmq';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import type { ResumeJob } from '../../src/lib/queues/catalog.js';
import { KEEP_FINISHED } from '../../src/lib/queues/catalog.js';

/** A few hundred bytes: the size of a parked agent's short transcript pointer-plus-summary. */
export const SMALL_TRANSCRIPT = {
  id: 'tr-bench',
  summary: 'Reviewed the diff; waiting for the approval before merging.',
  messages: [
    { role: 'user', content: 'Please review PR 42 and summarise the risks.' },
    { role: 'assistant', content: 'Two risks: the migration is not reversible and the cache key changed.' },
  ],
  metadata: { turns: 2 },
};
export const TRANSCRIPT_BYTES = Buffer.byteLength(JSON.stringify(SMALL_TRANSCRIPT));

export const RESUME_INPUT = 'continue: the review was approved, merge and report back';

/** Far enough in the future that no timeout armed for the throughput/scale workers fires during a run. */
export const FAR_TIMEOUT_MS = 24 * 3600 * 1000;

/**
 * Same BullMQ worker timing for the plain, hand-rolled and resume-processor workers: the consumer's
 * defaults (lockDuration = stalledInterval = 5 s, stalls never fail a job).
 */
export const WORKER_TIMING = {
  lockDuration: 5000,
  stalledInterval: 5000,
  maxStalledCount: 1_000_000,
} as const;

/** Job options of the plain baseline: the retention resume-processor's workers use (kept 24 h). */
export const PLAIN_JOB_OPTIONS: JobsOptions = KEEP_FINISHED;

export const QUEUES = {
  plain: 'plain',
  resume: 'resume',
  timeout: 'timeout',
  tasks: 'tasks',
  forwardIn: 'forward-in',
  forwardOut: 'forward-out',
} as const;

/** The job a producer's resume() enqueues (same schema and options), built without its EXISTS check. */
export function resumeJob(workerId: string, now = Date.now()): ResumeJob {
  return { workerId, options: parseResumeOptions(RESUME_INPUT), requestedAtMs: now };
}

export const workerId = (tag: string, i: number) => `${tag}-${String(i).padStart(6, '0')}`;
