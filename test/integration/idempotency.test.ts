// Idempotency keys: a replay returns the first outcome, a different payload is a conflict, keys expire.

import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProducer } from '../../src/producers/producer.js';
import { createHarness, type Harness, sleep, targets } from '../support/harness.js';

describe.each(targets())('idempotency keys on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
  });
  afterEach(async () => h.close());

  it('a key already applied returns the first outcome with replayed: true', async () => {
    await h.startConsumer();
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    const first = await (await h.producer.resume(w.id, 'go', null, { idempotencyKey: 'req-1' })).result();
    expect(first.outcome).toBe('resumed');
    expect(first.replayed).toBeUndefined();
    const again = await (await h.producer.resume(w.id, 'go', null, { idempotencyKey: 'req-1' })).result();
    expect(again).toEqual({ ...first, replayed: true });
    expect(await h.respawnJobIds()).toHaveLength(1);
  });

  it('the same key with a different input is rejected with RP-IDEMPOTENCY-CONFLICT', async () => {
    await h.startConsumer();
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    await (await h.producer.resume(w.id, 'go', null, { idempotencyKey: 'req-1' })).result();
    await expect(
      h.producer.resume(w.id, 'something else', null, { idempotencyKey: 'req-1' }),
    ).rejects.toMatchObject({
      code: 'RP-IDEMPOTENCY-CONFLICT',
      path: 'options.idempotencyKey',
    });
    expect(await h.respawnJobIds()).toHaveLength(1);
  });

  it('replayed from 2 consumers at once: one respawn and two equal outcomes', async () => {
    await Promise.all([h.startConsumer(), h.startConsumer()]);
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    // Two producers, same key at once: they share one job id.
    const other = createProducer({ connection: h.connection, prefix: h.prefix, partitions: h.partitions });
    const [a, b] = await Promise.all([
      h.producer.resume(w.id, 'go', null, { idempotencyKey: 'k' }),
      other.resume(w.id, 'go', null, { idempotencyKey: 'k' }),
    ]);
    const [oa, ob] = await Promise.all([a.result(), b.result()]);
    expect(a.jobId).toBe(b.jobId);
    // A producer that comes after the commit replays the kept outcome (replayed: true); one that
    // joins the job gets it from the job. Either way the same outcome.
    const { replayed: _pa, ...sa } = oa as typeof oa & { replayed?: boolean };
    const { replayed: _pb, ...sb } = ob as typeof ob & { replayed?: boolean };
    expect(sa).toEqual(sb);
    expect([oa, ob].filter((o) => 'replayed' in o && o.replayed).length).toBeLessThanOrEqual(1);
    expect(oa.outcome).toBe('resumed');
    await other.disconnect();

    // Two jobs carrying the same key taken by two consumers at once (e.g. a requeue by hand).
    const v = await h.producer.registerWorker({ name: 'v', task: 't' });
    await h.producer.suspend(v.id);
    const queue = new Queue('resume', {
      connection: h.redis,
      prefix: h.keys.queuePrefix(h.keys.partitionOf(v.id)),
    });
    const data = {
      workerId: v.id,
      options: {
        inputPresent: true,
        input: 'go',
        continueTranscript: true,
        initiator: null,
        triggerEvent: null,
      },
      requestedAtMs: Date.now(),
      idempotencyKey: 'k2',
    };
    await queue.addBulk([
      { name: 'resume', data, opts: { jobId: 'dup-a' } },
      { name: 'resume', data, opts: { jobId: 'dup-b' } },
    ]);
    const { waitFor } = await import('../support/harness.js');
    const [ja, jb] = await waitFor('both keyed jobs', async () => {
      const jobs = await Promise.all([queue.getJob('dup-a'), queue.getJob('dup-b')]);
      return jobs.every((j) => j?.finishedOn) ? jobs : null;
    });
    await queue.close();
    const outcomes = [ja?.returnvalue, jb?.returnvalue];
    const { replayed: _ra, ...ra } = outcomes[0];
    const { replayed: _rb, ...rb } = outcomes[1];
    expect(ra).toEqual(rb);
    expect(outcomes.filter((o) => o.replayed === true)).toHaveLength(1);
    const mine = (await h.respawnJobIds()).filter((id) => id.startsWith(`respawn-${v.id}-`));
    expect(mine).toHaveLength(1);
  });

  it('keys expire after the configured time', async () => {
    await h.startConsumer();
    const shortLived = createProducer({
      connection: h.connection,
      prefix: h.prefix,
      partitions: h.partitions,
      idempotencyTtlMs: 200,
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    const first = await (await shortLived.resume(w.id, 'go', null, { idempotencyKey: 'short' })).result();
    expect(first.outcome).toBe('resumed');
    await sleep(300);
    await h.producer.suspend(w.id);
    // After expiry the key is free: a new payload under it is a new request, not a conflict.
    const second = await (
      await shortLived.resume(w.id, 'go again', null, { idempotencyKey: 'short' })
    ).result();
    expect(second).toMatchObject({ outcome: 'resumed', worker: { task: 'go again' } });
    expect(second.replayed).toBeUndefined();
    await shortLived.disconnect();
  });
});
