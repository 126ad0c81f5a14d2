// State transitions as pure functions: (state, request, now) -> next state or a typed rejection.
// Consumers and producers do the I/O around these; nothing here reads a clock or touches Redis.

import { HarnCode, SuspendError } from '../errors.js';
import { jobIds } from '../store/keys.js';
import { autoResumeTriggerId, timeoutDeadlineMs, triggerMatchEvents } from './conditions.js';
import { buildContinuity } from './continuity.js';
import { invalidResumeInput, notSuspended, suspendNotRunning, workerClosed } from './messages.js';
import { resumeInputText } from './resume-options.js';
import { summarize } from './summary.js';
import { applyTranscriptPolicy } from './transcript.js';
import type {
  Effect,
  JsonValue,
  RespawnPayload,
  ResumeConditions,
  ResumeDecision,
  ResumedOutcome,
  ResumeOptions,
  SuspendInitiator,
  Suspension,
  Transcript,
  WorkerMode,
  WorkerRecord,
} from './types.js';

export interface Now {
  ms: number;
  iso: string;
}

export const nowFrom = (ms: number): Now => ({ ms, iso: new Date(ms).toISOString() });

export interface NewWorker {
  id: string;
  name: string;
  task: string;
  mode: WorkerMode;
  config: JsonValue;
  transcript: Transcript | null;
  parentWorkerId: string | null;
}

export function newWorkerRecord(w: NewWorker, now: Now): WorkerRecord {
  return {
    _type: 'worker_record',
    id: w.id,
    name: w.name,
    task: w.task,
    mode: w.mode,
    status: 'running',
    version: 1,
    created_at: now.iso,
    created_at_ms: now.ms,
    started_at: now.iso,
    started_at_ms: now.ms,
    finished_at: null,
    finished_at_ms: null,
    updated_at_ms: now.ms,
    history: [],
    config: w.config,
    transcript: w.transcript,
    suspension: null,
    latest_error: null,
    latest_payload: null,
    continuity: null,
    parent_worker_id: w.parentWorkerId,
    snapshot_path: null,
    carry_policy: null,
    extra: {},
    outbox: null,
  };
}

export interface SuspendRequest {
  reason: string;
  initiator: SuspendInitiator;
  rawConditions: JsonValue;
  conditions: ResumeConditions | null;
  suspendedAtTurn?: number;
  /** Unique part of the auto-resume trigger id (the caller makes it; policy has no randomness). */
  triggerUnique: string;
}

export type SuspendDecision =
  | { kind: 'unchanged'; record: WorkerRecord }
  | { kind: 'suspend'; next: WorkerRecord }
  | { kind: 'reject'; error: SuspendError };

export function decideSuspend(record: WorkerRecord, req: SuspendRequest, now: Now): SuspendDecision {
  if (record.status === 'suspended') return { kind: 'unchanged', record };
  if (record.status !== 'running')
    return { kind: 'reject', error: suspendNotRunning(record.id, record.status) };
  const epoch = record.version + 1;
  const suspension: Suspension = {
    reason: req.reason,
    initiator: req.initiator,
    suspended_at: now.iso,
    suspended_at_ms: now.ms,
    epoch,
    snapshot_ref: record.snapshot_path ?? '',
    conditions: req.rawConditions,
  };
  if (req.suspendedAtTurn !== undefined) suspension.suspended_at_turn = req.suspendedAtTurn;
  const timeout = req.conditions?.timeout;
  if (timeout) {
    suspension.deadline_ms = timeoutDeadlineMs(timeout, now.ms);
    suspension.on_timeout = timeout.on_timeout;
    if (timeout.input !== undefined) suspension.timeout_input = timeout.input;
    suspension.timeout_job_id = jobIds.timeout(record.id, epoch);
  }
  const matchEvents = req.conditions ? triggerMatchEvents(req.conditions) : [];
  if (matchEvents.length > 0) {
    const provider = req.conditions?.trigger?.provider;
    suspension.auto_resume_trigger = {
      id: autoResumeTriggerId(record.id, req.triggerUnique),
      version: epoch,
      match_events: matchEvents,
      ...(typeof provider === 'string' ? { provider } : {}),
    };
  }
  return {
    kind: 'suspend',
    next: { ...record, status: 'suspended', version: epoch, updated_at_ms: now.ms, suspension, outbox: null },
  };
}

