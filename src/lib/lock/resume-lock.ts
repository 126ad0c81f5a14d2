// The one lock wrapper. The lock is an efficiency lock (hooks rarely run twice); safety comes from
// the version compare-and-set at commit. We own the retry loop (backoff + jitter, bounded wait) so
// contention surfaces quickly as LockUnavailableError, which consumers turn into a delay (a backoff
// of their own per request: `lockWaitDelayMs` in lock-wait.ts).
//
// Two forms of the same Redlock algorithm (a random value set with NX PX, extended and released by
// compare-and-set on that value):
//  - one lock server (the default): the lock key lives in the worker's partition, taken by the
//    script that reads the record and released by the script that commits the change (or settles
//    its outbox), so it costs no request of its own;
//  - a quorum (REDLOCK_URLS): @sesamecare-oss/redlock over independent servers, a majority needed.

import { randomUUID } from 'node:crypto';
import { ExecutionError, type Lock, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import { LockUnavailableError, type QuorumState, ResumeProcessorError, RpCode } from '../errors.js';
import type { Snapshot, WorkerStore } from '../store/worker-store.js';

export interface ResumeLockOptions {
  store: WorkerStore;
  /** Independent Redis servers of a Redlock quorum; none: the lock lives with the worker. */
  quorum?: Redis[];
  ttlMs?: number;
  /** Total time spent retrying a contended acquire before giving up. */
  maxWaitMs?: number;
  baseDelayMs?: number;
  /** Told how long each acquire waited, taken or given up (a metric; no I/O). */
  onWait?: (waitedMs: number) => void;
}

/** A held lock: extended every ttl/3 until released. */
export interface Lease {
  /** Throws when an extension failed (the lock may be someone else's now): call it before a commit. */
  check(): void;
  /**
   * The lock's value when a store script can release it (one lock server: the commit or the
   * settle does); null when `release()` must (a quorum).
   */
  readonly value: string | null;
  /** A store script released the lock: stop extending it; `release()` does nothing more. */
  released(): void;
  /** Releases the lock; a lease already released is left alone. */
  release(): Promise<void>;
}

export interface LockedRead {
  lease: Lease;
  snapshot: Snapshot | null;
  idempotency: string | null;
  /** Redis's clock at the read, when the read told it (the lock kept with the worker; not Redlock). */
  serverMs?: number;
}

interface Holder {
  extend(): Promise<boolean>;
  release(): Promise<void>;
  /** The value the store may release the lock with, or null. */
  value: string | null;
}

export class ResumeLock {
  private readonly store: WorkerStore;
  private readonly redlock: Redlock | null;
  private readonly quorum: Redis[];
  private connecting: Promise<void> | null;
  private readonly ttlMs: number;
  private readonly maxWaitMs: number;
  private readonly baseDelayMs: number;
  private readonly onWait: (waitedMs: number) => void;

  constructor(opts: ResumeLockOptions) {
    this.store = opts.store;
    const quorum = opts.quorum ?? [];
    this.quorum = quorum;
    // Quorum connections fail commands while they connect (no offline queue, so that a dead server's
    // vote fails at once): the first acquires wait for them, else a starting consumer would report
    // a missing majority for its first jobs.
    this.connecting = quorum.length > 0 ? Promise.all(quorum.map(firstConnect)).then(() => {}) : null;
    this.redlock =
      quorum.length > 0
        ? new Redlock(quorum, { retryCount: 0, driftFactor: 0.01, automaticExtensionThreshold: 500 })
        : null;
    // Redlock emits per-client errors; they are reflected in acquire/extend results, so we only swallow here.
    this.redlock?.on('error', () => {});
    this.ttlMs = opts.ttlMs ?? 2500;
    this.maxWaitMs = opts.maxWaitMs ?? 300;
    this.baseDelayMs = opts.baseDelayMs ?? 20;
    this.onWait = opts.onWait ?? (() => {});
  }

  /** Takes the lock on `workerId` and reads its record (and idempotency record) under it. */
  async acquire(workerId: string, read: { idempotencyKeyHash?: string } = {}): Promise<LockedRead> {
    if (this.connecting) {
      await this.connecting;
      this.connecting = null;
    }
    const started = Date.now();
    try {
      return await this.take(workerId, read, started);
    } finally {
      this.onWait(Date.now() - started);
    }
  }

  private async take(workerId: string, read: { idempotencyKeyHash?: string }, started: number) {
    for (let attempts = 1; ; attempts++) {
      const got = await this.attempt(workerId, read);
      if (got) return { ...got, lease: this.lease(workerId, got.holder) };
      const waited = Date.now() - started;
      // Without a connected majority no retry here can succeed: say so at once, and free the slot.
      const quorum = this.quorumState();
      if (quorum && quorum.reachable <= quorum.servers / 2)
        throw new LockUnavailableError(this.store.lockKey(workerId), attempts, waited, undefined, quorum);
      const delay = Math.min(this.baseDelayMs * 2 ** (attempts - 1), 200) * (0.5 + Math.random());
      if (waited + delay > this.maxWaitMs)
        throw new LockUnavailableError(this.store.lockKey(workerId), attempts, waited);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async attempt(
    workerId: string,
    read: { idempotencyKeyHash?: string },
  ): Promise<(Omit<LockedRead, 'lease'> & { holder: Holder }) | null> {
    if (!this.redlock) {
      const value = randomUUID();
      const got = await this.store.lockAndRead(workerId, value, this.ttlMs, read.idempotencyKeyHash);
      if (!got) return null;
      const holder: Holder = {
        value,
        extend: () => this.store.extendLock(workerId, value, this.ttlMs),
        release: async () => {
          await this.store.releaseLock(workerId, value);
        },
      };
      return { holder, ...got };
    }
    let lock: Lock;
    try {
      lock = await this.redlock.acquire([this.store.lockKey(workerId)], this.ttlMs);
    } catch (err) {
      if (err instanceof ExecutionError || err instanceof ResourceLockedError) return null;
      throw err;
    }
    const holder: Holder = {
      value: null,
      extend: () =>
        lock.extend(this.ttlMs).then(
          (next) => {
            lock = next;
            return true;
          },
          () => false,
        ),
      release: () =>
        lock.release().then(
          () => undefined,
          // The lock expires by itself; a failed release only delays the next holder by the TTL.
          () => undefined,
        ),
    };
    const [snapshot, idempotency] =
      read.idempotencyKeyHash === undefined
        ? [await this.store.read(workerId), null]
        : await this.store.readWithIdempotency(workerId, read.idempotencyKeyHash);
    return { holder, snapshot, idempotency };
  }

  /** How many quorum servers are connected (a killed or unreachable one is not); null without a quorum. */
  private quorumState(): QuorumState | null {
    if (this.quorum.length === 0) return null;
    const reachable = this.quorum.filter((c) => c.status === 'ready').length;
    return { reachable, servers: this.quorum.length };
  }

  // One timer extends every held lock that is a third of its TTL old: most holds end long before,
  // and a timer per hold would cost more than the hold itself.
  private readonly held = new Set<Held>();
  private timer: NodeJS.Timeout | undefined;

  private lease(workerId: string, holder: Holder): Lease {
    const held: Held = {
      workerId,
      holder,
      extendAt: Date.now() + this.ttlMs / 3,
      lost: null,
      extending: null,
    };
    this.hold(held);
    let ended = false;
    return {
      check() {
        if (held.lost) throw held.lost;
      },
      value: holder.value,
      released: () => {
        if (ended) return;
        ended = true;
        this.unhold(held);
      },
      release: async () => {
        if (ended) return;
        ended = true;
        this.unhold(held);
        // Sent now when no extension is in flight (the usual case), else right after it.
        await (held.extending ? held.extending.then(() => holder.release()) : holder.release());
      },
    };
  }

  private hold(held: Held): void {
    this.held.add(held);
    this.timer ??= setInterval(() => this.extendDue(), Math.max(50, Math.floor(this.ttlMs / 6)));
  }

  private unhold(held: Held): void {
    this.held.delete(held);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private extendDue(): void {
    const now = Date.now();
    for (const held of this.held) {
      if (held.extending || held.lost || held.extendAt > now) continue;
      held.extendAt = now + this.ttlMs / 3;
      held.extending = held.holder
        .extend()
        .then(
          (kept) => {
            if (!kept) throw lostLock(held.workerId);
          },
          (cause: unknown) => {
            throw new ResumeProcessorError(RpCode.LockLost, `could not extend the lock on ${held.workerId}`, {
              workerId: held.workerId,
              cause,
              retryable: true,
            });
          },
        )
        .catch((err: unknown) => {
          held.lost = err instanceof Error ? err : lostLock(held.workerId);
          this.unhold(held);
        })
        .finally(() => {
          held.extending = null;
        });
    }
  }
}

interface Held {
  workerId: string;
  holder: Holder;
  extendAt: number;
  lost: Error | null;
  extending: Promise<void> | null;
}

const lostLock = (workerId: string) =>
  new ResumeProcessorError(RpCode.LockLost, `lost the lock on ${workerId} while working`, {
    workerId,
    retryable: true,
  });

/** Resolves when a connection is first ready, or first fails (the acquire then reports it). */
const firstConnect = (c: Redis) =>
  new Promise<void>((resolve) => {
    if (c.status === 'ready' || c.status === 'end') return resolve();
    const done = () => {
      c.off('ready', done).off('error', done).off('end', done);
      resolve();
    };
    c.on('ready', done).on('error', done).on('end', done);
  });
