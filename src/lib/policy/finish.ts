// Ending a worker: close/stop apply to any status (Harn's finish_worker_with_event) and are
// idempotent; complete/fail are a runtime's report-back and need a running worker.

import { HarnCode, SuspendError } from '../errors.js';
import { commit, type Decision, eventTypeFor, type Now, reject, unchanged } from './decision.js';
import { unknownWorker, versionConflict } from './messages.js';
import type { WorkerRecord } from './types.js';

export type FinishStatus = 'completed' | 'failed' | 'cancelled' | 'stopped';

export interface FinishRequest {
  status: FinishStatus;
  error: string | null;
  expectVersion?: number;
}

export function decideFinish(
  record: WorkerRecord | null,
  workerId: string,
  req: FinishRequest,
  now: Now,
): Decision<'already-closed'> {
  if (!record) return reject(unknownWorker(workerId));
  if (req.expectVersion !== undefined && record.version !== req.expectVersion)
    return reject(versionConflict(record, req.expectVersion));
  const { status } = req;
  const closing = status === 'cancelled' || status === 'stopped';
  if (closing && record.status === status) return unchanged('already-closed');
  if (!closing && record.status !== 'running' && record.status !== 'interrupted') {
    return reject(notRunning(record, status));
  }
  const next: WorkerRecord = {
    ...record,
    status,
    version: record.version + 1,
    updated_at_ms: now.ms,
    suspension: null,
    finished_at: now.iso,
    finished_at_ms: now.ms,
    latest_error:
      status === 'cancelled'
        ? 'worker cancelled'
        : status === 'failed'
          ? (req.error ?? 'worker failed')
          : null,
    outbox: null,
  };
  return commit(next, [], { type: eventTypeFor(status) });
}

function notRunning(record: WorkerRecord, target: FinishStatus): SuspendError {
  return new SuspendError(
    HarnCode.SuspendWorkerNotRunning,
    `${target === 'completed' ? 'complete' : 'fail'}: worker ${record.id} is not running (status=${record.status})`,
    { workerId: record.id, status: record.status },
  );
}
