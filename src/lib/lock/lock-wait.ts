// What a request does when its worker's lock is held elsewhere: it waits (the consumer moves its
// job to delayed for a backoff of its own) and the waits an operator should see are reported.

import type { Logger } from 'pino';
import type { LockUnavailableError } from '../errors.js';

/**
 * How long a request that did not get its worker's lock waits before it is tried again, by how many
 * times it has waited (1 = the first): doubling from 50 ms, capped at 2 s, ±25% jitter so the
 * requests of one outage do not all come back at the same moment. Contention between duplicates
 * clears within the first wait or two; only a long hold or a lost Redlock majority reaches the cap.
 */
export function lockWaitDelayMs(waits: number): number {
  const base = Math.min(50 * 2 ** Math.max(0, waits - 1), 2000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * One warn line per `everyMs` for lock waits an operator should see (a lost Redlock majority, or a
 * request that kept waiting), carrying RP-LOCK-UNAVAILABLE and the count since the last line; the
 * rest (ordinary contention between duplicates) go to `debug`.
 */
export function lockWaitReporter(
  log: Pick<Logger, 'warn' | 'debug'>,
  everyMs = 5000,
): (err: LockUnavailableError, fields: { jobId?: string; waits: number; delayMs: number }) => void {
  let last = 0;
  let unreported = 0;
  return (err, fields) => {
    const serious = err.quorum !== undefined || fields.waits >= 5;
    const line = { code: err.code, resource: err.resource, ...err.quorum, ...fields };
    if (!serious) return log.debug(line, 'worker lock busy; request delayed');
    unreported += 1;
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    log.warn(
      { ...line, err, delayed: unreported },
      err.quorum
        ? 'no Redlock majority: resume requests wait (not failed) until enough lock servers are back'
        : 'a worker lock stays unavailable: its requests keep waiting',
    );
    unreported = 0;
  };
}
