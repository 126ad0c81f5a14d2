// Shapes of a worker record and of everything the pure policy decides on.
// These are the stored/wire forms (JSON-safe); field names follow Harn's snake_case.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const WORKER_STATUSES = [
  'running',
  'suspended',
  'completed',
  'failed',
  'cancelled',
  'stopped',
  'interrupted',
] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

export const WORKER_MODES = ['workflow', 'stage', 'sub_agent', 'delegated_stage', 'top_level_agent'] as const;
export type WorkerMode = (typeof WORKER_MODES)[number];

export const SUSPEND_INITIATORS = ['self', 'parent', 'operator', 'triggered'] as const;
export type SuspendInitiator = (typeof SUSPEND_INITIATORS)[number];

export const TIMEOUT_ACTIONS = ['resume_with_summary', 'fail', 'resume_with_input'] as const;
export type TimeoutAction = (typeof TIMEOUT_ACTIONS)[number];

export interface TranscriptMessage {
  role: string;
  content: JsonValue;
  [key: string]: JsonValue;
}

/** Harn's transcript dict: `id`, `messages`, `events`, `summary`, `metadata`. */
export interface Transcript {
  id?: string;
  messages?: TranscriptMessage[];
  events?: JsonValue[];
  summary?: string | null;
  metadata?: JsonValue;
  [key: string]: JsonValue | undefined;
}

/** Validated resume conditions (Harn ResumeConditions plus our duration_ms / deadline). */
export interface ResumeConditions {
  trigger?: JsonObject | null;
  timeout?: TimeoutCondition;
  on_event?: string;
}

export interface TimeoutCondition {
  duration_minutes?: number;
  duration_ms?: number;
  /** Absolute deadline: ISO-8601 string or epoch milliseconds. */
  deadline?: string | number;
  on_timeout: TimeoutAction;
  input?: JsonValue;
}

export interface AutoResumeTrigger {
  id: string;
  version: number;
  /** Event kinds that fire this trigger (Harn's `match_events`). */
  match_events: string[];
  provider?: string;
}

export interface Suspension {
  reason: string;
  initiator: SuspendInitiator;
  suspended_at: string;
  suspended_at_ms: number;
  /** The worker's version right after the suspend commit: identifies this suspended episode. */
  epoch: number;
  snapshot_ref: string;
  conditions: JsonValue;
  /** Absolute time the timeout fires, when one is armed. */
  deadline_ms?: number;
  /**
   * How many times this suspension's deadline was moved or disarmed (extendTimeout, cancelWait);
   * absent = 0. The timeout job carries it: a job armed before a move is stale.
   */
  deadline_rev?: number;
  on_timeout?: TimeoutAction;
  timeout_input?: JsonValue;
  /** Job id of the armed timeout (derived from worker id, epoch and deadline_rev). */
  timeout_job_id?: string;
  auto_resume_trigger?: AutoResumeTrigger | null;
  /** JSON Schema a resume's input must match (timeouts excepted): RP-INPUT-SCHEMA otherwise. */
  input_schema?: JsonValue;
  /**
   * Job ids of the early resumes this suspension took from the worker's inbox when it began (they
   * were made ready by the suspend commit; only they may resume it early). Its timeout is not armed
   * when one of them matches the input schema.
   */
  early_requests?: string[];
  suspended_at_turn?: number;
  prior_span_link?: JsonValue;
  pipeline_span_link?: JsonValue;
  /**
   * W3C traceparent of the span that suspended the worker, when tracing was on: the span that ends
   * this suspension links to it (src/observability/tracing.ts).
   */
  traceparent?: string;
}

/**
 * A resume sent with `early: { ttlMs }` to a running worker, kept in its inbox for its next
 * suspension (the store reads the inbox with the record when a suspend is decided).
 */
export interface EarlyResume {
  /** The request's BullMQ job id (delayed until `expiresAtMs`). */
  jobId: string;
  expiresAtMs: number;
  /** The request's input (null: none), checked against the new suspension's input schema. */
  input: JsonValue;
}

/**
 * What must happen after a commit, recorded in the committed record (the outbox) by the same script
 * and cleared once done. Job ids are derived (jobIds), so every effect can be run again safely.
 * Ending a suspension needs no effect: the commit itself drops its index entries, trigger bindings
 * and delayed timeout job.
 */
export type Effect =
  /** Add the delayed job `timeout-<id>-<epoch>[.<rev>]` that fires at `dueAtMs`. */
  | { kind: 'armTimeout'; epoch: number; dueAtMs: number; rev?: number }
  /**
   * Add `respawn-<id>-<version>` for the runtime (the version is the outbox's); `traceparent`, when
   * tracing is on, goes into the job so the runtime's span continues the resume's trace.
   */
  | { kind: 'respawn'; traceparent?: string }
  /** Run the consumer's PostResume hooks (advisory). */
  | { kind: 'postResume' };

