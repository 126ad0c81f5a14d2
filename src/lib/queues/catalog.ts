// The job catalog: queue name -> job name, payload schema, retry policy and job-id rule.
// Processors safeParse with these schemas; a payload that fails is a non-retryable error.

import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { JsonValueSchema, ResumeOptionsSchema } from '../policy/resume-options.js';
import { WORKER_ID_PATTERN } from '../store/keys.js';

export const QUEUE_NAMES = { resume: 'resume', timeout: 'timeout', tasks: 'tasks' } as const;

export const WorkerIdSchema = z
  .string()
  .regex(WORKER_ID_PATTERN, 'worker id must be 1-128 characters of A-Z a-z 0-9 _ . -');

export const ResumeJobSchema = z.object({
  workerId: WorkerIdSchema,
  options: ResumeOptionsSchema,
  idempotencyKey: z.string().min(1).max(200).optional(),
  /** How long the key's first outcome is kept (ms); only with idempotencyKey. */
  idempotencyTtlMs: z.number().int().positive().optional(),
  /** Set by event delivery: the resume applies only to the suspension that registered the trigger. */
  expectEpoch: z.number().int().positive().optional(),
  requestedAtMs: z.number().int().nonnegative(),
});
export type ResumeJob = z.infer<typeof ResumeJobSchema>;

export const TimeoutJobSchema = z.object({
  workerId: WorkerIdSchema,
  epoch: z.number().int().positive(),
  dueAtMs: z.number().int().nonnegative(),
});
export type TimeoutJob = z.infer<typeof TimeoutJobSchema>;

export const RespawnJobSchema = z.object({
  workerId: WorkerIdSchema,
  version: z.number().int().positive(),
  name: z.string(),
  task: z.string(),
  mode: z.string(),
  initiator: z.string(),
  continuity: JsonValueSchema.nullable(),
});

/** Completed jobs are kept a day so job-id deduplication covers every redelivery window. */
const KEEP = { removeOnComplete: { age: 24 * 3600, count: 100_000 }, removeOnFail: { age: 7 * 24 * 3600 } };

/**
 * Retryable failures (a hook that threw, a lost lock, a record that kept changing) back off from
 * 100 ms to about 3.4 min over 12 attempts (~7 min in all), then the job stays in the failed set.
 * A consumer that dies or a Redis outage does not use attempts up: the job stalls and is redelivered.
 */
const RETRY = { attempts: 12, backoff: { type: 'exponential', delay: 100 } };

export const jobDefaults = {
  resume: { ...KEEP, ...RETRY },
  timeout: { ...KEEP, ...RETRY },
  tasks: { ...KEEP },
} satisfies Record<keyof typeof QUEUE_NAMES, JobsOptions>;
