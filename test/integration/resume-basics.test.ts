// Suspend -> resume -> one respawn; the defined rejections; blank input leaves the timeout armed.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SuspendError } from '../../src/lib/errors.js';
import { createHarness, type Harness, targets } from '../support/harness.js';

describe.each(targets())('resume basics on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
    await h.startConsumer();
  });
  afterEach(async () => h.close());

  it('suspend then resume enqueues one respawn job pointing at the resumed version', async () => {
    const w = await h.producer.registerWorker({ name: 'writer', task: 'draft', mode: 'sub_agent' });
    const suspended = await h.producer.suspend(w.id, {
      reason: 'park',
      conditions: { timeout: { duration_ms: 60_000 } },
    });
    expect(suspended.status).toBe('suspended');
    expect(suspended.suspension?.deadline_ms).toBeGreaterThan(Date.now());

    const outcome = await (await h.producer.resume(w.id, 'next: write the report')).result();
    expect(outcome.outcome).toBe('resumed');
    if (outcome.outcome !== 'resumed') return;
    expect(outcome.worker.status).toBe('running');
    expect(outcome.worker.task).toBe('next: write the report');
    expect(outcome.worker.history).toEqual(['next: write the report']);

    const jobs = await h.queues.of(w.id).tasks.getJobs(['waiting']);
    expect(jobs.map((j) => j.id)).toEqual([outcome.respawnJobId]);
    expect(jobs[0]?.data).toEqual({ workerId: w.id, version: outcome.version, initiator: 'operator' });
    // The runtime's next turn is in the record: the continuity payload of this resume.
    const stored = await h.producer.getRecord(w.id);
    expect(stored?.continuity).toMatchObject({
      reason: 'park',
      input_rendered: 'next: write the report',
      initiator: 'operator',
    });
    expect(stored?.outbox).toBeNull();

    // The armed timeout job was removed and the deadline index cleaned.
    const timeoutJobId = suspended.suspension ? `timeout-${w.id}-${suspended.suspension.epoch}` : '';
    expect(await h.queues.of(w.id).timeout.getJob(timeoutJobId)).toBeUndefined();
    expect(await h.store.indexes.countArmedTimeouts()).toBe(0);
  });

  it('close then resume gives HARN-SUS-010', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id, { reason: 'park' });
    const closed = await h.producer.close(w.id);
    expect(closed.status).toBe('cancelled');
    const outcome = await (await h.producer.resume(w.id, 'go')).result();
    expect(outcome.outcome).toBe('rejected');
    if (outcome.outcome === 'rejected') expect(outcome.error.code).toBe('HARN-SUS-010');
    expect(await h.respawnJobIds()).toEqual([]);
    // Re-close is idempotent.
    expect((await h.producer.close(w.id)).status).toBe('cancelled');
  });

  it('resume of a running worker gives HARN-SUS-003', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const outcome = await (await h.producer.resume(w.id, 'go')).result();
    expect(outcome).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
    if (outcome.outcome === 'rejected')
      expect(outcome.error.message).toContain('is not suspended (status=running)');
  });

  it('blank input gives HARN-SUS-009 and leaves the worker suspended with its timeout armed', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id, {
      reason: 'park',
      conditions: { timeout: { duration_ms: 60_000 } },
    });
    await expect(h.producer.resume(w.id, '   ')).rejects.toMatchObject({ code: 'HARN-SUS-009' });
    await expect(h.producer.resume(w.id, { input: '' })).rejects.toBeInstanceOf(SuspendError);

    // The same request placed on the queue directly (bypassing the producer) is refused by the consumer.
    await h.producer.suspend(w.id, { reason: 'park' });
    const { Queue } = await import('bullmq');
    const resumeQueue = new Queue('resume', {
      connection: h.redis,
      prefix: h.keys.queuePrefix(h.keys.partitionOf(w.id)),
    });
    await resumeQueue.add(
      'resume',
      {
        workerId: w.id,
        options: {
          inputPresent: true,
          input: ' \n ',
          continueTranscript: true,
          initiator: null,
          triggerEvent: null,
        },
        requestedAtMs: Date.now(),
      },
      { jobId: 'raw-blank' },
    );
    const job = await import('../support/harness.js').then(({ waitFor }) =>
      waitFor('raw job outcome', async () => {
        const j = await resumeQueue.getJob('raw-blank');
        return j?.finishedOn ? j : null;
      }),
    );
    expect(job.returnvalue).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-009' } });
    await resumeQueue.close();

    const after = await h.producer.getWorker(w.id);
    expect(after?.status).toBe('suspended');
    expect(after?.version).toBe(s.version);
    expect(after?.suspension?.deadline_ms).toBe(s.suspension?.deadline_ms);
    const timeoutJob = await h.redis.exists(
      h.keys.queueKey(h.keys.partitionOf(w.id), 'timeout', `timeout-${w.id}-${s.version}`),
    );
    expect(timeoutJob).toBe(1);
    expect(await h.respawnJobIds()).toEqual([]);
  });

  it('suspending a suspended worker returns it unchanged; a completed worker gives HARN-SUS-001', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const first = await h.producer.suspend(w.id, { reason: 'first' });
    const again = await h.producer.suspend(w.id, { reason: 'second' });
    expect(again).toEqual(first);
    const v = await h.producer.registerWorker({ name: 'v', task: 't' });
    await h.producer.complete(v.id);
    await expect(h.producer.suspend(v.id)).rejects.toMatchObject({ code: 'HARN-SUS-001' });
  });

  it('invalid producer input throws a typed error with a code and path, and writes nothing', async () => {
    await expect(h.producer.registerWorker({ name: '', task: 't' })).rejects.toMatchObject({
      code: 'RP-INVALID-INPUT',
      path: 'worker.name',
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await expect(
      h.producer.suspend(w.id, { conditions: { timeout: { duration_minutes: -1 } } }),
    ).rejects.toMatchObject({
      code: 'HARN-SUS-002',
    });
    await expect(
      h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 5, on_timeout: 'explode' } } }),
    ).rejects.toMatchObject({
      code: 'HARN-SUS-008',
    });
    await expect(h.producer.resume('no such id!', 'x')).rejects.toMatchObject({
      code: 'RP-INVALID-INPUT',
      path: 'target',
    });
    await expect(h.producer.resume('missing-worker', 'x')).rejects.toMatchObject({
      code: 'RP-UNKNOWN-WORKER',
    });
    expect((await h.producer.getWorker(w.id))?.version).toBe(w.version);
  });
});