export interface Outbox {
  /** Version the outbox belongs to; cleared only while the record is still at that version. */
  version: number;
  /** Request (job) that committed it, so a redelivery of that request can finish it. */
  requestId: string;
  effects: Effect[];
}

/** What a runtime gets for a respawn job: the resumed worker's next turn. */
export interface RespawnPayload {
  workerId: string;
  version: number;
  name: string;
  task: string;
  mode: WorkerMode;
  initiator: string;
  continuity: JsonObject | null;
  /** false when the worker has moved past `version` (closed, or already reported back). */
  current: boolean;
  /** W3C traceparent of the resume that made this turn, when it was traced: continue its trace. */
  traceparent?: string;
}

export interface WorkerRecord {
  _type: 'worker_record';
  id: string;
  name: string;
  task: string;
  mode: WorkerMode;
  status: WorkerStatus;
  version: number;
  created_at: string;
  created_at_ms: number;
  started_at: string;
  started_at_ms: number;
  finished_at: string | null;
  finished_at_ms: number | null;
  updated_at_ms: number;
  history: string[];
  config: JsonValue;
  transcript: Transcript | null;
  suspension: Suspension | null;
  latest_error: string | null;
  latest_payload: JsonValue;
  /** Continuity payload of the last resume (Harn stores it at spec.options._resume_continuity). */
  continuity: JsonObject | null;
  parent_worker_id: string | null;
  snapshot_path: string | null;
  carry_policy: JsonValue;
  /** Other Harn snapshot fields we keep verbatim so an export round-trips. */
  extra: JsonObject;
  outbox: Outbox | null;
  /** The request that made the last resume (or a timeout's fail, `failed: true`) and the version
   * it produced: a redelivered request that already committed still reports its own outcome. */
  last_request?: { id: string; version: number; failed?: true } | null;
}

/** Resume options after Harn's `parse_resume_options`. */
export interface ResumeOptions {
  /** Present (even when null? no: Harn's None) only when an input was given. */
  inputPresent: boolean;
  input: JsonValue;
  continueTranscript: boolean;
  initiator: string | null;
  triggerEvent: JsonValue;
}

/**
 * The outcome of a resume request as a consumer stores it (the job's return value and the
 * idempotency record): small, because every acknowledgement writes it. `ResumeOutcome` adds the
 * worker's summary when a caller asks for the result.
 */
export type StoredOutcome =
  | {
      outcome: 'resumed';
      version: number;
      respawnJobId: string;
      postResumeErrors?: string[];
      replayed?: boolean;
    }
  | { outcome: 'blocked'; reason: string; error: 'pre_resume_denied'; replayed?: boolean }
  /** An early resume that no suspension took before its ttl ran out. */
  | { outcome: 'expired'; replayed?: boolean }
  | {
      outcome: 'rejected';
      /** `details`: the error's structured details when it has some (RP-INPUT-SCHEMA: `issues`). */
      error: { code: string; message: string; details?: Record<string, unknown> };
      replayed?: boolean;
    };

/** The outcome of a timeout job: a resume, the `fail` action, or a no-op for a suspension that ended. */
export type TimeoutOutcome =
  | { outcome: 'stale'; reason: string }
  | { outcome: 'failed'; version: number }
  | StoredOutcome;

export type ResumeOutcome =
  | (Extract<StoredOutcome, { outcome: 'resumed' }> & { worker: WorkerSummary })
  | (Extract<StoredOutcome, { outcome: 'blocked' }> & { worker: WorkerSummary })
  | (Extract<StoredOutcome, { outcome: 'expired' }> & { worker: WorkerSummary | null })
  | (Extract<StoredOutcome, { outcome: 'rejected' }> & { worker: WorkerSummary | null });

export interface WorkerSummary {
  id: string;
  name: string;
  task: string;
  mode: WorkerMode;
  status: WorkerStatus;
  version: number;
  history: string[];
  suspension: {
    reason: string;
    initiator: SuspendInitiator;
    suspended_at: string;
    epoch: number;
    conditions: JsonValue;
    deadline_ms?: number;
    on_timeout?: TimeoutAction;
    auto_resume_trigger?: { id: string; version: number } | null;
    input_schema?: JsonValue;
    early_requests?: string[];
  } | null;
  latest_error: string | null;
  continuity: JsonObject | null;
  created_at: string;
  finished_at: string | null;
  pre_resume_denied?: string;
  pre_suspend_denied?: string;
}

/** A PreResume hook payload, exactly Harn's shape. */
export interface PreResumePayload {
  event: 'PreResume';
  worker: { id: string };
  resume_input: JsonValue;
  continue_transcript: boolean;
}

export type HookResult =
  | { kind: 'allow' }
  | { kind: 'block'; reason: string }
  | { kind: 'modify'; payload: JsonValue }
  | { kind: 'decision'; decision: 'allow' | 'deny' | 'ask'; reason?: string };
