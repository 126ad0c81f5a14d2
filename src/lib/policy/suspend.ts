// Suspend (DESIGN §4): an already suspended worker is returned unchanged, a worker that is not
// running is refused, otherwise one commit parks it and arms its timeout and trigger bindings. Early
// resumes waiting in the worker's inbox (not expired) are taken by the new suspension: the commit
// makes their jobs ready, and the timeout is not armed when one of them may resume it (its input
// matches the suspension's input schema; one that does not is still taken, and refused by the
// consumer with RP-INPUT-SCHEMA).

import { autoResumeTriggerId, timeoutDeadlineMs, triggerMatchEvents } from './conditions.js';
import { arm, commit, type Decision, type Now, reject, unchanged } from './decision.js';
import { jobIds } from './ids.js';
import { suspendNotRunning, unknownWorker, versionConflict } from './messages.js';
import type { JsonValue, ResumeConditions, SuspendInitiator, Suspension, WorkerRecord } from './types.js';

export interface SuspendRequest {
  reason: string;
  initiator: SuspendInitiator;
  rawConditions: JsonValue;
  conditions: ResumeConditions | null;
  suspendedAtTurn?: number;
  /** Unique part of the auto-resume trigger id (the caller makes it; policy has no randomness). */
  triggerUnique: string;
  /** A runtime reporting back fences itself with the version it was given. */
  expectVersion?: number;
  /** JSON Schema the resume input must match (checked by the producer before it gets here). */
  inputSchema?: JsonValue;
  /** The worker's inbox as read with the record; `fits`: the input matches `inputSchema`. */
  early?: readonly { jobId: string; expiresAtMs: number; fits: boolean }[];
}

export function decideSuspend(
  record: WorkerRecord | null,
  workerId: string,
  req: SuspendRequest,
  now: Now,
): Decision<'already-suspended'> {
  if (!record) return reject(unknownWorker(workerId));
  if (req.expectVersion !== undefined && record.version !== req.expectVersion)
    return reject(versionConflict(record, req.expectVersion));
  if (record.status === 'suspended') return unchanged('already-suspended');
  if (record.status !== 'running') return reject(suspendNotRunning(record.id, record.status));
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
  if (req.inputSchema !== undefined) suspension.input_schema = req.inputSchema;
  const early = (req.early ?? []).filter((e) => e.expiresAtMs > now.ms);
  if (early.length > 0) suspension.early_requests = early.map((e) => e.jobId);
  const timeout = req.conditions?.timeout;
  if (timeout && !early.some((e) => e.fits)) {
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
  const next: WorkerRecord = {
    ...record,
    status: 'suspended',
    version: epoch,
    updated_at_ms: now.ms,
    suspension,
    outbox: null,
  };
  return commit(
    next,
    arm(suspension),
    early.length > 0
      ? { type: 'WorkerSuspended', data: { early: early.map((e) => e.jobId) } }
      : { type: 'WorkerSuspended' },
  );
}
