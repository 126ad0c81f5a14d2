// Creating a worker: registration of a new one and the import of a snapshot over (or beside) a
// stored one. Both are decisions the kernel commits like any other transition.

import { ResumeProcessorError, RpCode } from '../errors.js';
import { arm, commit, type Decision, type Now, reject } from './decision.js';
import { jobIds } from './ids.js';
import type { JsonValue, Suspension, Transcript, WorkerMode, WorkerRecord } from './types.js';

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

export const workerExists = (id: string, detail = '') =>
  new ResumeProcessorError(RpCode.WorkerExists, `worker ${id} already exists${detail}`, { workerId: id });

export function decideRegister(existing: WorkerRecord | null, w: NewWorker, now: Now): Decision {
  if (existing) return reject(workerExists(w.id));
  return commit(newWorkerRecord(w, now), [], { type: 'WorkerSpawned' });
}

/**
 * A cold load (Harn replaces a live entry): the imported record takes the next version, so fencing
 * holds across the replacement; the commit ends the old suspension's timeout, the effect arms the new.
 */
export function decideImport(
  existing: WorkerRecord | null,
  imported: WorkerRecord,
  replace: boolean,
): Decision {
  if (existing && !replace) return reject(workerExists(imported.id, ' (import without replace)'));
  const next = existing ? withVersion(imported, existing.version + 1) : imported;
  return commit({ ...next, outbox: null }, next.status === 'suspended' ? arm(next.suspension) : [], {
    type: 'WorkerImported',
    data: { path: next.snapshot_path, status: next.status },
  });
}

/**
 * The record at another version, e.g. when an import replaces a stored worker: a suspension's epoch
 * and its timeout job id follow the version.
 */
export function withVersion(record: WorkerRecord, version: number): WorkerRecord {
  const s = record.suspension;
  if (!s) return { ...record, version };
  const suspension: Suspension = { ...s, epoch: version };
  if (s.timeout_job_id !== undefined) suspension.timeout_job_id = jobIds.timeout(record.id, version);
  return { ...record, version, suspension };
}
