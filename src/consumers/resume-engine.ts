// The consumer's work for one job, as a decide function handed to the kernel: the pure pre-check,
// then the PreResume hooks (the only impure step, run under the worker's lock), then the pure
// decision. Resume requests, event resumes and timeouts share it; the kernel does all the I/O.
// The hooks themselves run in ./hook-runner.ts.

import type { Logger } from 'pino';
import { serializeError } from '../lib/errors.js';
import type { FaultHook } from '../lib/faults.js';
import { idempotencyConflict, idempotencyKeyHash, requestHash } from '../lib/idempotency.js';
import { inputSchemaError, schemaIssues } from '../lib/input-schema.js';
import { jobLogger } from '../lib/job-log.js';
import type { ResumeLock } from '../lib/lock/resume-lock.js';
import { type Decision, type Now, reject, unchanged } from '../lib/policy/decision.js';
import { unknownWorker } from '../lib/policy/messages.js';
import {
  checkResumeInput,
  decideResume,
  type EventTarget,
  precheckResume,
  resumedOutcome,
} from '../lib/policy/resume.js';
import { decideTimeoutFail, planTimeout } from '../lib/policy/timeout.js';
import { computeDigest, type DigestFn } from '../lib/policy/transcript.js';
import type { ResumeOptions, StoredOutcome, TimeoutOutcome, WorkerRecord } from '../lib/policy/types.js';
import type { ResumeJob, TimeoutJob } from '../lib/queues/catalog.js';
import type { JobHold } from '../lib/store/commit-call.js';
import type { Applied, Idempotency, Kernel } from '../lib/store/kernel.js';
import { type MetricsSink, noMetrics } from '../observability/metrics.js';
import { measureLateness } from '../observability/metrics-jobs.js';
import type { JobSpan } from '../observability/tracing.js';
import { type ConsumerHooks, HookRunner } from './hook-runner.js';

export type { ConsumerHooks };

export interface EngineDeps {
  kernel: Kernel;
  lock: ResumeLock;
  hooks: ConsumerHooks;
  digest: DigestFn;
  logger: Logger;
  fault: FaultHook;
  hookTimeoutMs: number;
  /** Hook durations and timeout lateness (default: not measured). */
  metrics?: MetricsSink;
}

/** Why a resume or timeout left the record as it was. */
type Info =
  | { kind: 'replay'; outcome: StoredOutcome }
  | { kind: 'own-timeout'; outcome: TimeoutOutcome }
  | { kind: 'blocked'; reason: string }
  | { kind: 'stale'; reason: string }
  | { kind: 'early'; waitMs: number };

interface ResumeAsk {
  workerId: string;
  options: ResumeOptions;
  requestId: string;
  event?: EventTarget;
  /** A resume pinned to one suspension (a resume token's): that epoch or nothing. */
  suspensionEpoch?: number;
  /** An early resume's job id: it may resume only the suspension that took it from the inbox. */
  early?: string;
  /** The job's span (NO_JOB_SPAN when tracing is off). */
  span: JobSpan;
}

/** The longest a consumer waits, holding a timeout job taken early, before it decides again. */
const MAX_EARLY_WAIT_MS = 60_000;
const CLOCK_AHEAD_WARN_MS = 250;

export class ResumeEngine {
  private readonly hooks: HookRunner;

  constructor(private readonly deps: EngineDeps) {
    this.hooks = new HookRunner(deps.hooks, deps.hookTimeoutMs, deps.logger, deps.metrics ?? noMetrics);
  }

