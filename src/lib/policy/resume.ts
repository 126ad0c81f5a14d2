// Resume (DESIGN §4 steps 3-7) as pure pieces: the checks that run before the PreResume hooks, and
// the decision that builds the resumed record and its effects from the hooks' final options.

import type { ResumeProcessorError } from '../errors.js';
import { buildContinuity } from './continuity.js';
import { commit, type Decision, type Now, reject } from './decision.js';
import { jobIds } from './ids.js';
import {
  earlySuspensionEnded,
  invalidResumeInput,
  notSuspended,
  notSuspendedAt,
  unknownWorker,
  workerClosed,
} from './messages.js';
import { resumeInputText } from './resume-options.js';
import { applyTranscriptPolicy } from './transcript.js';
import type { Effect, ResumeOptions, StoredOutcome, Suspension, WorkerRecord } from './types.js';

/** A resume's own outcome, when the record already holds it: a redelivered request that committed. */
export type ResumeInfo = { kind: 'replay'; outcome: StoredOutcome };

export interface ResumeRequest {
  options: ResumeOptions;
  requestId: string;
  /** Digest of the transcript when continue_transcript is false (computed by the pluggable digest). */
  digest: string | null;
  hasParentSession?: boolean;
  /** The consumer has PostResume hooks: record them as an effect so a redelivery runs them. */
  postResume?: boolean;
}

/** Set by event delivery: the resume applies only to the suspension whose trigger binding it found. */
export interface EventTarget {
  epoch: number;
  kind: string;
}

/**
 * Everything that answers a resume before its hooks run (DESIGN §4 steps 1-4): an unknown worker,
 * the request's own earlier commit (replay), a stale event binding, an early resume the current
 * suspension did not take, a pinned resume of another suspension, a closed or not suspended worker, blank input. null: go on to the hooks.
 */
export function precheckResume(
  record: WorkerRecord | null,
  workerId: string,
  req: {
    options: ResumeOptions;
    requestId: string;
    event?: EventTarget;
    early?: string;
    /** A resume pinned to one suspension (a resume link's): that epoch or nothing. */
    suspensionEpoch?: number;
  },
): Decision<ResumeInfo> | null {
  if (!record) return reject(unknownWorker(workerId));
  const own = ownOutcome(record, req.requestId);
  if (own) return { kind: 'unchanged', info: { kind: 'replay', outcome: own } };
  if (req.event && !waitsForEvent(record, req.event)) return reject(notSuspended(record.id, record.status));
  if (req.early !== undefined && !tookEarly(record, req.early))
    return reject(earlySuspensionEnded(record.id, record.status, req.early));
  const epoch = record.status === 'suspended' ? record.suspension?.epoch : undefined;
  if (req.suspensionEpoch !== undefined && epoch !== undefined && epoch !== req.suspensionEpoch)
    return reject(notSuspendedAt(record.id, req.suspensionEpoch, epoch));
  const error = checkResumable(record) ?? checkResumeInput(record, req.options);
  return error ? reject(error) : null;
}

/** Status checks that run before the hooks (DESIGN §4 step 3): a dead resume consults nobody. */
export function checkResumable(record: WorkerRecord): ResumeProcessorError | null {
  if (record.status === 'cancelled') return workerClosed(record.id);
  if (record.status !== 'suspended' || !record.suspension) return notSuspended(record.id, record.status);
  return null;
}

/** Blank input is refused before any state changes (Harn flips the status first; we do not). */
export function checkResumeInput(record: WorkerRecord, options: ResumeOptions): ResumeProcessorError | null {
  return resumeInputText(options).kind === 'invalid' ? invalidResumeInput(record.id) : null;
}

/**
 * An event's resume applies only to the suspension whose binding it found (same epoch) and only if
 * that suspension waits for this kind.
 */
export function waitsForEvent(record: WorkerRecord, event: EventTarget): boolean {
  const s = record.suspension;
  if (record.status !== 'suspended' || !s || s.epoch !== event.epoch) return false;
  return (s.auto_resume_trigger?.match_events ?? []).includes(event.kind);
}

/** An early resume applies only to the suspension that took it from the worker's inbox. */
export function tookEarly(record: WorkerRecord, jobId: string): boolean {
  const s = record.status === 'suspended' ? record.suspension : null;
  return s?.early_requests?.includes(jobId) ?? false;
}

/** Steps 6-7: the resumed record, with the respawn and PostResume as its effects. */
export function decideResume(record: WorkerRecord, req: ResumeRequest, now: Now): Decision<ResumeInfo> {
  const rejection = checkResumable(record) ?? checkResumeInput(record, req.options);
  if (rejection) return reject(rejection);
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
  const effects: Effect[] = [{ kind: 'respawn' }];
  if (req.postResume) effects.push({ kind: 'postResume' });
  const next: WorkerRecord = {
    ...record,
    status: 'running',
    version,
    updated_at_ms: now.ms,
    suspension: null,
    finished_at: null,
    finished_at_ms: null,
    latest_error: null,
    task: input.kind === 'text' ? input.text : record.task,
    history: input.kind === 'text' ? [...record.history, input.text] : record.history,
    transcript: applyTranscriptPolicy(record.transcript, req.options.continueTranscript, req.digest),
    continuity,
    outbox: null,
    last_request: { id: req.requestId, version },
  };
  const initiator = continuity.initiator;
  return commit(next, effects, {
    type: 'WorkerResumed',
    data: { initiator: typeof initiator === 'string' ? initiator : null, request: req.requestId },
  });
}

/** The outcome of the resume that produced `record`, when `requestId` made it. */
export function ownOutcome(record: WorkerRecord, requestId: string): StoredOutcome | null {
  const last = record.last_request;
  if (!last || last.id !== requestId) return null;
  return resumedOutcome(record.id, last.version);
}

export const resumedOutcome = (
  workerId: string,
  version: number,
): Extract<StoredOutcome, { outcome: 'resumed' }> => ({
  outcome: 'resumed',
  version,
  respawnJobId: jobIds.respawn(workerId, version),
});

/** The respawn job's initiator: what the runtime logs about who resumed the worker. */
export function respawnInitiator(record: WorkerRecord): string {
  const initiator = record.continuity?.initiator;
  return typeof initiator === 'string' ? initiator : 'operator';
}
