// Traces with an SDK registered (an in-memory exporter): suspend → resume → the consumer's
// processing span, a child of the enqueue span with a link to the suspend span; the respawn job
// carries the trace to the runtime; a timeout's span links to its suspension too.

import { context, type SpanContext, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RespawnPayload } from '../../src/lib/policy/types.js';
import { Tracing } from '../../src/observability/tracing.js';
import { resumePinned } from '../../src/producers/pinned-resume.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const A = (name: string) => `resume_processor.${name}`;
const traceparentOf = (sc: SpanContext) => `00-${sc.traceId}-${sc.spanId}-01`;

/** Our spans of one worker (BullMQ's own spans have no worker id attribute). */
const spansOf = (workerId: string) =>
  exporter.getFinishedSpans().filter((s) => s.attributes[A('worker_id')] === workerId);

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0] as ReadableSpan;
}

const childrenOf = (parent: ReadableSpan) =>
  exporter.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

describe('traces', () => {
  let h: Harness;
  const respawned: { payload: RespawnPayload; active: SpanContext | undefined }[] = [];

  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(async () => {
    exporter.reset();
    respawned.length = 0;
    // Made after the SDK is registered: producers and consumers look once, when they are made.
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('is on once an SDK is registered', () => {
    expect(Tracing.fromGlobal().on).toBe(true);
  });

  it('links the resume-processing span to the suspend span; its parent is the enqueue span', async () => {
    await h.startConsumer({
      hooks: { preResume: [() => true], postResume: [() => undefined] },
      onRespawn: (payload) => {
        respawned.push({ payload, active: trace.getActiveSpan()?.spanContext() });
      },
    });
    const w = await h.producer.registerWorker({ name: 'writer', task: 'draft' });
    await h.producer.suspend(w.id, { reason: 'review', initiator: 'self' });
    const suspend = only(spansOf(w.id), 'suspend');
    expect(suspend.attributes).toMatchObject({
      [A('outcome')]: 'suspended',
      [A('reason')]: 'review',
      [A('initiator')]: 'self',
      [A('epoch')]: 2,
    });
    // The suspension keeps the suspend span's context.
    const record = await h.producer.getRecord(w.id);
    expect(record?.suspension?.traceparent).toBe(traceparentOf(suspend.spanContext()));
    expect(await h.redis.get(h.keys.doc(w.id))).toContain('"tp":"');

    const ticket = await h.producer.resume(w.id, 'go on');
    const outcome = await ticket.result();
    expect(outcome.outcome).toBe('resumed');
    if (outcome.outcome !== 'resumed') return;

    const enqueue = only(spansOf(w.id), 'resume.enqueue');
    const resumeJob = await h.queues.of(w.id).resume.getJob(ticket.jobId);
    expect(resumeJob?.data.traceparent).toBe(traceparentOf(enqueue.spanContext()));
    expect(enqueue.attributes['messaging.message.id']).toBe(ticket.jobId);

    const processing = await waitFor('the processing span', async () =>
      spansOf(w.id).find((s) => s.name === 'resume.process'),
    );
    // Parent: the enqueue span (same trace). Link: the suspend span, of another trace.
    expect(processing.spanContext().traceId).toBe(enqueue.spanContext().traceId);
    expect(processing.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
    expect(processing.links).toHaveLength(1);
    expect(processing.links[0]?.context).toMatchObject({
      traceId: suspend.spanContext().traceId,
      spanId: suspend.spanContext().spanId,
    });
    expect(processing.links[0]?.attributes).toMatchObject({ [A('link.kind')]: 'suspension' });
    expect(processing.attributes).toMatchObject({
      [A('outcome')]: 'resumed',
      [A('version')]: outcome.version,
      [A('respawn_job_id')]: outcome.respawnJobId,
      [A('epoch')]: 2,
      'messaging.destination.name': 'resume',
      'messaging.message.id': ticket.jobId,
    });
    expect(childrenOf(processing).map((s) => s.name)).toEqual(
      expect.arrayContaining(['lock', 'hooks.pre_resume', 'commit', 'hooks.post_resume']),
    );

    // The respawn job carries the processing span; the runtime's handler runs in its child.
    const respawnJob = await h.queues.of(w.id).tasks.getJob(outcome.respawnJobId);
    expect(respawnJob?.data.traceparent).toBe(traceparentOf(processing.spanContext()));
    const delivered = await waitFor('the respawn delivery', async () => respawned[0]);
    expect(delivered.payload.traceparent).toBe(traceparentOf(processing.spanContext()));
    const deliver = await waitFor('the respawn span', async () =>
      spansOf(w.id).find((s) => s.name === 'respawn.deliver'),
    );
    expect(deliver.parentSpanContext?.spanId).toBe(processing.spanContext().spanId);
    expect(delivered.active?.spanId).toBe(deliver.spanContext().spanId);
    // BullMQ's own spans (bullmq-otel on our queues and workers) are there too.
    const scopes = new Set(exporter.getFinishedSpans().map((s) => s.instrumentationScope.name));
    expect([...scopes].sort()).toEqual(['bullmq', 'resume-processor']);
  });

  it("traces a timeout's processing, linked to the suspension it ends", async () => {
    await h.startConsumer();
    const w = await h.producer.registerWorker({ name: 'waiter', task: 'wait' });
    await h.producer.suspend(w.id, { reason: 'nap', conditions: { timeout: { duration_ms: 200 } } });
    const suspend = only(spansOf(w.id), 'suspend');
    expect(suspend.attributes[A('deadline_ms')]).toEqual(expect.any(Number));

    const timeout = await waitFor('the timeout span', async () =>
      spansOf(w.id).find((s) => s.name === 'timeout.process'),
    );
    expect(timeout.attributes).toMatchObject({
      [A('outcome')]: 'resumed',
      [A('version')]: 3,
      'messaging.destination.name': 'timeout',
    });
    expect(timeout.attributes[A('timeout_lateness_ms')]).toBeGreaterThanOrEqual(0);
    expect(timeout.links.map((l) => l.context.spanId)).toEqual([suspend.spanContext().spanId]);
    const respawn = await h.queues.of(w.id).tasks.getJob(String(timeout.attributes[A('respawn_job_id')]));
    expect(respawn?.data.traceparent).toBe(traceparentOf(timeout.spanContext()));
  });

  it('early, keyed, pinned and batched resumes carry their enqueue span to the processing span', async () => {
    await h.startConsumer();
    const early = await h.producer.registerWorker({ id: 'early', name: 'e', task: 't' });
    // Sent while the worker still runs: kept in its inbox, taken by its next suspension.
    const kept = await h.producer.resume(early.id, 'go', null, { early: { ttlMs: 60_000 } });
    await h.producer.suspend(early.id, { reason: 'park' });
    const keyed = await h.producer.registerWorker({ id: 'keyed', name: 'k', task: 't' });
    await h.producer.suspend(keyed.id, { reason: 'park' });
    const byKey = await h.producer.resume(keyed.id, 'go', null, { idempotencyKey: 'once' });
    for (const id of ['b1', 'b2']) {
      await h.producer.registerWorker({ id, name: 'batch', task: 't' });
      await h.producer.suspend(id, { reason: 'batch me' });
    }
    const batch = await h.producer.resumeMany({ reason: 'batch me' }, 'go');
    // A resume link's request (HTTP resume tokens).
    const pinned = await h.producer.registerWorker({ id: 'pinned', name: 'p', task: 't' });
    const { epoch } = (await h.producer.suspend(pinned.id, { reason: 'link' })).suspension ?? { epoch: 0 };
    const { ticket: byLink } = await resumePinned(
      { store: h.store, queues: h.queues, clock: Date.now },
      { workerId: pinned.id, epoch, requestKey: 'token-1', input: 'approved' },
    );
    const tickets = [kept, byKey, byLink, ...batch.requests];
    expect(tickets.map((t) => t.workerId).sort()).toEqual(['b1', 'b2', 'early', 'keyed', 'pinned']);
    for (const ticket of tickets) {
      expect((await ticket.result()).outcome).toBe('resumed');
      const enqueue = only(spansOf(ticket.workerId), 'resume.enqueue');
      const job = await h.queues.of(ticket.workerId).resume.getJob(ticket.jobId);
      expect(job?.data.traceparent).toBe(traceparentOf(enqueue.spanContext()));
      const processing = await waitFor('the processing span', async () =>
        spansOf(ticket.workerId).find((s) => s.name === 'resume.process'),
      );
      expect(processing.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
      const suspend = only(spansOf(ticket.workerId), 'suspend');
      expect(processing.links.map((l) => l.context.spanId)).toEqual([suspend.spanContext().spanId]);
    }
  });

  it('an event delivery is the enqueue span of the resumes it sends', async () => {
    await h.startConsumer();
    const w = await h.producer.registerWorker({ name: 'reviewer', task: 'review' });
    await h.producer.suspend(w.id, {
      conditions: { trigger: { kind: 'review.approved', provider: 'github' } },
    });
    const [ticket] = await h.producer.deliverEvent({ provider: 'github', kind: 'review.approved', id: 'e1' });
    expect((await ticket?.result())?.outcome).toBe('resumed');
    const deliver = only(exporter.getFinishedSpans(), 'event.deliver');
    expect(deliver.attributes).toMatchObject({ [A('event_kind')]: 'review.approved', [A('requests')]: 1 });
    const processing = await waitFor('the processing span', async () =>
      spansOf(w.id).find((s) => s.name === 'resume.process'),
    );
    expect(processing.parentSpanContext?.spanId).toBe(deliver.spanContext().spanId);
    expect(processing.links).toHaveLength(1);
  });
});
