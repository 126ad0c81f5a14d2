// The rejection errors of Harn's resume logic, with Harn's message texts (harn-semantics §7).

import { HarnCode, ResumeProcessorError, RpCode, SuspendError } from '../errors.js';

export const suspendNotRunning = (id: string, status: string) =>
  new SuspendError(
    HarnCode.SuspendWorkerNotRunning,
    `suspend_agent: worker ${id} is not running (status=${status})`,
    {
      workerId: id,
      status,
    },
  );

export const notSuspended = (id: string, status: string) =>
  new SuspendError(
    HarnCode.ResumeWorkerNotSuspended,
    `resume_agent: worker ${id} is not suspended (status=${status})`,
    { workerId: id, status },
  );

/** A resume pinned to a suspension (a resume link's) that is no longer the current one: HARN-SUS-003. */
export const notSuspendedAt = (id: string, epoch: number, now: number) =>
  new SuspendError(
    HarnCode.ResumeWorkerNotSuspended,
    `resume_agent: worker ${id} is not suspended at epoch ${epoch} (now epoch ${now})`,
    { workerId: id, status: 'suspended' },
  );

/** An early resume whose suspension ended (or that a suspension never took): HARN-SUS-003. */
export const earlySuspensionEnded = (id: string, status: string, jobId: string) =>
  new SuspendError(
    HarnCode.ResumeWorkerNotSuspended,
    `resume_agent: worker ${id} is not in the suspension that took early resume ${jobId} (status=${status})`,
    { workerId: id, status },
  );

export const workerClosed = (id: string) =>
  new SuspendError(
    HarnCode.ResumeWorkerClosed,
    `resume_agent: worker ${id} was closed and cannot be resumed`,
    {
      workerId: id,
      status: 'cancelled',
    },
  );

export const invalidResumeInput = (id?: string) =>
  new SuspendError(HarnCode.ResumeInputInvalid, 'resume_agent: resume input must be nil or non-empty text', {
    ...(id === undefined ? {} : { workerId: id }),
    path: 'input',
  });

/**
 * The one conflict error (HARN-SUS-006): the worker changed under the writer, whether a commit lost
 * its compare-and-set more often than the retry bound allows or a runtime reported back with a
 * version the worker has moved past. Retryable: a fresh read decides again.
 */
export const versionConflict = (record: { id: string; status: string; version: number }, expected: number) =>
  new SuspendError(
    HarnCode.ConcurrentResumeConflict,
    `worker ${record.id} changed before the write could complete (status=${record.status}, version ${record.version}, expected ${expected})`,
    { workerId: record.id, status: record.status, retryable: true },
  );

export const unknownWorker = (id: string) =>
  new ResumeProcessorError(RpCode.UnknownWorker, `unknown worker: ${id}`, { workerId: id });

export const conditionsInvalid = (field: string, detail: string) =>
  new SuspendError(HarnCode.ResumeConditionsInvalid, `invalid ResumeConditions.${field}: ${detail}`, {
    path: `conditions.${field}`,
  });

export const timeoutUnsupported = (value: string) =>
  new SuspendError(
    HarnCode.ResumeTimeoutUnsupported,
    `auto_resume: unsupported conditions.timeout.on_timeout \`${value}\`; expected one of: resume_with_summary, resume_with_input, fail`,
    { path: 'conditions.timeout.on_timeout' },
  );

export const snapshotInvalid = (target: string, reason: string) =>
  new SuspendError(
    HarnCode.ResumeSnapshotInvalid,
    `resume_agent: failed to load snapshot \`${target}\`: ${reason}`,
    {
      path: target,
    },
  );

export const missingTarget = () =>
  new SuspendError(HarnCode.ResumeSnapshotInvalid, 'resume_agent: missing worker id or snapshot path');
