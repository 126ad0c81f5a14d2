// The consumer's work for one job: lock the worker, read, decide (pure), run hooks, commit with a
// version CAS, then finish the outbox. Resume requests and timeouts share the same path.

import type { Logger } from 'pino';
import { deadlineMember, type EffectRunner, finishOutbox } from '../lib/effects.js';
import { ResumeProcessorError, RpCode, type SuspendError, serializeError } from '../lib/errors.js';
import {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  IdempotencyStore,
  idempotencyConflict,
  requestHash,
} from '../lib/idempotency.js';
import type { ResumeLock } from '../lib/lock/resume-lock.js';
import { applyPreResumeModification, type LifecycleHook, runHookChain } from '../lib/policy/hooks.js';
import { changedBeforeResume, notSuspended } from '../lib/policy/messages.js';
import { summarize } from '../lib/policy/summary.js';
import { computeDigest, type DigestFn } from '../lib/policy/transcript.js';
import {
  checkResumable,
  checkResumeInput,
  decideResume,
  decideTimeout,
  eventTypeFor,
  nowFrom,
  resumedOutcome,
} from '../lib/policy/transitions.js';
import type { PreResumePayload, ResumeOptions, ResumeOutcome, WorkerRecord } from '../lib/policy/types.js';
import type { ResumeJob, TimeoutJob } from '../lib/queues/catalog.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { FaultHook } from './faults.js';

export interface ConsumerHooks {
  preResume?: LifecycleHook<PreResumePayload>[];
  postResume?: LifecycleHook<{ event: 'PostResume'; worker: { id: string } }>[];
}

export interface EngineDeps {
  store: WorkerStore;
  lock: ResumeLock;
  effects: EffectRunner;
  hooks: ConsumerHooks;
  digest: DigestFn;
  logger: Logger;
  fault: FaultHook;
  hookTimeoutMs: number;
  now: () => number;
}

export type TimeoutOutcome =
  | { outcome: 'stale'; reason: string }
  | { outcome: 'failed'; version: number }
  | ResumeOutcome;

const MAX_CAS_ROUNDS = 3;

export class ResumeEngine {
  private readonly idempotency: IdempotencyStore;

  constructor(private readonly deps: EngineDeps) {
    this.idempotency = new IdempotencyStore(deps.store.client, deps.store.keys);
  }

  async handleResume(jobId: string, job: ResumeJob): Promise<ResumeOutcome> {
    const key = job.idempotencyKey;
    if (key === undefined)
      return this.deps.lock.using(job.workerId, (signal) => this.resumeLocked(jobId, job, signal));
    // Keyed: under the worker's lock, so two consumers holding the same key serialize here.
    return this.deps.lock.using(job.workerId, async (signal) => {
      const hash = requestHash(job.workerId, job.options);
      const applied = await this.idempotency.get(job.workerId, key);
      if (applied) {
        if (applied.payloadHash !== hash) return rejected(null, idempotencyConflict(job.workerId, key));
        return { ...applied.outcome, replayed: true };
      }
      const outcome = await this.resumeLocked(jobId, job, signal);
      const ttl = job.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
      const first = await this.idempotency.remember(job.workerId, key, { payloadHash: hash, outcome }, ttl);
      return first.outcome === outcome ? outcome : { ...first.outcome, replayed: true };
    });
  }

  private async resumeLocked(jobId: string, job: ResumeJob, signal: AbortSignal): Promise<ResumeOutcome> {
    const outcome = await this.decideAndCommit(jobId, job, signal);
    // Nothing was committed by a rejected or blocked request: its intent mark can go now (any
    // outbox of the record was finished before deciding, so no orphan hides behind the mark).
    if (outcome.outcome !== 'resumed')
      await this.deps.store.client.zrem(this.deps.store.keys.pending, job.workerId);
    return outcome;
  }

  private async decideAndCommit(jobId: string, job: ResumeJob, signal: AbortSignal): Promise<ResumeOutcome> {
    this.deps.fault('after-lock');
    for (let round = 1; ; round++) {
      const record = await this.readMarkingPending(job.workerId);
      if (!record) return rejected(null, unknownWorker(job.workerId));
      const finished = await this.finishOwnOutbox(record, jobId);
      if (finished) return finished;
      if (job.expectEpoch !== undefined && !waitsForEvent(record, job)) {
        return rejected(record, notSuspended(record.id, record.status));
      }
      const result = await this.resumeUnderLock(record, job.options, jobId, signal);
      if (result !== 'conflict') return result;
      if (round >= MAX_CAS_ROUNDS) throw changedBeforeResume(record.id, 'changed');
    }
  }