  /** `jobId`: the BullMQ job's id (an early resume is known by it in the inbox and the record). */
  async handleResume(
    requestId: string,
    job: ResumeJob,
    jobId: string,
    span: JobSpan,
    token?: string,
  ): Promise<StoredOutcome> {
    const ask: ResumeAsk = { workerId: job.workerId, options: job.options, requestId, span };
    if (job.early) {
      // Due while still in the inbox: no suspension took it in time. Otherwise a suspension did
      // (its commit made the job ready) and it resumes that suspension or none.
      if (await this.deps.kernel.store.inbox.expire(job.workerId, jobId)) return { outcome: 'expired' };
      ask.early = jobId;
    }
    if (job.expectEpoch !== undefined) ask.event = { epoch: job.expectEpoch, kind: eventKind(job.options) };
    if (job.suspensionEpoch !== undefined) ask.suspensionEpoch = job.suspensionEpoch;
    const hash = job.idempotencyKey === undefined ? null : requestHash(job.workerId, job.options);
    const idempotency: Idempotency<Info> | undefined =
      job.idempotencyKey === undefined || hash === null
        ? undefined
        : {
            keyHash: idempotencyKeyHash(job.idempotencyKey),
            ttlMs: job.idempotencyTtlMs ?? 24 * 3600 * 1000,
            remember: (applied) => JSON.stringify({ hash, outcome: this.resumeOutcome(applied) }),
          };
    const applied = await this.deps.kernel.apply<Info>(
      job.workerId,
      (record, now) => this.decideResume(record, ask, now),
      {
        ...this.applyOptions(requestId, span, token ? { queue: 'resume', jobId, token } : undefined),
        ...(idempotency ? { idempotency } : {}),
      },
    );
    if (applied.kind !== 'replayed') return this.resumeOutcome(applied);
    const first = JSON.parse(applied.stored) as { hash: string; outcome: StoredOutcome };
    if (first.hash !== hash) return rejected(idempotencyConflict(job.workerId, job.idempotencyKey ?? ''));
    return { ...first.outcome, replayed: true };
  }

  /** `held`: the BullMQ job and its lock token (every commit is fenced by that lock). */
  async handleTimeout(
    requestId: string,
    job: TimeoutJob,
    span: JobSpan,
    held?: { jobId: string; token: string },
  ): Promise<TimeoutOutcome> {
    const hold = held ? ({ queue: 'timeout', ...held } as const) : undefined;
    for (;;) {
      const applied = await this.applyTimeout(requestId, job, span, hold);
      const info = applied.kind === 'unchanged' ? applied.info : null;
      if (info?.kind !== 'early') return this.timeoutOutcome(measureLateness(this.metrics, applied));
      // Taken before its deadline by Redis's clock (this consumer's clock runs ahead): wait it out
      // here, the job kept, and decide again. A few ms are ordinary clock jitter; more is a warning.
      if (info.waitMs > CLOCK_AHEAD_WARN_MS)
        jobLogger(this.deps.logger, { workerId: job.workerId }).warn(
          { earlyByMs: info.waitMs },
          "timeout taken before its deadline by Redis's clock (is this host's clock ahead?); waiting",
        );
      await new Promise((r) => setTimeout(r, Math.min(info.waitMs, MAX_EARLY_WAIT_MS)));
    }
  }

  private applyTimeout(
    requestId: string,
    job: TimeoutJob,
    span: JobSpan,
    hold: JobHold | undefined,
  ): Promise<Applied<Info>> {
    return this.deps.kernel.apply<Info>(
      job.workerId,
      async (record, now) => {
        span.read(record);
        // Redis's clock at the locked read (a Redlock quorum's read does not tell it: one TIME then).
        const serverNow = now.serverMs ?? (await this.deps.kernel.store.serverTimeMs());
        const plan = planTimeout(record, job.epoch, requestId, job.rev ?? 0, serverNow);
        if (plan.kind === 'early') return unchanged({ kind: 'early', waitMs: Math.ceil(plan.waitMs) });
        if (plan.kind === 'own') return unchanged({ kind: 'own-timeout', outcome: plan.outcome });
        if (plan.kind === 'stale' || !record)
          return unchanged({ kind: 'stale', reason: plan.kind === 'stale' ? plan.reason : 'unknown worker' });
        if (plan.kind === 'fail') return decideTimeoutFail(record, now, requestId);
        return this.decideResume(
          record,
          { workerId: job.workerId, options: plan.options, requestId, span },
          now,
        );
      },
      this.applyOptions(requestId, span, hold),
    );
  }

