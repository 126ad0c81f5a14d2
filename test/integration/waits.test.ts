// Moving a suspended worker's deadline (extendTimeout) and disarming what it waits for
// (cancelWait), alone and racing the timeout itself.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/lib/policy/ids.js';
import type { JsonObject } from '../../src/lib/policy/types.js';
import { createHarness, type Harness, sleep, targets, waitFor } from '../support/harness.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? String(e),
  );

describe.each(targets())('extendTimeout and cancelWait on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
    await h.startConsumer();
  });
  afterEach(async () => h.close());

  const parked = async (id: string, conditions: JsonObject) => {
    await h.producer.registerWorker({ id, name: id, task: 't' });
    return h.producer.suspend(id, { reason: 'wait', conditions });
  };

  it('a later deadline: the first timeout never fires, the moved one does', async () => {
    const s = await parked('later', { timeout: { duration_ms: 300 } });
    const epoch = s.suspension?.epoch as number;
    const first = s.suspension?.deadline_ms as number;
    const moved = await h.producer.extendTimeout('later', { byMs: 1500 }, { expectEpoch: epoch });
    expect(moved.status).toBe('suspended');
    expect(moved.suspension?.deadline_ms).toBe(first + 1500);
    expect(moved.suspension?.epoch).toBe(epoch);
    expect(moved.version).toBe(epoch + 1);
    // The first job went with the move (it was still delayed); the new one waits for the new deadline.
    const timeouts = h.queues.of('later').timeout;
    expect(await timeouts.getJob(jobIds.timeout('later', epoch))).toBeUndefined();
    expect(await timeouts.getJobState(jobIds.timeout('later', epoch, 1))).toBe('delayed');
    expect((await h.store.events('later')).map((e) => e.type)).toContain('WorkerDeadlineMoved');

    await sleep(first + 400 - Date.now());
    expect((await h.producer.getWorker('later'))?.status).toBe('suspended');
    await waitFor('the moved timeout', async () => {
      const w = await h.producer.getWorker('later');
      return w?.status === 'running' ? w : null;
    });
    expect(Date.now()).toBeGreaterThanOrEqual(first + 1500);
    expect(await h.respawnJobIds()).toEqual([jobIds.respawn('later', epoch + 2)]);
  });

  it('a deadline in the past fires at once', async () => {
    await parked('sooner', { timeout: { duration_ms: 600_000, on_timeout: 'fail' } });
    await h.producer.extendTimeout('sooner', { until: new Date(Date.now() - 1000).toISOString() });
    const failed = await waitFor(
      'the timeout',
      async () => {
        const w = await h.producer.getWorker('sooner');
        return w?.status === 'failed' ? w : null;
      },
      5000,
    );
    expect(failed.latest_error).toBe('auto-resume timeout expired');
  });

  it('refusals: not suspended, another epoch, no timeout, bad input', async () => {
    await h.producer.registerWorker({ id: 'run', name: 'run', task: 't' });
    expect(await codeOf(h.producer.extendTimeout('run', { byMs: 1000 }))).toBe('HARN-SUS-003');
    expect(await codeOf(h.producer.cancelWait('run'))).toBe('HARN-SUS-003');
    expect(await codeOf(h.producer.extendTimeout('ghost', { byMs: 1000 }))).toBe('RP-UNKNOWN-WORKER');
    const s = await parked('p', { timeout: { duration_ms: 600_000 } });
    const epoch = s.suspension?.epoch as number;
    expect(await codeOf(h.producer.extendTimeout('p', { byMs: 1000 }, { expectEpoch: epoch + 5 }))).toBe(
      'HARN-SUS-003',
    );
    expect(await codeOf(h.producer.extendTimeout('p', { byMs: 1000, until: 5 } as never))).toBe(
      'RP-INVALID-INPUT',
    );
    expect(await codeOf(h.producer.extendTimeout('p', {} as never))).toBe('RP-INVALID-INPUT');
    expect(await codeOf(h.producer.extendTimeout('p', { until: 'soon' }))).toBe('RP-INVALID-INPUT');
    expect(await codeOf(h.producer.cancelWait('p', { conditions: [] }))).toBe('RP-INVALID-INPUT');
    await parked('bare', {});
    expect(await codeOf(h.producer.extendTimeout('bare', { byMs: 1000 }))).toBe('RP-NO-TIMEOUT');
    // Nothing of it changed the worker.
    expect((await h.producer.getWorker('p'))?.version).toBe(epoch);
  });

  it('cancelWait disarms the timeout, then the trigger; the worker stays suspended; twice is a no-op', async () => {
    const s = await parked('c', { timeout: { duration_ms: 300 }, on_event: 'review.done' });
    const epoch = s.suspension?.epoch as number;
    const noTimeout = await h.producer.cancelWait('c', { conditions: ['timeout'] });
    expect(noTimeout.suspension?.deadline_ms).toBeUndefined();
    expect(noTimeout.suspension?.conditions).toEqual({ on_event: 'review.done' });
    expect(await h.queues.of('c').timeout.getJob(jobIds.timeout('c', epoch))).toBeUndefined();
    await sleep(700);
    expect((await h.producer.getWorker('c'))?.status).toBe('suspended');
    expect((await h.producer.listWorkers({ orderBy: 'deadline' })).items).toEqual([]);

    const noTrigger = await h.producer.cancelWait('c', { conditions: ['trigger'] });
    expect(noTrigger.suspension?.auto_resume_trigger).toBeFalsy();
    expect(
      await h.producer.deliverEvent({ provider: 'test', kind: 'review.done', id: 'e1', payload: {} }),
    ).toEqual([]);
    const again = await h.producer.cancelWait('c');
    expect(again.version).toBe(noTrigger.version); // nothing left to cancel: unchanged
    expect((await h.store.events('c')).filter((e) => e.type === 'WorkerWaitCancelled')).toHaveLength(2);

    // An operator resumes it as usual.
    const outcome = await (await h.producer.resume('c', 'go on')).result({ timeoutMs: 10_000 });
    expect(outcome).toMatchObject({ outcome: 'resumed' });
  });
});