/** Status checks that run before the hooks (DESIGN §4 step 3): a dead resume consults nobody. */
export function checkResumable(record: WorkerRecord): SuspendError | null {
  if (record.status === 'cancelled') return workerClosed(record.id);
  if (record.status !== 'suspended' || !record.suspension) return notSuspended(record.id, record.status);
  return null;
}

/** Blank input is refused before any state changes (Harn flips the status first; we do not). */
export function checkResumeInput(record: WorkerRecord, options: ResumeOptions): SuspendError | null {
  return resumeInputText(options).kind === 'invalid' ? invalidResumeInput(record.id) : null;
}

export interface ResumeRequest {
  options: ResumeOptions;
  requestId: string;
  /** Digest of the transcript when continue_transcript is false (computed by the pluggable digest). */
  digest: string | null;
  hasParentSession?: boolean;
  /** The request is the suspension's own timeout job: it must not remove itself (its outcome stays). */
  byOwnTimeout?: boolean;
}

export function decideResume(record: WorkerRecord, req: ResumeRequest, now: Now): ResumeDecision {
  const rejection = checkResumable(record) ?? checkResumeInput(record, req.options);
  if (rejection) return { kind: 'reject', error: rejection };
  const suspension = record.suspension as Suspension;
  const input = resumeInputText(req.options);
  const version = record.version + 1;
  const continuity = buildContinuity({
    record,
    suspension,
    options: req.options,
    digest: req.digest,
    hasParentSession: req.hasParentSession ?? false,
  });
  const task = input.kind === 'text' ? input.text : record.task;
  const respawnJobId = jobIds.respawn(record.id, version);
  const effects: Effect[] = disarm(suspension, req.byOwnTimeout ?? false);
  effects.push({ kind: 'respawn', jobId: respawnJobId });
  effects.push({ kind: 'postResume' });
  const next: WorkerRecord = {
    ...record,
    status: 'running',
    version,
    updated_at_ms: now.ms,
    suspension: null,
    finished_at: null,
    finished_at_ms: null,
    latest_error: null,
    task,
    history: input.kind === 'text' ? [...record.history, input.text] : record.history,
    transcript: applyTranscriptPolicy(record.transcript, req.options.continueTranscript, req.digest),
    continuity,
    outbox: null,
    last_request: { id: req.requestId, version, respawnJobId },
  };
  const outcome = { outcome: 'resumed' as const, worker: summarize(next), respawnJobId, version };
  next.outbox = { version, requestId: req.requestId, effects };
  return { kind: 'resume', next, effects, outcome };
}

export type TimeoutDecision =
  | { kind: 'stale'; reason: string }
  | { kind: 'fail'; next: WorkerRecord; effects: Effect[] }
  | { kind: 'resume'; options: ResumeOptions };

/** A timeout job carries the epoch it was armed for; anything else has moved on and wins. */
export function decideTimeout(
  record: WorkerRecord,
  epoch: number,
  triggerEventId: string,
  now: Now,
): TimeoutDecision {
  const s = record.suspension;
  if (record.status !== 'suspended' || !s) return { kind: 'stale', reason: `status=${record.status}` };
  if (s.epoch !== epoch) return { kind: 'stale', reason: `suspended again at epoch ${s.epoch}` };
  const action = s.on_timeout ?? 'resume_with_summary';
  const triggerId = s.auto_resume_trigger?.id ?? s.timeout_job_id ?? null;
  if (action === 'fail') {
    // The running timeout job is the request itself: keep it (the consumer clears the deadline).
    const effects = disarm(s, true);
    const next: WorkerRecord = {
      ...record,
      status: 'failed',
      version: record.version + 1,
      updated_at_ms: now.ms,
      suspension: null,
      finished_at: now.iso,
      finished_at_ms: now.ms,
      latest_error: 'auto-resume timeout expired',
      outbox: null,
    };
    return { kind: 'fail', next, effects };
  }
  const raw = {
    type: 'auto_resume.timeout',
    worker_id: record.id,
    trigger_id: triggerId,
    on_timeout: action,
  };
  const triggerEvent: JsonValue = {
    provider: 'harn',
    kind: 'auto_resume.timeout',
    id: triggerEventId,
    dedupe_key: `auto_resume_timeout:${triggerId}:${epoch}`,
    provider_payload: { provider: 'harn', schema_name: 'AutoResumeTimeout', raw },
  };
  if (action === 'resume_with_summary') {
    return {
      kind: 'resume',
      options: {
        inputPresent: false,
        input: null,
        continueTranscript: false,
        initiator: 'timeout',
        triggerEvent,
      },
    };
  }
  const input: JsonValue = s.timeout_input !== undefined ? s.timeout_input : raw;
  return {
    kind: 'resume',
    options: { inputPresent: true, input, continueTranscript: true, initiator: 'timeout', triggerEvent },
  };
}

