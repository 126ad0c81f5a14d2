// The transition kernel: the one way a worker's state changes (DESIGN §5).
//
//   read (finishing any outbox left on the record) → decide (pure) → commit
//
// The commit is one script: the version CAS, the changed fields, the event, the indexes, the jobs
// the change implies (respawn, timeout), the lock's release and the idempotency outcome. Only
// PostResume hooks, which a script cannot run, are left in an outbox: the consumer runs them and a
// settle script clears it (and releases the lock then). A lost compare-and-set reads again and
// decides again, up to one bound; then HARN-SUS-006 with the status the record really has. With a
// lock (consumers), one script takes it and reads the record: a resume is two requests.

import { randomUUID } from 'node:crypto';
import { JobLostError, type ResumeProcessorError } from '../errors.js';
import type { FaultHook } from '../faults.js';
import type { Lease, ResumeLock } from '../lock/resume-lock.js';
import { type Decision, type Now, nowFrom } from '../policy/decision.js';
import { versionConflict } from '../policy/messages.js';
import type { EarlyResume, Outbox, WorkerRecord } from '../policy/types.js';
import { processEffects } from '../queues/job-adds.js';
import type { JobHold } from './commit-call.js';
import type { Inbox } from './inbox.js';
import type { Snapshot, WorkerStore } from './worker-store.js';

export const MAX_COMMIT_ATTEMPTS = 8;

/** `early`: the worker's inbox of early resumes, when the apply asked for it (else empty). */
export type Decide<Info> = (
  record: WorkerRecord | null,
  now: Now,
  early: readonly EarlyResume[],
) => Decision<Info> | Promise<Decision<Info>>;

export type Applied<Info> =
  | { kind: 'committed'; record: WorkerRecord; previous: WorkerRecord | null; postResumeErrors: string[] }
  | { kind: 'unchanged'; record: WorkerRecord | null; info: Info }
  | { kind: 'rejected'; record: WorkerRecord | null; error: ResumeProcessorError }
  /** The idempotency key was applied before: its stored outcome (raw JSON). */
  | { kind: 'replayed'; stored: string };

export interface Idempotency<Info> {
  keyHash: string;
  ttlMs: number;
  /** The outcome to keep for the key (JSON), or null to keep nothing. */
  remember(applied: Applied<Info>): string | null;
}

export interface ApplyOptions<Info> {
  /** Recorded with the outbox: a redelivery of the same request recognises its own commit. */
  requestId?: string;
  /**
   * Read the worker's inbox of early resumes with the record (suspend does): the decision sees its
   * entries, and the commit goes through only if the inbox did not change since (the suspension
   * takes the early resumes `next.suspension.early_requests` names).
   */
  inbox?: boolean;
  /** Take the worker's lock first (consumers do; producers rely on the CAS alone). */
  lock?: ResumeLock;
  idempotency?: Idempotency<Info>;
  /** PostResume hooks, run for a `postResume` effect before the outbox is settled. */
  postResume?: (record: WorkerRecord) => Promise<string[]>;
  fault?: FaultHook;
  /** The BullMQ job a consumer applies for: every commit is fenced by its lock (JobLostError). */
  job?: JobHold;
}

export interface KernelDeps {
  store: WorkerStore;
  now?: () => number;
  /** Told of each commit the version compare-and-set refused (a metric; no I/O). */
  onFenced?: () => void;
}

const noFault: FaultHook = () => {};

export class Kernel {
  readonly store: WorkerStore;
  private readonly now: () => number;
  private readonly onFenced: () => void;

  constructor(deps: KernelDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.onFenced = deps.onFenced ?? (() => {});
  }