describe('extendTimeout racing the timeout it moves', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.startConsumer({ concurrency: 16 });
  });
  afterEach(async () => h.close());

  it('200 races: either the move wins (no resume) or the timeout does (HARN-SUS-003), never both', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `race-${i}`);
    const t0 = Date.now() + 1500;
    const epochs = new Map<string, number>();
    await Promise.all(
      ids.map(async (id, i) => {
        await h.producer.registerWorker({ id, name: id, task: 't' });
        // Deadlines spread over 100 ms around the moment the moves are sent.
        const s = await h.producer.suspend(id, {
          reason: 'race',
          conditions: { timeout: { deadline: t0 - 50 + (i % 20) * 5 } },
        });
        epochs.set(id, s.suspension?.epoch as number);
      }),
    );
    await sleep(t0 - Date.now());
    const results = await Promise.all(
      ids.map((id) =>
        h.producer.extendTimeout(id, { byMs: 600_000 }).then(
          (w) => ({ id, moved: true as const, w }),
          (e: { code?: string }) => ({ id, moved: false as const, code: e.code }),
        ),
      ),
    );
    // Every timeout due before the move has fired (and committed) well within 2 s.
    await sleep(2000);
    const respawns = new Set(await h.respawnJobIds());
    let moved = 0;
    let fired = 0;
    for (const r of results) {
      const w = await h.producer.getWorker(r.id);
      const epoch = epochs.get(r.id) as number;
      if (r.moved) {
        moved += 1;
        expect(w?.status).toBe('suspended');
        expect(w?.version).toBe(epoch + 1);
        expect(respawns.has(jobIds.respawn(r.id, epoch + 2))).toBe(false);
      } else {
        fired += 1;
        expect(r.code).toBe('HARN-SUS-003');
        expect(w?.status).toBe('running');
        expect(w?.version).toBe(epoch + 1);
        expect(respawns.has(jobIds.respawn(r.id, epoch + 1))).toBe(true);
      }
    }
    expect(moved + fired).toBe(200);
    expect(respawns.size).toBe(fired);
    console.info('extend vs timeout', { moved, fired });
  }, 60_000);
});
