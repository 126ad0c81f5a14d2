// Fixture factories: a valid WorkerRecord / Suspension with every field of types.ts, overridable.

import type { Suspension, WorkerRecord } from '../../src/lib/policy/types.js';

export const FIXED_ISO = '2025-01-02T03:04:05.000Z';
export const FIXED_MS = Date.parse(FIXED_ISO);

export function makeSuspension(overrides: Partial<Suspension> = {}): Suspension {
  return {
    reason: 'waiting for review',
    initiator: 'operator',
    suspended_at: FIXED_ISO,
    suspended_at_ms: FIXED_MS,
    epoch: 2,
    snapshot_ref: '.harn/workers/worker_1.json',
    conditions: null,
    auto_resume_trigger: null,
    ...overrides,
  };
}

export function makeRecord(overrides: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    _type: 'worker_record',
    id: 'worker_1',
    name: 'reviewer',
    task: 'review the pull request',
    mode: 'sub_agent',
    status: 'running',
    version: 1,
    created_at: FIXED_ISO,
    created_at_ms: FIXED_MS,
    started_at: FIXED_ISO,
    started_at_ms: FIXED_MS,
    finished_at: null,
    finished_at_ms: null,
    updated_at_ms: FIXED_MS,
    history: [],
    config: {
      mode: 'sub_agent',
      spec: { name: 'reviewer', task: 'review the pull request', session_id: null },
    },
    transcript: null,
    suspension: null,
    latest_error: null,
    latest_payload: null,
    continuity: null,
    parent_worker_id: null,
    snapshot_path: '.harn/workers/worker_1.json',
    carry_policy: {
      artifact_mode: 'inherit',
      transcript_mode: 'inherit',
      context_policy: null,
      resume_workflow: true,
      persist_state: true,
      retriggerable: false,
      policy: null,
    },
    extra: {},
    outbox: null,
    ...overrides,
  };
}

/** A record suspended with `suspension` (status, version and epoch kept consistent). */
export function makeSuspendedRecord(
  suspension: Partial<Suspension> = {},
  overrides: Partial<WorkerRecord> = {},
): WorkerRecord {
  const s = makeSuspension(suspension);
  return makeRecord({ status: 'suspended', version: s.epoch, suspension: s, ...overrides });
}
