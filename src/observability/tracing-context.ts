// W3C trace context as the one string we carry in jobs and records: `traceparent`
// (`00-<trace id>-<span id>-<flags>`), from a span's context and back to a parent or a link.

import { type Context, context, isSpanContextValid, type SpanContext, trace } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The traceparent of a span context; undefined for an invalid one (a non-recording no-op span's). */
export function traceparentOf(sc: SpanContext): string | undefined {
  if (!isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The remote span context a traceparent names; undefined when it is absent or malformed. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (!m) return undefined;
  const sc: SpanContext = {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16),
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/**
 * The context a span started now should have as its parent: the span `traceparent` names (a job's
 * sender), else whatever is active (BullMQ's own job span when its telemetry is on, or none).
 */
export function parentContext(traceparent: string | undefined): Context {
  const sc = spanContextOf(traceparent);
  return sc ? trace.setSpanContext(context.active(), sc) : context.active();
}
