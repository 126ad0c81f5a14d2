// The traceparent strings carried in jobs and records: only valid version-00 ones become a parent
// or a link; an off Tracing hands the work its no-op spans, which change nothing.

import { context, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/lib/policy/decision.js';
import type { ResumeJob } from '../../src/lib/queues/catalog.js';
import { Tracing } from '../../src/observability/tracing.js';
import { parentContext, spanContextOf, traceparentOf } from '../../src/observability/tracing-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it.each([
    ['sampled', `00-${TRACE}-${SPAN}-01`, 1],
    ['not sampled', `00-${TRACE}-${SPAN}-00`, 0],
  ])('a valid one (%s) round-trips', (_name, traceparent, flags) => {
    const sc = spanContextOf(traceparent);
    expect(sc).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: flags, isRemote: true });
    expect(traceparentOf(sc as NonNullable<typeof sc>)).toBe(traceparent);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['another version', `01-${TRACE}-${SPAN}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['a zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['a zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['too short', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['trailing text', `00-${TRACE}-${SPAN}-01-x`],
  ])('%s is none', (_name, traceparent) => {
    expect(spanContextOf(traceparent)).toBeUndefined();
    // No parent from it: the active context stays.
    expect(parentContext(traceparent)).toBe(context.active());
  });

  it('a parent context holds the remote span', () => {
    const sc = trace.getSpanContext(parentContext(`00-${TRACE}-${SPAN}-01`));
    expect(sc).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
  });
});

describe('tracing off', () => {
  it('runs the work with no-op spans that leave decisions and jobs as they are', async () => {
    const off = Tracing.fromGlobal();
    expect(off).toBe(Tracing.off);
    expect(off.bullmq()).toEqual({});
    const decision: Decision<string> = { kind: 'unchanged', info: 'x' };
    const job = { workerId: 'w' } as ResumeJob;
    expect(await off.suspend(async (span) => span.decided('w', decision))).toBe(decision);
    expect(await off.enqueue(async (span) => ({ jobId: 'j', workerId: 'w', job: span.carry(job) }))).toEqual({
      jobId: 'j',
      workerId: 'w',
      job,
    });
    expect(
      await off.job('resume', 'w', 'j', `00-${TRACE}-${SPAN}-01`, async (span) => {
        span.read(null);
        return span.decided(decision);
      }),
    ).toBe(decision);
  });
});
