// Real consumer processes that freeze past their lock TTL or die at each step of a resume.

import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAULT_POINTS } from '../../src/lib/faults.js';
import { nowFrom } from '../../src/lib/policy/decision.js';
import { decideResume } from '../../src/lib/policy/resume.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];

describe('fencing a paused lock holder', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('a consumer paused past its lock TTL has its commit rejected and produces no respawn', async () => {
    // A: freezes (SIGSTOP) right before its commit; its BullMQ job lock is long so nobody steals the job.
    const a = await h.spawnConsumer({
      RP_FAULTS: 'pause:before-commit',
      LOCK_TTL_MS: '1000',
      STALLED_INTERVAL_MS: '60000',
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id, { reason: 'park' });
    const first = await h.producer.resume(w.id, 'from the paused consumer');
    await waitFor('consumer A to freeze holding the lock', async () => processState(a.pid ?? 0) === 'T');

    // B resumes the same worker once A's lock has expired.
    await h.startConsumer({ lockTtlMs: 1000, stalledIntervalMs: 60_000 });
    const second = await (await h.producer.resume(w.id, 'from the live consumer')).result({
      timeoutMs: 20_000,
    });
    expect(second.outcome).toBe('resumed');

    a.kill('SIGCONT');
    const fenced = await first.result({ timeoutMs: 20_000 });
    expect(fenced).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });

    const r = await h.producer.getRecord(w.id);
    expect(r?.task).toBe('from the live consumer');
    expect(r?.history).toEqual(['from the live consumer']);
    expect(await h.respawnJobIds()).toEqual([second.outcome === 'resumed' ? second.respawnJobId : '']);
    const resumedEvents = (await h.store.events(w.id)).filter((e) => e.type === 'WorkerResumed');
    expect(resumedEvents).toHaveLength(1);
  });

  it("a paused consumer whose job was taken over does not resume the worker's next suspension with it", async () => {
    // A freezes with the job taken, before it locks and reads the worker (a partition can hold its
    // requests as long), and its job lock (1 s) lapses: B takes the job over and answers it (the
    // worker was resumed by another request meanwhile), then the worker is suspended again. When A
    // thaws it locks and reads that new suspension and decides to resume it; its commit is fenced
    // by the job lock, so the new suspension stays as it is.
    const a = await h.spawnConsumer({
      RP_FAULTS: 'pause:before-lock',
      LOCK_TTL_MS: '1000',
      STALLED_INTERVAL_MS: '1000',
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id, { reason: 'park' });
    const stale = await h.producer.resume(w.id, 'from the paused consumer');
    await waitFor('consumer A to freeze holding the job', async () => processState(a.pid ?? 0) === 'T');

    await h.startConsumer({ lockTtlMs: 1000, stalledIntervalMs: 1000 });
    const live = await (await h.producer.resume(w.id, 'from the live consumer')).result({
      timeoutMs: 20_000,
    });
    expect(live.outcome).toBe('resumed');
    // B took A's job over once its lock lapsed and answered it: the worker was running by then.
    expect(await stale.result({ timeoutMs: 20_000 })).toMatchObject({
      outcome: 'rejected',
      error: { code: 'HARN-SUS-003' },
    });
    const parked = await h.producer.suspend(w.id, { reason: 'park again' });

    a.kill('SIGCONT');
    await waitFor('consumer A to run again', async () => processState(a.pid ?? 0) !== 'T');
    await new Promise((r) => setTimeout(r, 3000));
    const r = await h.producer.getRecord(w.id);
    expect(r).toMatchObject({ status: 'suspended', version: parked.version, task: 'from the live consumer' });
    expect(r?.history).toEqual(['from the live consumer']);
    expect(await h.respawnJobIds()).toEqual([live.outcome === 'resumed' ? live.respawnJobId : '']);
    expect((await h.store.events(w.id)).filter((e) => e.type === 'WorkerResumed')).toHaveLength(1);
  }, 60_000);
});