  handleTimeout(jobId: string, job: TimeoutJob): Promise<TimeoutOutcome> {
    return this.deps.lock.using(job.workerId, async (signal) => {
      this.deps.fault('after-lock');
      const { store } = this.deps;
      for (let round = 1; ; round++) {
        const record = await this.readMarkingPending(job.workerId);
        if (!record) return this.dropDeadline(job, 'unknown worker');
        const finished = await this.finishOwnOutbox(record, jobId);
        if (finished) return finished;
        const decision = decideTimeout(record, job.epoch, jobId, nowFrom(this.deps.now()));
        if (decision.kind === 'stale') {
          // Possibly our own `fail` commit whose consumer died before indexing it: index now
          // (monotonic and idempotent, so a newer state is never overwritten).
          await store.syncIndex(record, { type: eventTypeFor(record.status) });
          return this.dropDeadline(job, decision.reason);
        }
        if (decision.kind === 'resume') {
          const result = await this.resumeUnderLock(record, decision.options, jobId, signal, true);
          if (result === 'conflict') {
            if (round >= MAX_CAS_ROUNDS) throw changedBeforeResume(record.id, 'changed');
            continue;
          }
          await Promise.all([
            store.client.zrem(store.keys.deadlines, deadlineMember(job.workerId, job.epoch)),
            result.outcome === 'resumed' ? null : store.client.zrem(store.keys.pending, job.workerId),
          ]);
          return result;
        }
        this.checkLock(signal, record.id);
        const commit = await store.commit(record.version, decision.next, {
          type: 'WorkerFailed',
          data: { reason: 'timeout' },
        });
        if (!commit.ok) continue;
        this.deps.fault('after-commit');
        await Promise.all([
          this.deps.effects.run(decision.next, decision.effects),
          store.syncIndex(decision.next, { type: 'WorkerFailed' }),
          store.client.zrem(store.keys.deadlines, deadlineMember(job.workerId, job.epoch)),
        ]);
        await store.client.zrem(store.keys.pending, record.id);
        return { outcome: 'failed', version: decision.next.version };
      }
    });
  }

  /**
   * Steps 3-8 of DESIGN §4 for a record read under the lock. Returns 'conflict' when the CAS lost,
   * so the caller re-reads and decides again.
   */
  private async resumeUnderLock(
    record: WorkerRecord,
    requested: ResumeOptions,
    requestId: string,
    signal: AbortSignal,
    byOwnTimeout = false,
  ): Promise<ResumeOutcome | 'conflict'> {
    const { store, fault } = this.deps;
    const early = checkResumable(record) ?? checkResumeInput(record, requested);
    if (early) return rejected(record, early);

    const chain = await this.runPreResume(record, requested);
    fault('after-hooks');
    if (chain.kind === 'block') {
      const worker = { ...summarize(record), pre_resume_denied: chain.reason };
      return { outcome: 'blocked', worker, reason: chain.reason, error: 'pre_resume_denied' };
    }
    const options = chain.options;
    const digest = options.continueTranscript ? null : computeDigest(record.transcript, this.deps.digest);
    const decision = decideResume(
      record,
      { options, requestId, digest, byOwnTimeout },
      nowFrom(this.deps.now()),
    );
    if (decision.kind === 'reject') return rejected(record, decision.error);
    if (decision.kind === 'blocked')
      return {
        outcome: 'blocked',
        worker: summarize(record),
        reason: decision.reason,
        error: 'pre_resume_denied',
      };

    this.checkLock(signal, record.id);
    fault('before-commit');
    const commit = await store.commit(record.version, decision.next, {
      type: 'WorkerResumed',
      data: { initiator: options.initiator, request: requestId },
    });
    if (!commit.ok) {
      this.deps.logger.info(
        { workerId: record.id, expected: record.version, current: commit.currentVersion },
        'commit fenced: record changed',
      );
      return 'conflict';
    }
    fault('after-commit');
    const postResumeErrors = await this.finishOutbox(decision.next);
    return postResumeErrors.length > 0 ? { ...decision.outcome, postResumeErrors } : decision.outcome;
  }

