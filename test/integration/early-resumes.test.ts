// Early resumes: a resume sent with `early: { ttlMs }` to a worker that is still running waits in
// its inbox; the worker's next suspension takes it (its timeout is not armed) and the consumer
// resumes it at once; past the ttl it ends `expired`. Alone, racing the suspend and racing its own
// expiry.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/lib/policy/ids.js';
import { decideSuspend } from '../../src/lib/policy/suspend.js';
import type { JsonObject } from '../../src/lib/policy/types.js';
import { Kernel } from '../../src/lib/store/kernel.js';
import { createHarness, type Harness, sleep, targets } from '../support/harness.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? String(e),
  );

const TIMEOUT: JsonObject = { timeout: { duration_ms: 600_000 } };

describe.each(targets())('early resumes on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
  });
  afterEach(async () => h.close());

  const running = (id: string) => h.producer.registerWorker({ id, name: id, task: 't' });
  const deadlines = async (id: string) => h.redis.zscore(h.keys.deadlines(h.keys.partitionOf(id)), id);

  it('kept while the worker runs, taken by its next suspension: resumed at once, no timeout armed', async () => {
    await h.startConsumer();
    await running('w');
    const ticket = await h.producer.resume('w', 'go on', null, { early: { ttlMs: 60_000 } });
    expect(await h.queues.of('w').resume.getJobState(ticket.jobId)).toBe('delayed');
    await sleep(200);
    expect((await h.producer.getWorker('w'))?.status).toBe('running');

    const suspended = await h.producer.suspend('w', { reason: 'wait', conditions: TIMEOUT });
    const epoch = suspended.suspension?.epoch as number;
    expect(suspended.suspension?.early_requests).toEqual([ticket.jobId]);
    expect(suspended.suspension?.deadline_ms).toBeUndefined();
    const outcome = await ticket.result();
    expect(outcome.outcome).toBe('resumed');
    expect(outcome.worker?.status).toBe('running');
    expect(outcome.worker?.history).toContain('go on');
    // The suspension's timeout was never armed: no job, no deadline entry.
    expect(await h.queues.of('w').timeout.getJob(jobIds.timeout('w', epoch))).toBeUndefined();
    expect(await deadlines('w')).toBeNull();
    const [, inbox] = await h.store.readWithInbox('w');
    expect(inbox.entries).toEqual([]);
    const suspendEvent = (await h.store.events('w')).find((e) => e.type === 'WorkerSuspended');
    expect(suspendEvent?.data).toEqual({ early: [ticket.jobId] });
    expect(await h.respawnJobIds()).toEqual([jobIds.respawn('w', epoch + 1)]);
  });

  it('past its ttl it ends expired; the next suspension arms its timeout as usual', async () => {
    await h.startConsumer();
    await running('late');
    const ticket = await h.producer.resume('late', 'too soon', null, { early: { ttlMs: 300 } });
    const outcome = await ticket.result({ timeoutMs: 10_000 });
    expect(outcome.outcome).toBe('expired');
    expect(outcome.worker?.status).toBe('running');
    const s = await h.producer.suspend('late', { reason: 'wait', conditions: TIMEOUT });
    expect(s.suspension?.early_requests).toBeUndefined();
    expect(s.suspension?.deadline_ms).toBeGreaterThan(Date.now());
    expect(
      await h.queues.of('late').timeout.getJobState(jobIds.timeout('late', s.suspension?.epoch as number)),
    ).toBe('delayed');
    await sleep(300);
    expect((await h.producer.getWorker('late'))?.status).toBe('suspended');
    expect(await h.respawnJobIds()).toEqual([]);
  });

  it('to a suspended worker it is an ordinary resume; without `early` a running worker refuses', async () => {
    await h.startConsumer();
    await running('s');
    await h.producer.suspend('s', { reason: 'wait', conditions: TIMEOUT });
    const now = await h.producer.resume('s', 'now', null, { early: { ttlMs: 60_000 } });
    expect((await now.result()).outcome).toBe('resumed');
    await running('r');
    const plain = await (await h.producer.resume('r', 'hello')).result();
    expect(plain.outcome === 'rejected' && plain.error.code).toBe('HARN-SUS-003');
  });

  it('two early resumes: the suspension takes both, one resumes it, the other is refused', async () => {
    await h.startConsumer();
    await running('two');
    const a = await h.producer.resume('two', 'a', null, { early: { ttlMs: 60_000 } });
    const b = await h.producer.resume('two', 'b', null, { early: { ttlMs: 60_000 } });
    const s = await h.producer.suspend('two', { reason: 'wait', conditions: TIMEOUT });
    expect(new Set(s.suspension?.early_requests)).toEqual(new Set([a.jobId, b.jobId]));
    const outcomes = await Promise.all([a.result(), b.result()]);
    const resumed = outcomes.filter((o) => o.outcome === 'resumed');
    expect(resumed).toHaveLength(1);
    const other = outcomes.find((o) => o.outcome !== 'resumed');
    expect(other?.outcome === 'rejected' && other.error.code).toBe('HARN-SUS-003');
    expect(await h.respawnJobIds()).toHaveLength(1);
  });

  it('an early resume resumes only the suspension that took it', async () => {
    // No consumer yet: the suspension takes the request, then a close ends that suspension.
    await running('bound');
    const ticket = await h.producer.resume('bound', 'x', null, { early: { ttlMs: 60_000 } });
    await h.producer.suspend('bound', { reason: 'wait' });
    await h.producer.close('bound', { graceful: true });
    await h.startConsumer();
    const outcome = await ticket.result();
    expect(outcome.outcome === 'rejected' && outcome.error.code).toBe('HARN-SUS-003');
    expect((await h.producer.getWorker('bound'))?.status).toBe('stopped');
  });

  it('an input its schema refuses: rejected RP-INPUT-SCHEMA, the timeout armed, the worker waits', async () => {
    await h.startConsumer();
    await running('schema');
    const ticket = await h.producer.resume('schema', { approved: 'yes' }, null, { early: { ttlMs: 60_000 } });
    const s = await h.producer.suspend('schema', {
      reason: 'approval',
      conditions: TIMEOUT,
      inputSchema: {
        type: 'object',
        properties: { approved: { type: 'boolean' } },
        required: ['approved'],
      },
    });
    expect(s.suspension?.early_requests).toEqual([ticket.jobId]);
    expect(s.suspension?.deadline_ms).toBeGreaterThan(Date.now());
    const outcome = await ticket.result();
    expect(outcome.outcome === 'rejected' && outcome.error.code).toBe('RP-INPUT-SCHEMA');
    expect((await h.producer.getWorker('schema'))?.status).toBe('suspended');
    expect(
      await h.queues
        .of('schema')
        .timeout.getJobState(jobIds.timeout('schema', s.suspension?.epoch as number)),
    ).toBe('delayed');
  });

  it('an early resume kept between a suspend read and its commit: the commit reads again', async () => {
    await running('gap');
    const kernel = new Kernel({ store: h.store });
    const seen: number[] = [];
    let jobId = '';
    const applied = await kernel.apply(
      'gap',
      async (record, now, early) => {
        seen.push(early.length);
        if (seen.length === 1)
          jobId = (await h.producer.resume('gap', 'in the gap', null, { early: { ttlMs: 60_000 } })).jobId;
        const taken = early.map((e) => ({ jobId: e.jobId, expiresAtMs: e.expiresAtMs, fits: true }));
        return decideSuspend(
          record,
          'gap',
          {
            reason: 'r',
            initiator: 'operator',
            rawConditions: TIMEOUT,
            conditions: { timeout: { duration_ms: 600_000, on_timeout: 'resume_with_summary' } },
            triggerUnique: 'u',
            early: taken,
          },
          now,
        );
      },
      { inbox: true },
    );
    // The first decision saw an empty inbox; its commit was refused, the second took the request.
    expect(seen).toEqual([0, 1]);
    expect(applied.kind === 'committed' && applied.record.suspension?.early_requests).toEqual([jobId]);
    expect(await h.queues.of('gap').resume.getJobState(jobId)).toBe('waiting');
    expect(await deadlines('gap')).toBeNull();
  });

  it('refusals: unknown worker, bad ttl, with an idempotency key', async () => {
    await running('v');
    expect(await codeOf(h.producer.resume('ghost', 'x', null, { early: { ttlMs: 1000 } }))).toBe(
      'RP-UNKNOWN-WORKER',
    );
    expect(await codeOf(h.producer.resume('v', 'x', null, { early: { ttlMs: 0 } }))).toBe('RP-INVALID-INPUT');
    expect(await codeOf(h.producer.resume('v', 'x', null, { early: { ttlMs: 1.5 } }))).toBe(
      'RP-INVALID-INPUT',
    );
    expect(
      await codeOf(h.producer.resume('v', 'x', null, { early: { ttlMs: 1000 }, idempotencyKey: 'k' })),
    ).toBe('RP-INVALID-INPUT');
    expect(await codeOf(h.producer.resume('v', '   ', null, { early: { ttlMs: 1000 } }))).toBe(
      'HARN-SUS-009',
    );
    const [, inbox] = await h.store.readWithInbox('v');
    expect(inbox).toEqual({ last: null, entries: [] });
  });

  it('200 races of an early resume against the suspend: each worker resumed once, by it', async () => {
    await h.startConsumer();
    const ids = Array.from({ length: 200 }, (_, i) => `race-${i}`);
    await Promise.all(ids.map(running));
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const resume = () => h.producer.resume(id, `go ${id}`, null, { early: { ttlMs: 60_000 } });
        const suspend = () => h.producer.suspend(id, { reason: 'wait', conditions: TIMEOUT });
        // Alternate which call is sent first; both are in flight together either way.
        const first = i % 2 === 1 ? suspend() : null;
        const ticket = resume();
        await Promise.all([ticket, first ?? suspend()]);
        return ticket;
      }),
    );
    const outcomes = await Promise.all(results.map((t) => t.result({ timeoutMs: 60_000 })));
    expect(outcomes.map((o) => o.outcome)).toEqual(ids.map(() => 'resumed'));
    const workers = await Promise.all(ids.map((id) => h.producer.getWorker(id)));
    for (const w of workers) {
      expect(w?.status).toBe('running');
      expect(w?.version).toBe(3);
      expect(w?.history).toEqual([`go ${w?.id}`]);
    }
    // Whichever way a race went, no timeout is left armed and every resume respawned once.
    for (const id of ids) expect(await deadlines(id)).toBeNull();
    expect((await h.respawnJobIds()).sort()).toEqual(ids.map((id) => jobIds.respawn(id, 3)).sort());
  });

  it('100 races of an early resume expiring against the suspend: resumed or expired, never both', async () => {
    await h.startConsumer();
    const ids = Array.from({ length: 100 }, (_, i) => `edge-${i}`);
    await Promise.all(ids.map(running));
    const tickets = await Promise.all(
      ids.map(async (id, i) => {
        const ticket = await h.producer.resume(id, 'maybe', null, { early: { ttlMs: 40 + (i % 5) * 10 } });
        await sleep(30 + ((i * 7) % 60));
        await h.producer.suspend(id, { reason: 'wait', conditions: TIMEOUT });
        return ticket;
      }),
    );
    const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: 60_000 })));
    let resumed = 0;
    let expired = 0;
    for (const [i, id] of ids.entries()) {
      const outcome = outcomes[i];
      const w = await h.producer.getWorker(id);
      const armed = await h.queues.of(id).timeout.getJobState(jobIds.timeout(id, 2));
      if (outcome?.outcome === 'resumed') {
        resumed += 1;
        expect(w?.status).toBe('running');
        expect(armed).toBe('unknown');
      } else {
        expect(outcome?.outcome).toBe('expired');
        expired += 1;
        expect(w?.status).toBe('suspended');
        expect(w?.suspension?.early_requests).toBeUndefined();
        expect(armed).toBe('delayed');
      }
    }
    expect(resumed + expired).toBe(100);
    expect(await h.respawnJobIds()).toHaveLength(resumed);
  });
});
