// Regression tests for the findings of the chaos battery (docs/reliability.md §4, F1-F11) and the
// soak (§11).

import { Queue } from 'bullmq';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadEnv } from '../../src/lib/config.js';
import { freePort } from '../../src/lib/redis-server.js';
import { createProducer } from '../../src/producers/producer.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

describe('chaos findings stay fixed', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('soak: KEEP_COMPLETED_JOBS caps the completed jobs a consumer keeps per queue', async () => {
    // The soak's Redis memory levels off once every queue holds this many; the default is 100,000.
    await h.startConsumer({ keepCompleted: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      const w = await h.producer.registerWorker({ name: `k${i}`, task: 't' });
      await h.producer.suspend(w.id);
      ids.push(w.id);
    }
    // (A ticket's result is read from its kept job: the first ones are gone by the end, by design.)
    await Promise.all(ids.map((id) => h.producer.resume(id, 'go')));
    await waitFor(
      'every worker resumed',
      async () =>
        (await Promise.all(ids.map((id) => h.producer.getWorker(id)))).every((w) => w?.status === 'running'),
      30_000,
    );
    const resumes = new Queue('resume', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
    expect(await resumes.getCompletedCount()).toBe(100);
    await resumes.close();
    expect(() => loadEnv({ KEEP_COMPLETED_JOBS: '99' })).toThrow(/KEEP_COMPLETED_JOBS/);
    expect(loadEnv({}).KEEP_COMPLETED_JOBS).toBe(100_000);
  });

  it('F1: a wrong deadline score in the index does not fire a timeout early', async () => {
    const consumer = await h.startConsumer({ reconcileIntervalMs: 100_000 });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 600_000 } } });
    // Commits keep the index in step; a corrupted score is repaired from the record, not obeyed.
    await h.redis.zadd(h.keys.deadlines(0), Date.now() - 60_000, w.id);
    await consumer.reconciler.pass();
    expect(Number(await h.redis.zscore(h.keys.deadlines(0), w.id))).toBe(s.suspension?.deadline_ms);
    const timeouts = new Queue('timeout', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
    expect(await timeouts.getJobState(`timeout-${w.id}-${s.version}`)).toBe('delayed');
    await timeouts.close();
    expect((await h.producer.getWorker(w.id))?.status).toBe('suspended');
  });

  it('F2: a blank timeout.input is refused at suspend (it could never resume the worker)', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    for (const input of ['', ' ', '\t\n', '\u3000']) {
      await expect(
        h.producer.suspend(w.id, {
          conditions: { timeout: { duration_ms: 10, on_timeout: 'resume_with_input', input } },
        }),
      ).rejects.toMatchObject({ code: 'HARN-SUS-002', path: 'conditions.timeout.input' });
    }
    expect((await h.producer.getWorker(w.id))?.status).toBe('running');
  });

  it('F4: while Redis is unreachable producer calls fail fast with RP-REDIS-UNAVAILABLE', async () => {
    const port = await freePort();
    const offline = createProducer({ connection: `redis://127.0.0.1:${port}`, prefix: h.prefix });
    const started = Date.now();
    await expect(offline.registerWorker({ name: 'w', task: 't' })).rejects.toMatchObject({
      code: 'RP-REDIS-UNAVAILABLE',
      retryable: true,
      message: expect.stringContaining(`cannot reach Redis at 127.0.0.1:${port}`),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    await offline.disconnect().catch(() => {});
  });

  it('F10: keyed duplicates racing the first job never replace it; they replay its outcome', async () => {
    await h.startConsumer();
    const resumes = new Queue('resume', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
    for (let round = 0; round < 15; round += 1) {
      const w = await h.producer.registerWorker({ name: 'w', task: 't' });
      await h.producer.suspend(w.id, { reason: 'park' });
      const first = await h.producer.resume(w.id, 'go', null, { idempotencyKey: 'k' });
      const firstTimestamp = (await resumes.getJob(first.jobId))?.timestamp;
      // Duplicates keep arriving while the first job runs, finishes and settles.
      const duplicates: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i += 1) {
        duplicates.push(h.producer.resume(w.id, 'go', null, { idempotencyKey: 'k' }).then((t) => t.result()));
        if (i % 3 === 2) await new Promise((r) => setImmediate(r));
      }
      const outcomes = (await Promise.all(duplicates)) as { outcome: string; version?: number }[];
      const own = await first.result();
      expect(own).toMatchObject({ outcome: 'resumed' });
      const job = await resumes.getJob(first.jobId);
      expect(job?.timestamp).toBe(firstTimestamp);
      expect(job?.returnvalue).not.toHaveProperty('replayed');
      for (const o of outcomes)
        expect(o).toMatchObject({
          outcome: 'resumed',
          version: own.outcome === 'resumed' ? own.version : -1,
        });
    }
    await resumes.close();
  });

  it('F11: a producer that cannot reach Redis reports through its logger, not as an unhandled error', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const printed = vi.spyOn(console, 'error');
    const offline = createProducer({ connection: `redis://127.0.0.1:${port}`, prefix: h.prefix, logger });
    await expect(offline.getWorker('w-1')).rejects.toMatchObject({ code: 'RP-REDIS-UNAVAILABLE' });
    await offline.disconnect().catch(() => {});
    const unhandled = printed.mock.calls.filter((c) => String(c[0]).includes('Unhandled error event'));
    printed.mockRestore();
    expect(unhandled).toEqual([]);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toContain('Redis unavailable');
  });

  it('F5: an event resumes only a suspension that waits for its kind', async () => {
    await h.startConsumer();
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id, { conditions: { trigger: { kind: 'review.approved' } } });
    // A stale binding (a losing suspend's topic) pointing at the same epoch.
    await h.redis.hset(h.keys.trigger(0, 'deploy.done'), w.id, String(s.version));
    const [ticket] = await h.producer.deliverEvent({ provider: 'ci', kind: 'deploy.done', id: 'e1' });
    expect(await ticket?.result()).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
    expect((await h.producer.getWorker(w.id))?.status).toBe('suspended');
  });

  it('F6: close validates its options and rejects asynchronously', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const bad = h.producer.close(w.id, { graceful: 'yes' } as unknown as { graceful: boolean });
    await expect(bad).rejects.toMatchObject({ code: 'RP-INVALID-INPUT', path: 'options.graceful' });
    expect((await h.producer.getWorker(w.id))?.status).toBe('running');
  });

  it('F7: a timeout that resumes a worker keeps its own job and outcome', async () => {
    await h.startConsumer();
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 50 } } });
    const timeouts = new Queue('timeout', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
    const jobId = `timeout-${w.id}-${s.version}`;
    await waitFor('the timeout to complete', async () => (await timeouts.getJobState(jobId)) === 'completed');
    const job = await timeouts.getJob(jobId);
    // The job keeps the small stored outcome; ticket.result() adds the worker's summary.
    expect(job?.returnvalue).toEqual({
      outcome: 'resumed',
      version: s.version + 1,
      respawnJobId: `respawn-${w.id}-${s.version + 1}`,
    });
    await timeouts.close();
  });
});
