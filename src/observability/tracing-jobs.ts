// The span of one resume or timeout job in a consumer, as the engine reports its steps: the record
// read under the lock (a `lock` child span from the job's start to the read, and the link to the
// suspend span of the suspension it reads), the hooks (child spans), the decision (the respawn
// effect gets this span's traceparent) and the commit (a `commit` child span from the decision to
// the end, when the job committed). NO_JOB_SPAN does nothing: tracing off.

import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Decision } from '../lib/policy/decision.js';
import type { WorkerRecord } from '../lib/policy/types.js';
import { spanContextOf, traceparentOf } from './tracing-context.js';

/** Attribute names of our spans (docs/operations.md, "Traces"). */
export const ATTR = {
  workerId: 'resume_processor.worker_id',
  outcome: 'resume_processor.outcome',
  errorCode: 'resume_processor.error_code',
  version: 'resume_processor.version',
  epoch: 'resume_processor.epoch',
  reason: 'resume_processor.reason',
  initiator: 'resume_processor.initiator',
  respawnJobId: 'resume_processor.respawn_job_id',
  replayed: 'resume_processor.replayed',
  lateness: 'resume_processor.timeout_lateness_ms',
  linkKind: 'resume_processor.link.kind',
  eventKind: 'resume_processor.event_kind',
  requests: 'resume_processor.requests',
  queue: 'messaging.destination.name',
  jobId: 'messaging.message.id',
} as const;

export interface JobSpan {
  /**
   * The record as the locked read returned it (again after a lost compare-and-set); the same record
   * reported twice counts once.
   */
  read(record: WorkerRecord | null): void;
  /** The decision; a commit's respawn effect carries this span's traceparent. */
  decided<I>(decision: Decision<I>): Decision<I>;
  /** Runs a hook chain in a child span. */
  hooks<T>(hook: 'PreResume' | 'PostResume', fn: () => Promise<T>): Promise<T>;
}

export const NO_JOB_SPAN: JobSpan = {
  read: () => {},
  decided: (decision) => decision,
  hooks: (_hook, fn) => fn(),
};

const nowMs = () => performance.timeOrigin + performance.now();

export class LiveJobSpan implements JobSpan {
  private reads = 0;
  private last: WorkerRecord | null | undefined;
  private linked: string | undefined;
  private decidedAt: number | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly ctx: Context,
    private readonly startMs: number,
    private readonly timeout: boolean,
  ) {}

  read(record: WorkerRecord | null): void {
    if (this.reads > 0 && record === this.last) return;
    this.last = record;
    const at = nowMs();
    this.reads += 1;
    if (this.reads === 1) this.child('lock', this.startMs).end(at);
    else this.span.addEvent('read again', { attempt: this.reads }, at);
    const s = record?.status === 'suspended' ? record.suspension : null;
    if (!s) return;
    this.span.setAttribute(ATTR.epoch, s.epoch);
    if (this.timeout && s.deadline_ms !== undefined)
      this.span.setAttribute(ATTR.lateness, Math.max(0, Date.now() - s.deadline_ms));
    const suspended = spanContextOf(s.traceparent);
    if (suspended && s.traceparent !== this.linked) {
      this.linked = s.traceparent;
      this.span.addLink({
        context: suspended,
        attributes: { [ATTR.linkKind]: 'suspension', [ATTR.epoch]: s.epoch },
      });
    }
  }

  decided<I>(decision: Decision<I>): Decision<I> {
    this.decidedAt = nowMs();
    if (decision.kind !== 'commit' || !decision.effects.some((e) => e.kind === 'respawn')) return decision;
    const traceparent = traceparentOf(this.span.spanContext());
    if (!traceparent) return decision;
    return {
      ...decision,
      effects: decision.effects.map((e) => (e.kind === 'respawn' ? { kind: 'respawn', traceparent } : e)),
    };
  }

  async hooks<T>(hook: 'PreResume' | 'PostResume', fn: () => Promise<T>): Promise<T> {
    const span = this.child(hook === 'PreResume' ? 'hooks.pre_resume' : 'hooks.post_resume');
    try {
      return await context.with(trace.setSpan(this.ctx, span), fn);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** The job's outcome on the span, and the commit child span when it committed. */
  finish(outcome: Attributes): void {
    this.span.setAttributes(outcome);
    const version = outcome[ATTR.version];
    if (this.decidedAt === undefined || version === undefined || outcome[ATTR.replayed]) return;
    const commit = this.child('commit', this.decidedAt);
    commit.setAttribute(ATTR.version, version);
    const respawn = outcome[ATTR.respawnJobId];
    if (respawn !== undefined) commit.addEvent('respawn job added', { [ATTR.respawnJobId]: respawn });
    commit.end();
  }

  private child(name: string, startTime?: number): Span {
    return this.tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, ...(startTime === undefined ? {} : { startTime }) },
      this.ctx,
    );
  }
}

/** A job's result (a resume's or a timeout's outcome) as span attributes. */
export function outcomeAttributes(result: unknown): Attributes {
  if (typeof result !== 'object' || result === null) return {};
  const r = result as Record<string, unknown>;
  const attrs: Record<string, AttributeValue> = {};
  if (typeof r.outcome === 'string') attrs[ATTR.outcome] = r.outcome;
  if (typeof r.version === 'number') attrs[ATTR.version] = r.version;
  if (typeof r.respawnJobId === 'string') attrs[ATTR.respawnJobId] = r.respawnJobId;
  if (r.replayed === true) attrs[ATTR.replayed] = true;
  const error = r.error as { code?: unknown } | string | undefined;
  if (typeof error === 'object' && typeof error?.code === 'string') attrs[ATTR.errorCode] = error.code;
  if (typeof error === 'string') attrs[ATTR.errorCode] = error;
  return attrs;
}

/** A throw on a span: the exception, its stable code when it has one, and the error status. */
export function recordError(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') span.setAttribute(ATTR.errorCode, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}
