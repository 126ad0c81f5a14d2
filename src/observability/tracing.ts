// Traces of suspend and resume (OpenTelemetry). One resume's trace:
//
//   suspend ─ its traceparent kept with the suspension (record) ······························┐
//   resume.enqueue ─ traceparent in the resume job ─▶ resume.process (link ─▶ suspend span) ◀─┘
//        lock · hooks.pre_resume · commit (respawn job added) · hooks.post_resume
//        └─ traceparent in the respawn job ─▶ respawn.deliver (the runtime's handler)
//   timeout.process (link ─▶ suspend span), the same children when it resumes
//
// Off unless a tracer provider is registered globally (main, serve and the CLI register one when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, tracing-sdk.ts; an application may register its own SDK).
// `Tracing.fromGlobal()` looks once, when a producer or consumer is made; an off Tracing passes
// every call straight through after one check, with a shared no-op span: no span objects, no
// traceparent in records or jobs, no extra Redis bytes or requests.

import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { BullMQOtel } from 'bullmq-otel';
import type { Decision } from '../lib/policy/decision.js';
import type { WorkerRecord } from '../lib/policy/types.js';
import type { RespawnJob, ResumeJob } from '../lib/queues/catalog.js';
import { parentContext, traceparentOf } from './tracing-context.js';
import {
  ATTR,
  type JobSpan,
  LiveJobSpan,
  NO_JOB_SPAN,
  outcomeAttributes,
  recordError,
} from './tracing-jobs.js';

export type { JobSpan } from './tracing-jobs.js';
export { ATTR, NO_JOB_SPAN } from './tracing-jobs.js';

export const TRACER_NAME = 'resume-processor';

/** The suspend span, for the producer's suspend. */
export interface SuspendSpan {
  /**
   * The decision, with this span's traceparent on the suspension it begins (a suspend that commits
   * a new suspension); its outcome on the span.
   */
  decided<I>(workerId: string, decision: Decision<I>): Decision<I>;
}

/** A span that sends resume jobs: they carry its traceparent. */
export interface EnqueueSpan {
  /** `job` with this span's traceparent (the same object when tracing is off). */
  carry(job: ResumeJob): ResumeJob;
}

const NO_SUSPEND_SPAN: SuspendSpan = { decided: (_id, decision) => decision };
const NO_ENQUEUE_SPAN: EnqueueSpan = { carry: (job) => job };

export class Tracing {
  /** Tracing off: every call runs its work as it is. */
  static readonly off = new Tracing(undefined);

  /** On when an SDK registered a global tracer provider (not the API's no-op one). */
  static fromGlobal(): Tracing {
    const provider = trace.getTracerProvider();
    const tracer =
      provider instanceof ProxyTracerProvider
        ? provider.getDelegateTracer(TRACER_NAME)
        : provider.getTracer(TRACER_NAME);
    return tracer ? new Tracing(tracer) : Tracing.off;
  }

  private telemetry: BullMQOtel | undefined;

  private constructor(private readonly tracer: Tracer | undefined) {}

  get on(): boolean {
    return this.tracer !== undefined;
  }

  /** BullMQ's `telemetry` option (its own spans for job adds and processing): only when on. */
  bullmq(): { telemetry?: BullMQOtel } {
    if (!this.tracer) return {};
    this.telemetry ??= new BullMQOtel({ tracerName: 'bullmq' });
    return { telemetry: this.telemetry };
  }

  /** The producer's suspend. */
  suspend<T>(fn: (span: SuspendSpan) => Promise<T>): Promise<T> {
    if (!this.tracer) return fn(NO_SUSPEND_SPAN);
    return this.run(this.tracer, 'suspend', SpanKind.INTERNAL, context.active(), (span) =>
      fn({ decided: (workerId, decision) => stampSuspension(span, workerId, decision) }),
    );
  }

  /** A resume request (plain, early, keyed; batches send one each). */
  enqueue<T extends { jobId: string; workerId: string }>(fn: (span: EnqueueSpan) => Promise<T>): Promise<T> {
    if (!this.tracer) return fn(NO_ENQUEUE_SPAN);
    return this.run(
      this.tracer,
      'resume.enqueue',
      SpanKind.PRODUCER,
      context.active(),
      (span) => fn(carrier(span)),
      (span, ticket) => span.setAttributes({ [ATTR.workerId]: ticket.workerId, [ATTR.jobId]: ticket.jobId }),
    );
  }