/** Effects that end a suspension's armed timeout and trigger bindings. */
function disarm(s: Suspension, keepTimeoutJob = false): Effect[] {
  const effects: Effect[] = [];
  if (s.timeout_job_id && !keepTimeoutJob)
    effects.push({ kind: 'removeTimeout', jobId: s.timeout_job_id, epoch: s.epoch });
  if (s.auto_resume_trigger) {
    const { id, match_events } = s.auto_resume_trigger;
    effects.push({ kind: 'dropTrigger', triggerId: id, epoch: s.epoch, matchEvents: match_events });
  }
  return effects;
}

export type FinishStatus = 'completed' | 'failed' | 'cancelled' | 'stopped';

/** close/stop apply to any status (Harn's finish_worker_with_event); complete/fail need `running`. */
export function decideFinish(
  record: WorkerRecord,
  status: FinishStatus,
  error: string | null,
  now: Now,
):
  | { kind: 'finish'; next: WorkerRecord; effects: Effect[] }
  | { kind: 'unchanged' }
  | { kind: 'reject'; error: SuspendError } {
  const closing = status === 'cancelled' || status === 'stopped';
  if (closing && record.status === status) return { kind: 'unchanged' };
  if (!closing && record.status !== 'running' && record.status !== 'interrupted') {
    return { kind: 'reject', error: notSuspendedOrRunning(record, status) };
  }
  const effects = record.suspension ? disarm(record.suspension) : [];
  const next: WorkerRecord = {
    ...record,
    status,
    version: record.version + 1,
    updated_at_ms: now.ms,
    suspension: null,
    finished_at: now.iso,
    finished_at_ms: now.ms,
    latest_error:
      status === 'cancelled' ? 'worker cancelled' : status === 'failed' ? (error ?? 'worker failed') : null,
    outbox: null,
  };
  return { kind: 'finish', next, effects };
}

function notSuspendedOrRunning(record: WorkerRecord, target: FinishStatus): SuspendError {
  return new SuspendError(
    HarnCode.SuspendWorkerNotRunning,
    `${target === 'completed' ? 'complete' : 'fail'}: worker ${record.id} is not running (status=${record.status})`,
    { workerId: record.id, status: record.status },
  );
}

export const eventTypeFor = (status: WorkerRecord['status']): string =>
  ({
    running: 'WorkerResumed',
    suspended: 'WorkerSuspended',
    completed: 'WorkerCompleted',
    failed: 'WorkerFailed',
    cancelled: 'WorkerCancelled',
    stopped: 'WorkerStopped',
    interrupted: 'WorkerInterrupted',
  })[status];

/** The respawn job's payload: what a runtime needs to run the resumed worker's next turn. */
export function respawnPayload(record: WorkerRecord): RespawnPayload {
  const initiator = record.continuity?.initiator;
  return {
    workerId: record.id,
    version: record.version,
    name: record.name,
    task: record.task,
    mode: record.mode,
    initiator: typeof initiator === 'string' ? initiator : 'operator',
    continuity: record.continuity,
  };
}

/** The outcome of the resume that produced `record` (its last_request), rebuilt from the record. */
export function resumedOutcome(record: WorkerRecord): ResumedOutcome | null {
  const last = record.last_request;
  if (!last) return null;
  return {
    outcome: 'resumed',
    worker: summarize(record),
    respawnJobId: last.respawnJobId,
    version: last.version,
  };
}
