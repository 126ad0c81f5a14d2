// The one Redlock wrapper. Redlock here is an efficiency lock (hooks rarely run twice); safety
// comes from the version compare-and-set at commit. We own the retry loop (backoff + jitter, bounded
// wait) so contention surfaces quickly as LockUnavailableError, which consumers turn into a delay.

import { ExecutionError, type Lock, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import { LockUnavailableError, ResumeProcessorError, RpCode } from '../errors.js';

export interface ResumeLockOptions {
  clients: Redis[];
  keyFor: (workerId: string) => string;
  ttlMs?: number;
  /** Total time spent retrying a contended acquire before giving up. */
  maxWaitMs?: number;
  baseDelayMs?: number;
}

export class ResumeLock {
  private readonly redlock: Redlock;
  private readonly ttlMs: number;
  private readonly maxWaitMs: number;
  private readonly baseDelayMs: number;
  private readonly keyFor: (workerId: string) => string;

  constructor(opts: ResumeLockOptions) {
    if (opts.clients.length === 0) throw new Error('ResumeLock needs at least one redis client');
    this.redlock = new Redlock(opts.clients, {
      retryCount: 0,
      driftFactor: 0.01,
      automaticExtensionThreshold: 500,
    });
    // Redlock emits per-client errors; they are reflected in acquire/extend results, so we only swallow here.
    this.redlock.on('error', () => {});
    this.ttlMs = opts.ttlMs ?? 2500;
    this.maxWaitMs = opts.maxWaitMs ?? 300;
    this.baseDelayMs = opts.baseDelayMs ?? 20;
    this.keyFor = opts.keyFor;
  }

  /**
   * Runs `routine` while holding the lock on `workerId`, extending it every ttl/3. If an extension
   * fails the signal aborts; the routine must check it before commit (the CAS catches the rest).
   */
  async using<T>(workerId: string, routine: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const resource = this.keyFor(workerId);
    const lock = await this.acquire(resource);
    const controller = new AbortController();
    let current: Lock = lock;
    let extending: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        extending = current
          .extend(this.ttlMs)
          .then((next) => {
            current = next;
          })
          .catch((cause: unknown) => {
            clearInterval(timer);
            controller.abort(
              new ResumeProcessorError(RpCode.LockLost, `lost lock ${resource} while working`, {
                workerId,
                cause,
                retryable: true,
              }),
            );
          });
      },
      Math.floor(this.ttlMs / 3),
    );
    try {
      return await routine(controller.signal);
    } finally {
      clearInterval(timer);
      await extending;
      await current.release().catch(() => {
        // The lock expires by itself; a failed release only delays the next holder by the TTL.
      });
    }
  }

  private async acquire(resource: string): Promise<Lock> {
    const started = Date.now();
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        return await this.redlock.acquire([resource], this.ttlMs);
      } catch (err) {
        if (!(err instanceof ExecutionError || err instanceof ResourceLockedError)) throw err;
        const waited = Date.now() - started;
        const delay = Math.min(this.baseDelayMs * 2 ** (attempts - 1), 200) * (0.5 + Math.random());
        if (waited + delay > this.maxWaitMs) throw new LockUnavailableError(resource, attempts, waited, err);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