  /** An event delivery: one resume job per waiting worker, each carrying this span. */
  deliverEvent<T extends unknown[]>(kind: string, fn: (span: EnqueueSpan) => Promise<T>): Promise<T> {
    if (!this.tracer) return fn(NO_ENQUEUE_SPAN);
    return this.run(
      this.tracer,
      'event.deliver',
      SpanKind.PRODUCER,
      context.active(),
      (span) => {
        span.setAttribute(ATTR.eventKind, kind);
        return fn(carrier(span));
      },
      (span, tickets) => span.setAttribute(ATTR.requests, tickets.length),
    );
  }

  /**
   * A consumer's processing of a resume or timeout job; its parent is the span that sent the job
   * (`traceparent`), else the active context. The engine reports the steps on the JobSpan.
   */
  job<T>(
    queue: 'resume' | 'timeout',
    workerId: string,
    jobId: string,
    traceparent: string | undefined,
    fn: (span: JobSpan) => Promise<T>,
  ): Promise<T> {
    if (!this.tracer) return fn(NO_JOB_SPAN);
    const tracer = this.tracer;
    const startMs = performance.timeOrigin + performance.now();
    return this.run(
      tracer,
      `${queue}.process`,
      SpanKind.CONSUMER,
      parentContext(traceparent),
      (span, ctx) => {
        span.setAttributes({ [ATTR.workerId]: workerId, [ATTR.queue]: queue, [ATTR.jobId]: jobId });
        const job = new LiveJobSpan(tracer, span, ctx, startMs, queue === 'timeout');
        return fn(job).then((result) => {
          job.finish(outcomeAttributes(result));
          return result;
        });
      },
      undefined,
      startMs,
    );
  }

  /** A runtime's handling of a respawn job: a child of the resume that made it, active for `fn`. */
  respawn<T>(job: RespawnJob, jobId: string, fn: () => Promise<T>): Promise<T> {
    if (!this.tracer) return fn();
    return this.run(
      this.tracer,
      'respawn.deliver',
      SpanKind.CONSUMER,
      parentContext(job.traceparent),
      (span) => {
        span.setAttributes({
          [ATTR.workerId]: job.workerId,
          [ATTR.version]: job.version,
          [ATTR.initiator]: job.initiator,
          [ATTR.queue]: 'tasks',
          [ATTR.jobId]: jobId,
        });
        return fn();
      },
    );
  }

  /** Runs `fn` in a new span, active while it runs; a throw is recorded on it and rethrown. */
  private async run<T>(
    tracer: Tracer,
    name: string,
    kind: SpanKind,
    parent: Context,
    fn: (span: Span, ctx: Context) => Promise<T>,
    onResult?: (span: Span, result: T) => void,
    startTime?: number,
  ): Promise<T> {
    const span = tracer.startSpan(name, { kind, ...(startTime ? { startTime } : {}) }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      const result = await context.with(ctx, () => fn(span, ctx));
      onResult?.(span, result);
      return result;
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  }
}

function carrier(span: Span): EnqueueSpan {
  const traceparent = traceparentOf(span.spanContext());
  return { carry: (job) => (traceparent ? { ...job, traceparent } : job) };
}

/** Puts the span's traceparent on the suspension a suspend decision begins; the outcome on the span. */
function stampSuspension<I>(span: Span, workerId: string, decision: Decision<I>): Decision<I> {
  span.setAttribute(ATTR.workerId, workerId);
  if (decision.kind === 'reject') {
    span.setAttributes({ [ATTR.outcome]: 'rejected', [ATTR.errorCode]: decision.error.code });
    return decision;
  }
  const s = decision.kind === 'commit' ? decision.next.suspension : null;
  if (decision.kind !== 'commit' || !s || s.epoch !== decision.next.version) {
    span.setAttribute(ATTR.outcome, 'unchanged');
    return decision;
  }
  span.setAttributes(suspensionAttributes(decision.next));
  const traceparent = traceparentOf(span.spanContext());
  if (!traceparent) return decision;
  return { ...decision, next: { ...decision.next, suspension: { ...s, traceparent } } };
}

function suspensionAttributes(record: WorkerRecord): Attributes {
  const s = record.suspension;
  const attrs: Record<string, AttributeValue> = {
    [ATTR.outcome]: 'suspended',
    [ATTR.version]: record.version,
  };
  if (!s) return attrs;
  attrs[ATTR.epoch] = s.epoch;
  attrs[ATTR.reason] = s.reason.length > 200 ? `${s.reason.slice(0, 200)}…` : s.reason;
  attrs[ATTR.initiator] = s.initiator;
  if (s.deadline_ms !== undefined) attrs['resume_processor.deadline_ms'] = s.deadline_ms;
  if (s.auto_resume_trigger) attrs['resume_processor.trigger_events'] = s.auto_resume_trigger.match_events;
  return attrs;
}
