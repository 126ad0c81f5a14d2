// A timeout job fires (DESIGN §4): a suspension that ended is a no-op; `fail` fails the worker
// without hooks; the resume actions become a resume with initiator `timeout`.

import { commit, type Decision, type Now } from './decision.js';
import type { JsonValue, ResumeOptions, WorkerRecord } from './types.js';

export type TimeoutPlan =
  | { kind: 'stale'; reason: string }
  | { kind: 'fail' }
  | { kind: 'resume'; options: ResumeOptions };

/** A timeout job carries the epoch it was armed for; anything else has moved on and wins. */
export function planTimeout(record: WorkerRecord | null, epoch: number, triggerEventId: string): TimeoutPlan {
  if (!record) return { kind: 'stale', reason: 'unknown worker' };
  const s = record.suspension;
  if (record.status !== 'suspended' || !s) return { kind: 'stale', reason: `status=${record.status}` };
  if (s.epoch !== epoch) return { kind: 'stale', reason: `suspended again at epoch ${s.epoch}` };
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

/** `on_timeout: fail` (after planTimeout said so): the worker fails with Harn's error text, no hooks. */
export function decideTimeoutFail(record: WorkerRecord, now: Now): Decision<never> {
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
  return commit(next, [], { type: 'WorkerFailed', data: { reason: 'timeout' } });
}
