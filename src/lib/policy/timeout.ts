// A timeout job fires (DESIGN §4): a suspension that ended is a no-op; `fail` fails the worker
// without hooks; the resume actions become a resume with initiator `timeout`.

import { commit, type Decision, type Now } from './decision.js';
import { resumedOutcome } from './resume.js';
import type { JsonValue, ResumeOptions, TimeoutOutcome, WorkerRecord } from './types.js';

export type TimeoutPlan =
  | { kind: 'own'; outcome: TimeoutOutcome }
  | { kind: 'stale'; reason: string }
  | { kind: 'fail' }
  | { kind: 'resume'; options: ResumeOptions }
  /** Due later by Redis's clock: a consumer whose clock runs ahead took the job early. */
  | { kind: 'early'; waitMs: number };

/**
 * A timeout job carries the epoch (and deadline rev) it was armed for; anything else has moved on
 * and wins: another suspension, or a deadline moved by extendTimeout or disarmed by cancelWait. A
 * redelivered job whose commit already landed (the record's last_request is its own request id)
 * reports the outcome it applied. With `serverNowMs` (Redis's clock), a deadline still ahead of it is
 * `early`: BullMQ promotes a delayed job by the clock of the consumer that fetches it.
 */
export function planTimeout(
  record: WorkerRecord | null,
  epoch: number,
  requestId: string,
  rev = 0,
  serverNowMs?: number,
): TimeoutPlan {
  if (!record) return { kind: 'stale', reason: 'unknown worker' };
  const last = record.last_request;
  if (last && last.id === requestId)
    return {
      kind: 'own',
      outcome: last.failed
        ? { outcome: 'failed', version: last.version }
        : resumedOutcome(record.id, last.version),
    };
  const s = record.suspension;
  if (record.status !== 'suspended' || !s) return { kind: 'stale', reason: `status=${record.status}` };
  if (s.epoch !== epoch) return { kind: 'stale', reason: `suspended again at epoch ${s.epoch}` };
  if ((s.deadline_rev ?? 0) !== rev || s.deadline_ms === undefined)
    return {
      kind: 'stale',
      reason: s.deadline_ms === undefined ? 'the timeout was cancelled' : 'the deadline was moved',
    };
  if (serverNowMs !== undefined && s.deadline_ms > serverNowMs)
    return { kind: 'early', waitMs: s.deadline_ms - serverNowMs };
  const action = s.on_timeout ?? 'resume_with_summary';
  if (action === 'fail') return { kind: 'fail' };
  const triggerId = s.auto_resume_trigger?.id ?? s.timeout_job_id ?? null;
  const raw = {
    type: 'auto_resume.timeout',
    worker_id: record.id,
    trigger_id: triggerId,
    on_timeout: action,
  };
  const triggerEvent: JsonValue = {
    provider: 'harn',
    kind: 'auto_resume.timeout',
    id: requestId,
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

/** `on_timeout: fail` (after planTimeout said so): the worker fails with Harn's error text, no hooks. */
export function decideTimeoutFail(record: WorkerRecord, now: Now, requestId: string): Decision<never> {
  const version = record.version + 1;
  const next: WorkerRecord = {
    ...record,
    status: 'failed',
    version,
    updated_at_ms: now.ms,
    suspension: null,
    finished_at: now.iso,
    finished_at_ms: now.ms,
    latest_error: 'auto-resume timeout expired',
    outbox: null,
    last_request: { id: requestId, version, failed: true },
  };
  return commit(next, [], { type: 'WorkerFailed', data: { reason: 'timeout' } });
}