  async apply<Info>(
    workerId: string,
    decide: Decide<Info>,
    opts: ApplyOptions<Info> = {},
  ): Promise<Applied<Info>> {
    const fault = opts.fault ?? noFault;
    const requestId = opts.requestId ?? `w-${randomUUID()}`;
    let lease: Lease | undefined;
    /** Redis's clock minus this host's, from the locked read (undefined: the read did not tell). */
    let serverOffsetMs: number | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let snapshot: Snapshot | null;
        let stored: string | null = null;
        let inbox: Inbox | null = null;
        if (opts.lock && !lease) {
          const locked = await opts.lock.acquire(
            workerId,
            opts.idempotency ? { idempotencyKeyHash: opts.idempotency.keyHash } : {},
          );
          lease = locked.lease;
          snapshot = locked.snapshot;
          stored = locked.idempotency;
          if (locked.serverMs !== undefined) serverOffsetMs = locked.serverMs - this.now();
          fault('after-lock');
        } else if (opts.inbox) {
          [snapshot, inbox] = await this.store.readWithInbox(workerId);
        } else {
          [snapshot, stored] = await this.read(workerId, opts);
        }
        // Ends the apply without a commit; the lease goes out with the idempotency record.
        const end = (applied: Applied<Info>) => this.finish(workerId, applied, lease, opts);
        if (stored !== null) return await end({ kind: 'replayed', stored });
        if (snapshot?.record.outbox) snapshot = await this.settleLeftover(snapshot, opts);

        // When the locked read told Redis's clock, the decision's time is Redis's (this host's
        // clock plus the offset seen at that read, on later attempts too): events and finish times
        // of consumers with skewed clocks stay in Redis's order.
        const now =
          serverOffsetMs === undefined
            ? nowFrom(this.now())
            : { ...nowFrom(this.now() + serverOffsetMs), serverMs: this.now() + serverOffsetMs };
        const decision = await decide(snapshot?.record ?? null, now, inbox?.entries ?? []);
        const record = snapshot?.record ?? null;
        if (decision.kind === 'unchanged')
          return await end({ kind: 'unchanged', record, info: decision.info });
        if (decision.kind === 'reject') return await end({ kind: 'rejected', record, error: decision.error });

        lease?.check();
        fault('before-commit');
        // The event's time and the jobs' timestamps: Redis's clock too, when known.
        const nowMs = this.now() + (serverOffsetMs ?? 0);
        // Without an outbox left, the commit ends the request itself: it releases a lock kept with
        // the worker and keeps the idempotency outcome.
        const ends = processEffects(decision.effects).length === 0;
        const applied: Applied<Info> = {
          kind: 'committed',
          record: decision.next,
          previous: snapshot?.record ?? null,
          postResumeErrors: [],
        };
        const idem = ends ? remembered(opts.idempotency, applied) : undefined;
        const releaseLock = ends ? (lease?.value ?? undefined) : undefined;
        const result = await this.store.commit(snapshot, decision.next, {
          effects: decision.effects,
          event: decision.event,
          requestId,
          nowMs,
          ...(releaseLock ? { releaseLock } : {}),
          ...(idem ? { idempotency: idem } : {}),
          ...(inbox ? { inbox: { last: inbox.last, take: earlyTaken(decision.next) } } : {}),
          ...(opts.job ? { job: opts.job } : {}),
        });
        if (!result.ok) {
          this.onFenced();
          if (result.jobLost && opts.job) throw new JobLostError(workerId, opts.job.jobId);
          if (attempt >= MAX_COMMIT_ATTEMPTS) {
            throw versionConflict(
              {
                id: workerId,
                status: result.currentStatus ?? 'missing',
                version: result.currentVersion ?? 0,
              },
              snapshot?.record.version ?? 0,
            );
          }
          continue;
        }
        if (releaseLock) lease?.released();
        fault('after-commit');
        if (result.outbox) await this.runOutbox(decision.next, result.outbox, lease, opts, applied);
        return applied;
      }
    } finally {
      // Every path has released it already but a throw (release is idempotent).
      await lease?.release();
    }
  }

  /**
   * Runs what a committed record's outbox holds (PostResume hooks), then settles it: the settle
   * script clears the outbox (while the record is still at its version), releases a lock kept with
   * the worker, and adds any job an outbox written before commits enqueued their own still names.
   * Then the idempotency outcome is kept. Hooks that throw are reported, never retried: the resume
   * stands. A crash before the settle leaves the outbox to a redelivery or the reconciler.
   */
  private async runOutbox<Info>(
    record: WorkerRecord,
    outbox: Outbox,
    lease: Lease | undefined,
    opts: ApplyOptions<Info>,
    applied: Applied<Info> | null,
  ): Promise<void> {
    if (opts.postResume && outbox.effects.some((e) => e.kind === 'postResume')) {
      const errors = await opts.postResume(record);
      if (applied?.kind === 'committed') applied.postResumeErrors = errors;
    }
    const lockValue = lease?.value ?? null;
    await this.store.settle(record, outbox, lockValue, this.now());
    if (lockValue) lease?.released();
    if (applied) await this.finish(record.id, applied, lease, opts);
  }

  /** An outbox another commit left (its committer died before settling): finish it first. */
  private async settleLeftover<Info>(snapshot: Snapshot, opts: ApplyOptions<Info>): Promise<Snapshot> {
    const outbox = snapshot.record.outbox;
    if (outbox) await this.runOutbox(snapshot.record, outbox, undefined, opts, null);
    const fields = new Map(snapshot.fields);
    fields.delete('ob');
    return { record: { ...snapshot.record, outbox: null }, fields };
  }

  private async finish<Info>(
    workerId: string,
    applied: Applied<Info>,
    lease: Lease | undefined,
    opts: ApplyOptions<Info>,
  ): Promise<Applied<Info>> {
    await Promise.all(this.closing(workerId, applied, lease, opts));
    return applied;
  }

  /** What ends an apply: the idempotency record (first outcome wins) and the lock release. */
  private closing<Info>(
    workerId: string,
    applied: Applied<Info>,
    lease: Lease | undefined,
    opts: ApplyOptions<Info>,
  ): Promise<unknown>[] {
    const sent: Promise<unknown>[] = [];
    const idem = remembered(opts.idempotency, applied);
    if (idem) sent.push(this.store.rememberIdempotency(workerId, idem.keyHash, idem.value, idem.ttlMs));
    if (lease) sent.push(lease.release());
    return sent;
  }

  /** Reconciler and producers: finish an outbox found on a record, without deciding anything. */
  async settleOutbox(
    workerId: string,
    postResume?: (record: WorkerRecord) => Promise<string[]>,
  ): Promise<boolean> {
    const snapshot = await this.store.read(workerId);
    if (!snapshot?.record.outbox) {
      // Settled already (or never had an outbox): only the pending mark is left to drop.
      await this.store.clearPendingMark(workerId);
      return false;
    }
    await this.runOutbox(
      snapshot.record,
      snapshot.record.outbox,
      undefined,
      postResume ? { postResume } : {},
      null,
    );
    return true;
  }

  private read<Info>(workerId: string, opts: ApplyOptions<Info>): Promise<[Snapshot | null, string | null]> {
    if (opts.idempotency) return this.store.readWithIdempotency(workerId, opts.idempotency.keyHash);
    return this.store.read(workerId).then((s) => [s, null]);
  }
}

/** The outcome to keep for the request's idempotency key, if it has one and it is kept. */
function remembered<Info>(
  idem: Idempotency<Info> | undefined,
  applied: Applied<Info>,
): { keyHash: string; value: string; ttlMs: number } | undefined {
  if (!idem || applied.kind === 'replayed') return undefined;
  const value = idem.remember(applied);
  return value === null ? undefined : { keyHash: idem.keyHash, value, ttlMs: idem.ttlMs };
}

/** The early resumes a committed record's new suspension takes from the inbox. */
function earlyTaken(next: WorkerRecord): string[] {
  return next.status === 'suspended' ? (next.suspension?.early_requests ?? []) : [];
}