  /** Runs the outbox of `record` (idempotent), indexes it, then clears it at its version. */
  finishOutbox(record: WorkerRecord): Promise<string[]> {
    return finishOutbox(
      this.deps.store,
      this.deps.effects,
      record,
      (r) => this.runPostResume(r),
      this.deps.fault,
    );
  }

  private async finishOwnOutbox(record: WorkerRecord, requestId: string): Promise<ResumeOutcome | null> {
    if (record.outbox) await this.finishOutbox(record);
    // Committed by this very request before a crash lost the acknowledgement: same outcome again.
    return record.last_request?.id === requestId ? resumedOutcome(record) : null;
  }

  private async runPreResume(
    record: WorkerRecord,
    options: ResumeOptions,
  ): Promise<{ kind: 'allow'; options: ResumeOptions } | { kind: 'block'; reason: string }> {
    const hooks = this.deps.hooks.preResume ?? [];
    if (hooks.length === 0) return { kind: 'allow', options };
    const payload: PreResumePayload = {
      event: 'PreResume',
      worker: { id: record.id },
      resume_input: options.inputPresent ? options.input : null,
      continue_transcript: options.continueTranscript,
    };
    const result = await withTimeout(
      runHookChain(hooks, payload, 'PreResume'),
      this.deps.hookTimeoutMs,
      'PreResume',
    );
    if (result.kind === 'block') return result;
    const next = result.modified ? applyPreResumeModification({ input: options }, result.payload) : options;
    const invalid = checkResumeInput(record, next);
    if (invalid) throw invalid;
    return { kind: 'allow', options: next };
  }

  private async runPostResume(record: WorkerRecord): Promise<string[]> {
    const errors: string[] = [];
    for (const hook of this.deps.hooks.postResume ?? []) {
      try {
        await withTimeout(
          Promise.resolve(hook({ event: 'PostResume', worker: { id: record.id } })),
          this.deps.hookTimeoutMs,
          'PostResume',
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors.push(message);
        this.deps.logger.warn({ workerId: record.id, err }, 'PostResume hook failed; the resume stands');
      }
    }
    return errors;
  }

  private async readMarkingPending(workerId: string): Promise<WorkerRecord | null> {
    const { store } = this.deps;
    // Intent first: a commit that follows may leave effects; the reconciler looks here for them.
    const [record] = await Promise.all([
      store.read(workerId),
      // NX: an older mark (a real orphan) keeps its age, so the reconciler is not delayed by traffic.
      store.client.zadd(store.keys.pending, 'NX', this.deps.now(), workerId),
    ]);
    return record;
  }

  private async dropDeadline(job: TimeoutJob, reason: string): Promise<TimeoutOutcome> {
    const { store } = this.deps;
    await Promise.all([
      store.client.zrem(store.keys.deadlines, deadlineMember(job.workerId, job.epoch)),
      store.client.zrem(store.keys.pending, job.workerId),
    ]);
    return { outcome: 'stale', reason };
  }

  private checkLock(signal: AbortSignal, workerId: string): void {
    if (!signal.aborted) return;
    throw signal.reason instanceof Error
      ? signal.reason
      : new ResumeProcessorError(RpCode.LockLost, `lost the lock on ${workerId}`, {
          workerId,
          retryable: true,
        });
  }
}

/**
 * An event's resume applies only to the suspension whose binding it found (same epoch) and only if
 * that suspension waits for this kind: a binding written by a suspend that lost its CAS is stale.
 */
function waitsForEvent(record: WorkerRecord, job: ResumeJob): boolean {
  const s = record.suspension;
  if (record.status !== 'suspended' || !s || s.epoch !== job.expectEpoch) return false;
  const event = job.options.triggerEvent;
  const kind = event && typeof event === 'object' && !Array.isArray(event) ? event.kind : undefined;
  return typeof kind === 'string' && (s.auto_resume_trigger?.match_events ?? []).includes(kind);
}

function rejected(record: WorkerRecord | null, error: SuspendError | ResumeProcessorError): ResumeOutcome {
  const { code, message } = serializeError(error);
  return { outcome: 'rejected', worker: record ? summarize(record) : null, error: { code, message } };
}

const unknownWorker = (id: string) =>
  new ResumeProcessorError(RpCode.UnknownWorker, `unknown worker: ${id}`, { workerId: id });

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ResumeProcessorError(RpCode.HookFailed, `${what} hooks did not finish within ${ms} ms`, {
            retryable: true,
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
