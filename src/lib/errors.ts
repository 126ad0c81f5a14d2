// Typed errors with stable codes. Harn's HARN-SUS-* codes keep Harn's message texts;
// transport problems of our own use RP-* codes. One axis matters to a queue: retryable or not.

export const HarnCode = {
  SuspendWorkerNotRunning: 'HARN-SUS-001',
  ResumeConditionsInvalid: 'HARN-SUS-002',
  ResumeWorkerNotSuspended: 'HARN-SUS-003',
  ResumeSnapshotInvalid: 'HARN-SUS-004',
  ConcurrentResumeConflict: 'HARN-SUS-006',
  ResumeTriggerRegistrationFailed: 'HARN-SUS-007',
  ResumeTimeoutUnsupported: 'HARN-SUS-008',
  ResumeInputInvalid: 'HARN-SUS-009',
  ResumeWorkerClosed: 'HARN-SUS-010',
} as const;

export const RpCode = {
  InvalidInput: 'RP-INVALID-INPUT',
  InvalidJob: 'RP-INVALID-JOB',
  /** A job whose processing killed its consumer N times (POISON_JOB_DEATHS): quarantined, not run. */
  PoisonJob: 'RP-POISON-JOB',
  UnknownWorker: 'RP-UNKNOWN-WORKER',
  WorkerExists: 'RP-WORKER-EXISTS',
  VersionConflict: 'RP-VERSION-CONFLICT',
  LockUnavailable: 'RP-LOCK-UNAVAILABLE',
  LockLost: 'RP-LOCK-LOST',
  IdempotencyConflict: 'RP-IDEMPOTENCY-CONFLICT',
  /** extendTimeout on a suspension without an armed timeout. */
  NoTimeout: 'RP-NO-TIMEOUT',
  /** A resume input that does not match its suspension's input_schema (details.issues). */
  InputSchema: 'RP-INPUT-SCHEMA',
  InvalidConfig: 'RP-INVALID-CONFIG',
  RedisUnavailable: 'RP-REDIS-UNAVAILABLE',
  /** `durability: 'replicated'`: no replica confirmed a write in time (details.applied says if it ran). */
  NotReplicated: 'RP-NOT-REPLICATED',
  Timeout: 'RP-TIMEOUT',
  HookFailed: 'RP-HOOK-FAILED',
  CorruptRecord: 'RP-CORRUPT-RECORD',
  SnapshotWriteFailed: 'RP-SNAPSHOT-WRITE',
  /** An error that is not one of ours (a bug, or a library's): the message says what it was. */
  Internal: 'RP-INTERNAL',
} as const;

export type HarnErrorCode = (typeof HarnCode)[keyof typeof HarnCode];
export type RpErrorCode = (typeof RpCode)[keyof typeof RpCode];
export type ErrorCode = HarnErrorCode | RpErrorCode;

export interface ErrorFields {
  workerId?: string;
  status?: string;
  path?: string;
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Base of every error the project throws on purpose. `code` is stable; `message` starts with it. */
export class ResumeProcessorError extends Error {
  readonly code: ErrorCode;
  readonly workerId: string | undefined;
  readonly status: string | undefined;
  readonly path: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, fields: ErrorFields = {}) {
    super(`${code}: ${message}`, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
    this.code = code;
    this.workerId = fields.workerId;
    this.status = fields.status;
    this.path = fields.path;
    this.retryable = fields.retryable ?? false;
    this.details = fields.details;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/**
 * The BullMQ job a consumer was working for is no longer its own: the job's lock expired (the
 * consumer was cut off or paused) and another consumer took it over. The commit wrote nothing; the
 * job's outcome is the other consumer's to report. Not retried here.
 */
export class JobLostError extends ResumeProcessorError {
  constructor(workerId: string, jobId: string) {
    super(
      RpCode.LockLost,
      `job ${jobId} of worker ${workerId} is no longer this consumer's (its lock expired and another consumer took it over); nothing was written`,
      { workerId, details: { jobId } },
    );
  }
}

/**
 * A rejection defined by Harn's semantics (HARN-SUS-*). Not retryable, except HARN-SUS-006: the
 * worker changed under the writer, and a fresh read decides again.
 */
export class SuspendError extends ResumeProcessorError {}

/** Input that failed validation (zod or our own rules): carries the offending path. */
export class ValidationError extends ResumeProcessorError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(
    code: ErrorCode,
    message: string,
    issues: readonly { path: string; message: string }[],
    fields: ErrorFields = {},
  ) {
    super(code, message, { ...fields, path: fields.path ?? issues[0]?.path });
    this.issues = issues;
  }
}

/** Lock servers of a Redlock quorum that were connected when an acquire gave up. */
export interface QuorumState {
  reachable: number;
  servers: number;
}

export class LockUnavailableError extends ResumeProcessorError {
  readonly resource: string;
  readonly attempts: number;
  readonly waitedMs: number;
  /** Set when no majority of the Redlock servers was connected: not contention, an outage. */
  readonly quorum: QuorumState | undefined;
  constructor(resource: string, attempts: number, waitedMs: number, cause?: unknown, quorum?: QuorumState) {
    super(
      RpCode.LockUnavailable,
      quorum
        ? `lock ${resource}: no Redlock majority, ${quorum.reachable} of ${quorum.servers} lock servers ` +
            `reachable (${attempts} attempts over ${waitedMs} ms); the request waits until a majority is back`
        : `lock ${resource} is held elsewhere (${attempts} attempts over ${waitedMs} ms)`,
      { retryable: true, cause },
    );
    this.resource = resource;
    this.attempts = attempts;
    this.waitedMs = waitedMs;
    this.quorum = quorum;
  }
}

export interface SerializedError {
  code: string;
  message: string;
  workerId?: string;
  status?: string;
  path?: string;
  /** The error's structured details (e.g. RP-INPUT-SCHEMA's issues), when it has some. */
  details?: Record<string, unknown>;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ResumeProcessorError) {
    const out: SerializedError = { code: err.code, message: err.message };
    if (err.workerId !== undefined) out.workerId = err.workerId;
    if (err.status !== undefined) out.status = err.status;
    if (err.path !== undefined) out.path = err.path;
    if (err.details !== undefined) out.details = err.details;
    return out;
  }
  if (err instanceof Error) return { code: RpCode.Internal, message: err.message };
  return { code: RpCode.Internal, message: String(err) };
}
