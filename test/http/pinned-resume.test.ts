// Pinned resumes (the ground of the HTTP resume tokens): one job per request key, and a resume that
// applies only to the suspension of its epoch.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resumePinned } from '../../src/producers/pinned-resume.js';
import { createHarness, type Harness } from '../support/harness.js';

describe('pinned resumes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.startConsumer();
  });
  afterEach(async () => h.close());

  const deps = () => ({ store: h.store, queues: h.queues, clock: Date.now });

  it('resume the suspension of their epoch; requests under one key share its job', async () => {
    await h.producer.registerWorker({ id: 'w', name: 'w', task: 't' });
    const s = await h.producer.suspend('w', { reason: 'approval' });
    const epoch = s.suspension?.epoch as number;
    const uses = await Promise.all(
      Array.from({ length: 20 }, () =>
        resumePinned(deps(), { workerId: 'w', epoch, requestKey: 'k1', input: 'approved' }),
      ),
    );
    expect(uses.filter((u) => !u.joined)).toHaveLength(1);
    expect(new Set(uses.map((u) => u.ticket.jobId)).size).toBe(1);
    const outcome = await uses[0]?.ticket.result({ timeoutMs: 10_000 });
    expect(outcome?.outcome).toBe('resumed');
    expect(outcome?.worker?.history).toEqual(['approved']);
    expect(await h.respawnJobIds()).toHaveLength(1);
  });

  it('an older epoch is refused with HARN-SUS-003 and changes nothing', async () => {
    await h.producer.registerWorker({ id: 'w2', name: 'w2', task: 't' });
    const first = await h.producer.suspend('w2', { reason: 'one' });
    const oldEpoch = first.suspension?.epoch as number;
    await (await h.producer.resume('w2', 'go')).result({ timeoutMs: 10_000 });
    const second = await h.producer.suspend('w2', { reason: 'two' });
    const { ticket } = await resumePinned(deps(), {
      workerId: 'w2',
      epoch: oldEpoch,
      requestKey: 'old',
      input: 'late',
    });
    const outcome = await ticket.result({ timeoutMs: 10_000 });
    expect(outcome.outcome).toBe('rejected');
    expect(outcome.outcome === 'rejected' && outcome.error.code).toBe('HARN-SUS-003');
    const now = await h.producer.getWorker('w2');
    expect(now?.status).toBe('suspended');
    expect(now?.version).toBe(second.version);
  });

  it('blank input is refused before anything is queued', async () => {
    await h.producer.registerWorker({ id: 'w3', name: 'w3', task: 't' });
    const s = await h.producer.suspend('w3');
    await expect(
      resumePinned(deps(), {
        workerId: 'w3',
        epoch: s.suspension?.epoch as number,
        requestKey: 'b',
        input: '  ',
      }),
    ).rejects.toMatchObject({ code: 'HARN-SUS-009' });
    expect(await h.queues.of('w3').resume.getJobCounts()).toMatchObject({ waiting: 0, completed: 0 });
  });
});
