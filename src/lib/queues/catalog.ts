// The job catalog: for each queue, its job name, payload schema, result type and retry policy (job
// ids are derived in policy/ids.ts). Processors safeParse with these schemas; a payload that fails
// is a non-retryable error. Payloads carry only what their processor needs (the record is the truth).

import type { JobsOptions, KeepJobs } from 'bullmq';
import { z } from 'zod';
import { WORKER_ID_PATTERN } from '../policy/ids.js';
import { ResumeOptionsSchema } from '../policy/resume-options.js';
import type { StoredOutcome, TimeoutOutcome } from '../policy/types.js';

export const QUEUE_NAMES = { resume: 'resume', timeout: 'timeout', tasks: 'tasks' } as const;
export type QueueName = keyof typeof QUEUE_NAMES;

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
  /**
   * An early resume kept in a running worker's inbox (the job is delayed until it expires): only the
   * suspension that took it may be resumed by it; due while still in the inbox, it ends `expired`.
   */
  early: z.strictObject({ expiresAtMs: z.number().int().nonnegative() }).optional(),
  requestedAtMs: z.number().int().nonnegative(),
  /** Retryable failures so far (the consumer counts them; see RETRY). */
  retries: z.number().int().nonnegative().optional(),
  /** Times a consumer deferred the job so that a suspect could run alone (src/consumers/suspects.ts). */
  deferrals: z.number().int().nonnegative().optional(),
  /** The stall count when the job last began to run alone (a suspect); a higher count later: it died so. */
  soloAt: z.number().int().nonnegative().optional(),
  /** Consumer deaths while the job ran alone: the deaths it is blamed for after the first. */
  soloDeaths: z.number().int().nonnegative().optional(),
  /**
   * A resume pinned to one suspension (HTTP resume tokens): refused with HARN-SUS-003 unless the
   * worker is still suspended at this epoch.
   */
  suspensionEpoch: z.number().int().positive().optional(),
  /** W3C traceparent of the span that sent it, only when tracing is on (src/observability/tracing.ts). */
  traceparent: z.string().max(256).optional(),
});
export type ResumeJob = z.infer<typeof ResumeJobSchema>;

/** Due time = the job's `timestamp + delay` (BullMQ keeps both); the record holds the deadline. */
export const TimeoutJobSchema = z.object({
  workerId: WorkerIdSchema,
  epoch: z.number().int().positive(),
  /** The suspension's deadline_rev the job was armed for (absent = 0); another rev is stale. */
  rev: z.number().int().positive().optional(),
  /** Retryable failures so far (the consumer counts them; see RETRY). */
  retries: z.number().int().nonnegative().optional(),
  /** Times a consumer deferred the job so that a suspect could run alone (src/consumers/suspects.ts). */
  deferrals: z.number().int().nonnegative().optional(),
  /** The stall count when the job last began to run alone (a suspect); a higher count later: it died so. */
  soloAt: z.number().int().nonnegative().optional(),
  /** Consumer deaths while the job ran alone: the deaths it is blamed for after the first. */
  soloDeaths: z.number().int().nonnegative().optional(),
});
export type TimeoutJob = z.infer<typeof TimeoutJobSchema>;

/** A pointer to the resumed version: the runtime reads the record (`consumeRespawns` does). */
export const RespawnJobSchema = z.object({
  workerId: WorkerIdSchema,
  version: z.number().int().positive(),
  initiator: z.string(),
  /** W3C traceparent of the resume's processing span, when it was traced: the runtime continues it. */
  traceparent: z.string().max(256).optional(),
});
export type RespawnJob = z.infer<typeof RespawnJobSchema>;

/** Job name, data and result of each queue: what the typed Queue and Worker instances carry. */
export interface JobCatalog {
  resume: { name: 'resume'; data: ResumeJob; result: StoredOutcome };
  timeout: { name: 'timeout'; data: TimeoutJob; result: TimeoutOutcome };
  tasks: { name: 'respawn'; data: RespawnJob; result: unknown };
}

/**
 * Finished jobs are kept a day, so job-id deduplication covers every redelivery window. Set on the
 * BullMQ workers (ours, and `createRespawnConsumer`'s), not on each job: a runtime that reads the
 * `tasks` queues with its own BullMQ worker sets its own retention (BullMQ keeps them by default).
 */
export const KEEP_FINISHED: { removeOnComplete: KeepJobs; removeOnFail: KeepJobs } = {
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * KEEP_FINISHED with another cap on completed jobs per queue (KEEP_COMPLETED_JOBS). The kept jobs
 * are the largest memory term of a busy deployment (docs/scaling.md); a smaller cap shortens the
 * window in which a redelivered or re-sent job id is recognised as done (the version
 * compare-and-set still refuses a second resume, and idempotency keys keep their own TTL).
 */
export const keepFinished = (completedCount: number) => ({
  ...KEEP_FINISHED,
  removeOnComplete: { age: 24 * 3600, count: completedCount },
});

/** How long a failed job (a quarantined one included) is kept, in ms. */
export const FAILED_KEPT_MS = 7 * 24 * 3600 * 1000;

/**
 * Retryable failures (a hook that threw, a lost lock, a record that kept changing) back off from
 * 100 ms to about 3.4 min over 12 attempts (~7 min in all), then the job stays in the failed set.
 * A consumer that dies or a Redis outage does not use attempts up: the job stalls and is redelivered.
 *
 * The consumer applies it (it counts `retries` in the job and moves the job back to delayed), not
 * BullMQ's per-job `attempts`/`backoff`: options written into every job would make a timeout job's
 * options longer than Redis keeps in its compact hash encoding, and a waiting worker cost 400 bytes
 * more.
 */
export interface RetryPolicy {
  /** Runs in all, the first included. */
  attempts: number;
  firstDelayMs: number;
}

export const RETRY: RetryPolicy = { attempts: 12, firstDelayMs: 100 };

/** Delay before retry number `retries` (1 = the first retry): doubling from the first delay. */
export const retryDelayMs = (policy: RetryPolicy, retries: number) =>
  policy.firstDelayMs * 2 ** (retries - 1);

/** Per-job options: none; job ids are given at each add, retention and retries are the workers'. */
export const jobDefaults = { resume: {}, timeout: {}, tasks: {} } satisfies Record<QueueName, JobsOptions>;
