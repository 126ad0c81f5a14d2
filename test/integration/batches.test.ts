// resumeMany and closeMany: one request per matching worker; one winner per worker still holds.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/lib/policy/ids.js';
import type { JsonObject, ResumeOutcome } from '../../src/lib/policy/types.js';
import { createHarness, type Harness, sleep } from '../support/harness.js';

describe('batches', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.startConsumer({ concurrency: 16 });
    await h.startConsumer({ concurrency: 16 });
  });
  afterEach(async () => h.close());

  it('1,000 workers, two overlapping batches and timeouts falling due: one winner and one respawn each', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `b-${String(i).padStart(4, '0')}`);
    const dueAt = Date.now() + 2500;
    const epochs = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(
        ids.slice(i, i + 50).map(async (id, k) => {
          await h.producer.registerWorker({ id, name: 'b', task: 't' });
          // Every tenth worker has a timeout due while the batches run.
          const timeout: JsonObject =
            (i + k) % 10 === 0 ? { timeout: { deadline: dueAt + ((i + k) % 7) * 20 } } : {};
          const s = await h.producer.suspend(id, { reason: 'nightly', conditions: timeout });
          epochs.set(id, s.suspension?.epoch as number);
        }),
      );
    const dry = await h.producer.resumeMany({ reason: 'nightly' }, 'go', null, { dryRun: true });
    expect(dry).toMatchObject({ matched: 1000, dryRun: true, requests: [] });
    await sleep(Math.max(0, dueAt - 100 - Date.now()));

    let progressCalls = 0;
    const [one, two] = await Promise.all([
      h.producer.resumeMany({ reason: 'nightly' }, 'go', null, { onProgress: () => progressCalls++ }),
      h.producer.resumeMany({ reason: 'nightly' }, 'go', null, { concurrency: 8 }),
    ]);
    expect(one?.refused).toEqual([]);
    expect(two?.refused).toEqual([]);
    expect(progressCalls).toBe((one?.matched ?? 0) + 1);
    const tickets = [...(one?.requests ?? []), ...(two?.requests ?? [])];
    const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: 30_000 })));
    await sleep(1000); // the timeouts that won have committed

    const byWorker = new Map<string, ResumeOutcome[]>();
    tickets.forEach((t, i) => {
      byWorker.set(t.workerId, [...(byWorker.get(t.workerId) ?? []), outcomes[i] as ResumeOutcome]);
    });
    const respawns = new Set(await h.respawnJobIds());
    expect(respawns.size).toBe(1000);
    let timeoutWins = 0;
    for (const id of ids) {
      const w = await h.producer.getWorker(id);
      const epoch = epochs.get(id) as number;
      expect(w?.status).toBe('running');
      expect(w?.version).toBe(epoch + 1);
      expect(respawns.has(jobIds.respawn(id, epoch + 1))).toBe(true);
      const mine = byWorker.get(id) ?? [];
      const won = mine.filter((o) => o.outcome === 'resumed').length;
      expect(won).toBeLessThanOrEqual(1);
      for (const o of mine)
        if (o.outcome !== 'resumed')
          expect(o).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
      if (won === 0) timeoutWins += 1;
    }
    expect(timeoutWins).toBeLessThanOrEqual(100); // only a worker with a timeout can lose every request
    console.info('batches', { first: one?.matched, second: two?.matched, timeoutWins });
  }, 120_000);

  it('refuses a batch it cannot run, before sending anything', async () => {
    await h.producer.registerWorker({ id: 'r', name: 'r', task: 't' });
    await h.producer.suspend('r', { reason: 'x' });
    await expect(h.producer.resumeMany({ status: 'running' }, 'go')).rejects.toMatchObject({
      code: 'RP-INVALID-INPUT',
    });
    await expect(h.producer.resumeMany({}, '   ')).rejects.toMatchObject({ code: 'HARN-SUS-009' });
    await expect(
      h.producer.resumeMany({ reason: 'x' }, 'go', null, { concurrency: 0 }),
    ).rejects.toMatchObject({
      code: 'RP-INVALID-INPUT',
    });
    expect((await h.producer.getWorker('r'))?.status).toBe('suspended');
  });

  it('closeMany closes what the filter matches, and a dry run touches nothing', async () => {
    for (const id of ['c1', 'c2', 'c3']) {
      await h.producer.registerWorker({ id, name: id, task: 't' });
      await h.producer.suspend(id, { reason: id === 'c3' ? 'keep' : 'drop' });
    }
    const dry = await h.producer.closeMany({ reason: 'drop' }, { dryRun: true });
    expect(dry.workerIds.sort()).toEqual(['c1', 'c2']);
    expect((await h.producer.getWorker('c1'))?.status).toBe('suspended');
    const done = await h.producer.closeMany({ reason: 'drop' }, { graceful: true });
    expect(done.closed.map((w) => [w.id, w.status]).sort()).toEqual([
      ['c1', 'stopped'],
      ['c2', 'stopped'],
    ]);
    expect((await h.producer.getWorker('c3'))?.status).toBe('suspended');
  });
});