describe('a consumer killed at each step of a resume', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  const points = FAULT_POINTS.filter((p) => p !== 'before-commit');
  it.each(points)(
    'killed %s: another consumer or the reconciler finishes with exactly one respawn',
    async (point) => {
      const victim = await h.spawnConsumer({
        RP_FAULTS: `crash:${point}`,
        STALLED_INTERVAL_MS: '1000',
        LOCK_TTL_MS: '1000',
      });
      const w = await h.producer.registerWorker({ name: 'w', task: 't' });
      const s = await h.producer.suspend(w.id, {
        reason: 'park',
        conditions: { timeout: { duration_ms: 120_000 } },
      });
      const ticket = await h.producer.resume(w.id, 'survive the crash');
      await waitFor('the victim to die', async () => victim.exitCode !== null || victim.signalCode !== null);
      expect(victim.signalCode).toBe('SIGKILL');

      await h.startConsumer({ lockTtlMs: 1000, stalledIntervalMs: 1000, reconcileIntervalMs: 300 });
      const outcome = await ticket.result({ timeoutMs: 30_000 });
      expect(outcome).toMatchObject({ outcome: 'resumed', worker: { task: 'survive the crash' } });
      const r = await waitFor('outbox finished', async () => {
        const rec = await h.producer.getRecord(w.id);
        return rec?.outbox === null ? rec : null;
      });
      expect(r.status).toBe('running');
      expect(r.history).toEqual(['survive the crash']);
      expect(await h.respawnJobIds()).toEqual([`respawn-${w.id}-${s.version + 1}`]);
      const timeouts = new Queue('timeout', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
      expect(await timeouts.getJob(`timeout-${w.id}-${s.version}`)).toBeUndefined();
      await timeouts.close();
    },
  );

  it('killed after commit with no redelivery possible: the commit had already added the respawn and released the lock', async () => {
    const victim = await h.spawnConsumer({
      RP_FAULTS: 'crash:after-commit',
      STALLED_INTERVAL_MS: '60000',
      LOCK_TTL_MS: '60000',
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id, { reason: 'park' });
    const ticket = await h.producer.resume(w.id, 'go');
    await waitFor('the victim to die', async () => victim.exitCode !== null || victim.signalCode !== null);
    // The request is never redelivered (its job is removed) and no reconciler runs: what the commit
    // did is all there is.
    const resume = new Queue('resume', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
    await h.redis.del(h.keys.queueKey(0, 'resume', `${ticket.jobId}:lock`));
    await resume.remove(ticket.jobId);
    await resume.close();
    const r = await h.producer.getRecord(w.id);
    expect(r).toMatchObject({ status: 'running', outbox: null, history: ['go'] });
    expect(await h.respawnJobIds()).toEqual([`respawn-${w.id}-${r?.version}`]);
    expect(await h.redis.exists(h.store.workerKeys(w.id).lock)).toBe(0);
    expect(await h.store.indexes.countPending()).toBe(0);
    // The next change needs no lock expiry and finds nothing to finish.
    const closed = await h.producer.close(w.id);
    expect(closed.status).toBe('cancelled');
    expect(await h.respawnJobIds()).toHaveLength(1);
  });

  it('PostResume hooks left unrun by a dead consumer: the reconciler runs them once and settles', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id, { reason: 'park' });
    // A commit with a PostResume outbox and nobody to settle it: a consumer that died after commit.
    const snapshot = await h.store.read(w.id);
    if (!snapshot) throw new Error('no record');
    const decision = decideResume(
      snapshot.record,
      { options: parseResumeOptions('go'), requestId: 'dead', digest: null, postResume: true },
      nowFrom(Date.now() - 10_000),
    );
    if (decision.kind !== 'commit') throw new Error('expected a commit');
    const committed = await h.store.commit(snapshot, decision.next, {
      effects: decision.effects,
      event: decision.event,
      requestId: 'dead',
      nowMs: Date.now() - 10_000,
    });
    expect(committed).toMatchObject({ ok: true, outbox: { effects: [{ kind: 'postResume' }] } });
    const ran: string[] = [];
    const consumer = await h.startConsumer({
      lockTtlMs: 1000,
      reconcileIntervalMs: 200,
      hooks: { postResume: [(p) => void ran.push(p.worker.id)] },
    });
    await waitFor(
      'the reconciler to settle',
      async () => (await h.producer.getRecord(w.id))?.outbox === null,
    );
    expect(ran).toEqual([w.id]);
    expect(consumer.reconciler.stats.outboxesFinished).toBe(1);
    expect(await h.respawnJobIds()).toEqual([`respawn-${w.id}-${decision.next.version}`]);
    expect(await h.store.indexes.countPending()).toBe(0);
  });
});

describe('a consumer killed right after a timeout commit', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it.each([
    ['fail', 'failed'],
    ['resume_with_summary', 'resumed'],
  ] as const)(
    'on_timeout %s: the redelivered timeout job reports the outcome it applied',
    async (onTimeout, outcome) => {
      const victim = await h.spawnConsumer({
        RP_FAULTS: 'crash:after-commit',
        STALLED_INTERVAL_MS: '1000',
        LOCK_TTL_MS: '1000',
      });
      const w = await h.producer.registerWorker({ name: 'w', task: 't' });
      const s = await h.producer.suspend(w.id, {
        reason: 'park',
        conditions: { timeout: { duration_ms: 200, on_timeout: onTimeout } },
      });
      await waitFor('the victim to die', async () => victim.exitCode !== null || victim.signalCode !== null);
      expect(victim.signalCode).toBe('SIGKILL');

      await h.startConsumer({ lockTtlMs: 1000, stalledIntervalMs: 1000, reconcileIntervalMs: 300 });
      const timeouts = new Queue('timeout', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
      const job = await waitFor('the redelivered timeout job to complete', async () => {
        const j = await timeouts.getJob(`timeout-${w.id}-${s.version}`);
        return j?.finishedOn ? j : null;
      });
      await timeouts.close();
      expect(job.returnvalue).toEqual(
        outcome === 'failed'
          ? { outcome: 'failed', version: s.version + 1 }
          : { outcome: 'resumed', version: s.version + 1, respawnJobId: `respawn-${w.id}-${s.version + 1}` },
      );
      expect((await h.producer.getRecord(w.id))?.status).toBe(outcome === 'failed' ? 'failed' : 'running');
    },
  );
});
