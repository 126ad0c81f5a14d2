// Changing what a suspended worker waits for, without resuming it: move its timeout's deadline
// (extendTimeout) or disarm its timeout and/or its event trigger (cancelWait). Both are commits of
// the suspension they find (same epoch); a move bumps the suspension's deadline_rev, so the timeout
// job armed before it is stale when it runs (planTimeout), and the commit replaces that job (removed
// while still delayed, the new one added). Racing the timeout itself, one of the two commits wins
// the version compare-and-set: a fired timeout leaves the worker no longer suspended (HARN-SUS-003
// to the move), a move first leaves the old job stale.

import { HarnCode, ResumeProcessorError, RpCode, SuspendError } from '../errors.js';
import { arm, commit, type Decision, type Now, reject, unchanged } from './decision.js';
import { jobIds } from './ids.js';
import { notSuspended, unknownWorker } from './messages.js';
import type { JsonObject, JsonValue, Suspension, WorkerRecord } from './types.js';

export interface DeadlineMove {
  /** Add this many ms to the current deadline (negative: sooner). */
  byMs?: number;
  /** The new deadline (epoch ms). */
  untilMs?: number;
  /** Refuse (HARN-SUS-003) unless the worker is still in the suspension of this epoch. */
  expectEpoch?: number;
}

export const WAIT_CONDITIONS = ['timeout', 'trigger'] as const;
export type WaitCondition = (typeof WAIT_CONDITIONS)[number];

const noTimeout = (id: string) =>
  new ResumeProcessorError(RpCode.NoTimeout, `worker ${id} is suspended without an armed timeout`, {
    workerId: id,
    status: 'suspended',
  });

/** The suspension a wait change applies to, or the refusal. */
function current(
  record: WorkerRecord | null,
  id: string,
  expectEpoch?: number,
): { record: WorkerRecord; s: Suspension } | ResumeProcessorError {
  if (!record) return unknownWorker(id);
  const s = record.status === 'suspended' ? record.suspension : null;
  if (!s) return notSuspended(id, record.status);
  if (expectEpoch !== undefined && s.epoch !== expectEpoch)
    return new SuspendError(
      HarnCode.ResumeWorkerNotSuspended,
      `resume_agent: worker ${id} is not suspended at epoch ${expectEpoch} (now epoch ${s.epoch})`,
      { workerId: id, status: 'suspended', details: { epoch: s.epoch } },
    );
  return { record, s };
}

/** Moves the armed timeout of the current suspension; a deadline in the past fires at once. */
export function decideExtend(
  record: WorkerRecord | null,
  id: string,
  move: DeadlineMove,
  now: Now,
): Decision<never> {
  const found = current(record, id, move.expectEpoch);
  if (found instanceof ResumeProcessorError) return reject(found);
  const { record: r, s } = found;
  if (s.deadline_ms === undefined) return reject(noTimeout(id));
  const to = move.untilMs ?? s.deadline_ms + (move.byMs ?? 0);
  const rev = (s.deadline_rev ?? 0) + 1;
  const suspension: Suspension = {
    ...s,
    deadline_ms: to,
    deadline_rev: rev,
    timeout_job_id: jobIds.timeout(id, s.epoch, rev),
  };
  const next: WorkerRecord = { ...r, version: r.version + 1, updated_at_ms: now.ms, suspension };
  return commit(next, arm(suspension), {
    type: 'WorkerDeadlineMoved',
    data: { epoch: s.epoch, from: s.deadline_ms, to },
  });
}

/**
 * Disarms the named conditions of the current suspension; the worker stays suspended (for an
 * operator to resume or close). Conditions already disarmed are skipped: nothing left to cancel is
 * `unchanged`, so the call is idempotent.
 */
export function decideCancelWait(
  record: WorkerRecord | null,
  id: string,
  conditions: readonly WaitCondition[],
  now: Now,
): Decision<{ cancelled: WaitCondition[] }> {
  const found = current(record, id);
  if (found instanceof ResumeProcessorError) return reject(found);
  const { record: r, s } = found;
  const timeout = conditions.includes('timeout') && s.deadline_ms !== undefined;
  const trigger = conditions.includes('trigger') && (s.auto_resume_trigger?.match_events.length ?? 0) > 0;
  if (!timeout && !trigger) return unchanged({ cancelled: [] });
  const suspension: Suspension = { ...s };
  const shown =
    s.conditions !== null && typeof s.conditions === 'object' && !Array.isArray(s.conditions)
      ? { ...(s.conditions as JsonObject) }
      : null;
  if (timeout) {
    delete suspension.deadline_ms;
    delete suspension.on_timeout;
    delete suspension.timeout_input;
    delete suspension.timeout_job_id;
    suspension.deadline_rev = (s.deadline_rev ?? 0) + 1;
    if (shown) delete shown.timeout;
  }
  if (trigger) {
    suspension.auto_resume_trigger = null;
    if (shown) {
      delete shown.trigger;
      delete shown.on_event;
    }
  }
  if (shown) suspension.conditions = shown as JsonValue;
  const cancelled = WAIT_CONDITIONS.filter((c) => (c === 'timeout' ? timeout : trigger));
  const next: WorkerRecord = { ...r, version: r.version + 1, updated_at_ms: now.ms, suspension };
  return commit(next, [], { type: 'WorkerWaitCancelled', data: { epoch: s.epoch, conditions: cancelled } });
}
