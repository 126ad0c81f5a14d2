// What every transition returns: the kernel (`WorkerStore.apply`) commits `next` with its effects
// and event in one script, or leaves the record as it is. Decisions are data; nothing here runs.

import type { ResumeProcessorError } from '../errors.js';
import { isoFromMs } from './iso-time.js';
import type { Effect, JsonObject, Suspension, WorkerRecord } from './types.js';

export interface Now {
  ms: number;
  iso: string;
  /** Redis's clock at the read the decision is made on, when the read told it. */
  serverMs?: number;
}

export const nowFrom = (ms: number): Now => ({ ms, iso: isoFromMs(ms) });

/** A lifecycle event, appended to the worker's event log by the commit that produces it. */
export interface LifecycleEvent {
  type: string;
  data?: JsonObject;
}

/**
 * `commit`: write `next` (version + 1) with its effects as the outbox and `event` in the log.
 * `unchanged`: nothing to write; `info` says why (already suspended, blocked by a hook, a replay).
 * `reject`: a defined refusal; nothing is written.
 */
export type Decision<Info = undefined> =
  | { kind: 'commit'; next: WorkerRecord; effects: Effect[]; event: LifecycleEvent }
  | { kind: 'unchanged'; info: Info }
  | { kind: 'reject'; error: ResumeProcessorError };

export const commit = (next: WorkerRecord, effects: Effect[], event: LifecycleEvent): Decision<never> => ({
  kind: 'commit',
  next,
  effects,
  event,
});

export const reject = (error: ResumeProcessorError): Decision<never> => ({ kind: 'reject', error });

export const unchanged = <Info>(info: Info): Decision<Info> => ({ kind: 'unchanged', info });

/** The effect that arms a suspension's timeout job, when it has one. */
export function arm(s: Suspension | null): Effect[] {
  if (s?.deadline_ms === undefined) return [];
  const rev = s.deadline_rev ?? 0;
  return [{ kind: 'armTimeout', epoch: s.epoch, dueAtMs: s.deadline_ms, ...(rev === 0 ? {} : { rev }) }];
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