  private timeoutOutcome(applied: Applied<Info>): TimeoutOutcome {
    if (applied.kind === 'committed' && applied.record.status === 'failed')
      return { outcome: 'failed', version: applied.record.version };
    if (applied.kind === 'unchanged' && applied.info.kind === 'stale')
      return { outcome: 'stale', reason: applied.info.reason };
    if (applied.kind === 'unchanged' && applied.info.kind === 'own-timeout') return applied.info.outcome;
    return this.resumeOutcome(applied);
  }

  /** Reconciler: finish the outbox a dead consumer left on this worker. */
  settleOutbox(workerId: string): Promise<boolean> {
    return this.deps.kernel.settleOutbox(workerId, (record) => this.hooks.postResume(record));
  }

  private applyOptions(requestId: string, span: JobSpan, job: JobHold | undefined) {
    return {
      requestId,
      lock: this.deps.lock,
      fault: this.deps.fault,
      ...(job ? { job } : {}),
      postResume: (record: WorkerRecord) => span.hooks('PostResume', () => this.hooks.postResume(record)),
    };
  }

  /** DESIGN §4 steps 3-7: pure pre-check, PreResume hooks, pure decision. */
  private async decideResume(record: WorkerRecord | null, ask: ResumeAsk, now: Now): Promise<Decision<Info>> {
    ask.span.read(record);
    const early = precheckResume(record, ask.workerId, ask);
    if (early || !record) return early ?? reject(unknownWorker(ask.workerId));
    const chain =
      (this.deps.hooks.preResume ?? []).length === 0
        ? await this.hooks.preResume(record, ask.options)
        : await ask.span.hooks('PreResume', () => this.hooks.preResume(record, ask.options));
    this.deps.fault('after-hooks');
    if (chain.kind === 'block') return unchanged({ kind: 'blocked', reason: chain.reason });
    // A hook may rewrite the input into blank text: refused like a blank request (HARN-SUS-009).
    const invalid = checkResumeInput(record, chain.options);
    if (invalid) return reject(invalid);
    const options = chain.options;
    // The suspension's input schema, on the input as the hooks left it (timeouts bring their own).
    const schema = record.suspension?.input_schema;
    if (schema !== undefined && options.initiator !== 'timeout') {
      const issues = schemaIssues(schema, options.inputPresent ? options.input : null);
      if (issues.length > 0) return reject(inputSchemaError(record.id, issues));
    }
    const digest = options.continueTranscript ? null : computeDigest(record.transcript, this.deps.digest);
    const decision = decideResume(
      record,
      {
        options,
        requestId: ask.requestId,
        digest,
        postResume: (this.deps.hooks.postResume ?? []).length > 0,
      },
      now,
    );
    return ask.span.decided(decision);
  }

  private resumeOutcome(applied: Applied<Info>): StoredOutcome {
    switch (applied.kind) {
      case 'committed': {
        const outcome = resumedOutcome(applied.record.id, applied.record.version);
        return applied.postResumeErrors.length > 0
          ? { ...outcome, postResumeErrors: applied.postResumeErrors }
          : outcome;
      }
      case 'unchanged':
        if (applied.info.kind === 'replay') return applied.info.outcome;
        if (applied.info.kind === 'blocked')
          return { outcome: 'blocked', reason: applied.info.reason, error: 'pre_resume_denied' };
        throw new Error(`a ${applied.info.kind} timeout has no resume outcome`);
      case 'rejected':
        return rejected(applied.error);
      case 'replayed':
        return JSON.parse(applied.stored).outcome as StoredOutcome;
      default: {
        const unknown: never = applied;
        throw new Error(`unknown apply result ${JSON.stringify(unknown)}`);
      }
    }
  }

  private get metrics(): MetricsSink {
    return this.deps.metrics ?? noMetrics;
  }
}

function eventKind(options: ResumeOptions): string {
  const event = options.triggerEvent;
  const kind = event && typeof event === 'object' && !Array.isArray(event) ? event.kind : undefined;
  return typeof kind === 'string' ? kind : '';
}

function rejected(error: unknown): StoredOutcome {
  const { code, message, details } = serializeError(error);
  return { outcome: 'rejected', error: { code, message, ...(details ? { details } : {}) } };
}
