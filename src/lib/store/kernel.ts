// The transition kernel: the one way a worker's state changes (DESIGN §5).
//
//   read (finishing any outbox left on the record) → decide (pure) → commit (one script: CAS,
//   changed fields, event, indexes, outbox) → effects ‖ settle (outbox cleared, lock released)
//
// A lost compare-and-set reads again and decides again, up to one bound; then HARN-SUS-006 with
// the status the record really has. With a lock (consumers), one script takes it and reads the
// record, and the settle script releases it: the lock costs no request of its own.

import { randomUUID } from 'node:crypto';
import type { EffectRunner } from '../effects.js';
import type { ResumeProcessorError } from '../errors.js';
import { type FaultHook, noFaults } from '../faults.js';
import type { Lease, ResumeLock } from '../lock/resume-lock.js';
import { type Decision, type Now, nowFrom } from '../policy/decision.js';
import { versionConflict } from '../policy/messages.js';
import type { Outbox, WorkerRecord } from '../policy/types.js';
import type { Snapshot, WorkerStore } from './worker-store.js';

export const MAX_COMMIT_ATTEMPTS = 8;

export type Decide<Info> = (
  record: WorkerRecord | null,
  now: Now,
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
  /** Take the worker's lock first (consumers do; producers rely on the CAS alone). */
  lock?: ResumeLock;
  idempotency?: Idempotency<Info>;
  /** PostResume hooks, run for a `postResume` effect before the outbox is settled. */
  postResume?: (record: WorkerRecord) => Promise<string[]>;
  fault?: FaultHook;
}

export interface KernelDeps {
  store: WorkerStore;
  effects: EffectRunner;
  now?: () => number;
}

const noFault: FaultHook = () => {};

export class Kernel {
  readonly store: WorkerStore;
  private readonly effects: EffectRunner;
  private readonly now: () => number;

  constructor(deps: KernelDeps) {
    this.store = deps.store;
    this.effects = deps.effects;
    this.now = deps.now ?? Date.now;
  }

  async apply<Info>(
    workerId: string,
    decide: Decide<Info>,
    opts: ApplyOptions<Info> = {},
  ): Promise<Applied<Info>> {
    const fault = opts.fault ?? noFault;
    const requestId = opts.requestId ?? `w-${randomUUID()}`;
    let lease: Lease | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        let snapshot: Snapshot | null;
        let stored: string | null;
        if (opts.lock && !lease) {
          const locked = await opts.lock.acquire(
            workerId,
            opts.idempotency ? { idempotencyKeyHash: opts.idempotency.keyHash } : {},
          );
          lease = locked.lease;
          snapshot = locked.snapshot;
          stored = locked.idempotency;
          fault('after-lock');
        } else {
          [snapshot, stored] = await this.read(workerId, opts);
        }
        // Ends the apply without a commit; the lease goes out with the idempotency record.
        const end = (applied: Applied<Info>) => this.finish(workerId, applied, lease, opts);
        if (stored !== null) return await end({ kind: 'replayed', stored });
        if (snapshot?.record.outbox) snapshot = await this.settleLeftover(snapshot, opts);

        const decision = await decide(snapshot?.record ?? null, nowFrom(this.now()));
        const record = snapshot?.record ?? null;
        if (decision.kind === 'unchanged')
          return await end({ kind: 'unchanged', record, info: decision.info });
        if (decision.kind === 'reject') return await end({ kind: 'rejected', record, error: decision.error });

        lease?.check();
        fault('before-commit');
        const result = await this.store.commit(snapshot, decision.next, {
          effects: decision.effects,
          event: decision.event,
          requestId,
          nowMs: this.now(),
        });
        if (!result.ok) {
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
        fault('after-commit');
        const applied: Applied<Info> = {
          kind: 'committed',
          record: decision.next,
          previous: snapshot?.record ?? null,
          postResumeErrors: [],
        };
        await this.runOutbox(decision.next, result.outbox, lease, opts, applied);
        return applied;
      }
    } finally {
      // Every path has released it already but a throw (release and handOff are idempotent).
      await lease?.release();
    }
  }

  /**
   * Runs a committed record's outbox, then settles it (the settle script also releases a lock kept
   * with the worker) and records the idempotency outcome. The settle waits for the effects'
   * acknowledgement: an effect that failed leaves the outbox for a retry or the reconciler.
   *
   * Without PostResume hooks to run between them (and without a fault plan, whose `after-effects`
   * step lies between them), the settle goes out right behind the effects, without waiting for
   * their replies: it checks in Redis that the effects' jobs exist, so it still settles only what
   * is done. When it finds one missing, the effects are sent again and settled the slow way.
   */
  private async runOutbox<Info>(
    record: WorkerRecord,
    outbox: Outbox | null,
    lease: Lease | undefined,
    opts: ApplyOptions<Info>,
    applied: Applied<Info> | null,
  ): Promise<void> {
    const hooks = outbox?.effects.some((e) => e.kind === 'postResume') ? opts.postResume : undefined;
    const pipelined = outbox !== null && !hooks && (opts.fault ?? noFaults) === noFaults;
    if (outbox && !pipelined) {
      await this.effects.run(record, outbox.effects);
      opts.fault?.('after-effects');
      if (hooks) {
        const errors = await hooks(record);
        if (applied?.kind === 'committed') applied.postResumeErrors = errors;
      }
    }
    const handedOff = outbox ? (lease?.handOff() ?? null) : null;
    const sent: Promise<unknown>[] = [];
    if (outbox && pipelined) sent.push(this.runThenSettle(record, outbox, handedOff));
    else if (outbox) sent.push(this.store.settle(record.id, outbox.version, handedOff));
    if (applied) sent.push(...this.closing(record.id, applied, handedOff === null ? lease : undefined, opts));
    await Promise.all(sent);
  }

  private async runThenSettle(record: WorkerRecord, outbox: Outbox, lockValue: string | null): Promise<void> {
    const settle = () => this.store.settle(record.id, outbox.version, lockValue, outbox.effects);
    if ((await this.effects.runThenSettle(record, outbox.effects, settle)) !== -1) return;
    await this.effects.run(record, outbox.effects);
    await this.store.settle(record.id, outbox.version, lockValue);
  }

  /** An outbox another commit left (its committer died before settling): finish it first. */
  private async settleLeftover<Info>(snapshot: Snapshot, opts: ApplyOptions<Info>): Promise<Snapshot> {
    const { fault: _none, ...rest } = opts;
    await this.runOutbox(snapshot.record, snapshot.record.outbox, undefined, rest, null);
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
    const idem = opts.idempotency;
    const value = idem && applied.kind !== 'replayed' ? idem.remember(applied) : null;
    if (idem && value !== null)
      sent.push(this.store.rememberIdempotency(workerId, idem.keyHash, value, idem.ttlMs));
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
