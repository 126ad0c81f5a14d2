// The kernel against a real Redis: what a commit script writes equals what the decision produced,
// the indexes follow each transition in the same script, and the cost of a change is what the
// design says (one commit script, the effects, one settle).

import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countsByConnection, diffCounts, installRoundTripCounter } from '../../bench/lib/round-trips.js';
import { EffectRunner } from '../../src/lib/effects.js';
import { parseResumeConditions } from '../../src/lib/policy/conditions.js';
import { commit, type Decision, nowFrom } from '../../src/lib/policy/decision.js';
import { decideFinish } from '../../src/lib/policy/finish.js';
import { jobIds } from '../../src/lib/policy/ids.js';
import { decideResume } from '../../src/lib/policy/resume.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import { decideSuspend } from '../../src/lib/policy/suspend.js';
import type { JsonValue, WorkerRecord } from '../../src/lib/policy/types.js';
import { decideRegister } from '../../src/lib/policy/worker-record.js';
import { QueueSet } from '../../src/lib/queues/queues.js';
import { Kernel, MAX_COMMIT_ATTEMPTS } from '../../src/lib/store/kernel.js';
import { fnv1a, keySpace } from '../../src/lib/store/keys.js';
import { createHarness, type Harness, redisUrl, waitFor } from '../support/harness.js';

const suspend = (conditions: JsonValue) => ({
  reason: 'waiting',
  initiator: 'self' as const,
  rawConditions: conditions,
  conditions: parseResumeConditions(conditions),
  triggerUnique: 'u1',
});

const workerNamed = (id: string) => ({
  id,
  name: 'n',
  task: 't',
  mode: 'sub_agent' as const,
  config: null,
  transcript: null,
  parentWorkerId: null,
});

describe('the kernel on Redis', () => {
  let h: Harness;
  let kernel: Kernel;
  beforeEach(async () => {
    h = await createHarness();
    kernel = new Kernel({ store: h.store, effects: new EffectRunner(h.queues) });
  });
  afterEach(async () => h.close());

  /** Applies a decision and checks the stored record is the decided one. */
  async function step(id: string, decide: (r: WorkerRecord | null) => Decision<unknown>) {
    const applied = await kernel.apply(id, (r) => decide(r));
    if (applied.kind !== 'committed') throw new Error(`expected a commit, got ${applied.kind}`);
    const stored = await h.store.read(id);
    expect(stored?.record).toEqual({ ...applied.record, outbox: null });
    return applied.record;
  }

  it('each transition is stored exactly, and its indexes move in the same commit', async () => {
    const id = 'k-1';
    const at = nowFrom(Date.now());
    await step(id, (r) => decideRegister(r, workerNamed(id), at));
    expect(await h.redis.sismember(h.keys.status(0, 'running'), id)).toBe(1);

    const s = await step(id, (r) =>
      decideSuspend(r, id, suspend({ timeout: { duration_ms: 60_000 }, on_event: 'review.approved' }), at),
    );
    expect(await h.redis.smismember(h.keys.status(0, 'running'), id)).toEqual([0]);
    expect(await h.redis.sismember(h.keys.status(0, 'suspended'), id)).toBe(1);
    expect(Number(await h.redis.zscore(h.keys.deadlines(0), id))).toBe(s.suspension?.deadline_ms);
    expect(await h.redis.hget(h.keys.trigger(0, 'review.approved'), id)).toBe(String(s.version));
    const timeoutJob = jobIds.timeout(id, s.version);
    expect(await h.queues.of(id).timeout.getJobState(timeoutJob)).toBe('delayed');
    expect(await h.store.countPending()).toBe(0); // settled

    const r = await step(id, (rec) =>
      decideResume(
        rec as WorkerRecord,
        { options: parseResumeOptions('go'), requestId: 'req', digest: null },
        at,
      ),
    );
    expect(r.status).toBe('running');
    expect(await h.redis.zscore(h.keys.deadlines(0), id)).toBeNull();
    expect(await h.redis.hget(h.keys.trigger(0, 'review.approved'), id)).toBeNull();
    // The commit removed the delayed timeout job itself; the effects added the respawn.
    expect(await h.queues.of(id).timeout.getJob(timeoutJob)).toBeUndefined();
    expect(await h.queues.of(id).tasks.getJobState(jobIds.respawn(id, r.version))).toBe('waiting');

    await step(id, (rec) => decideFinish(rec, id, { status: 'cancelled', error: null }, at));
    expect(await h.redis.sismember(h.keys.status(0, 'cancelled'), id)).toBe(1);
    expect((await h.store.events(id)).map((e) => [e.type, e.version])).toEqual([
      ['WorkerSpawned', 1],
      ['WorkerSuspended', 2],
      ['WorkerResumed', 3],
      ['WorkerCancelled', 4],
    ]);
  });

  it('a commit against a moved record is refused; the retry bound ends in HARN-SUS-006 with the real status', async () => {
    const w = await h.producer.registerWorker({ name: 'n', task: 't' });
    let calls = 0;
    const racing = kernel.apply(w.id, async (r) => {
      calls += 1;
      // Another writer commits between every read and commit of this one.
      await h.producer.close(w.id, { graceful: calls % 2 === 0 });
      if (!r) throw new Error('no record');
      return commit({ ...r, version: r.version + 1, latest_error: 'never written' }, [], { type: 'Test' });
    });
    await expect(racing).rejects.toMatchObject({ code: 'HARN-SUS-006' });
    await expect(racing).rejects.toThrow(/status=stopped/);
    expect(calls).toBe(MAX_COMMIT_ATTEMPTS);
    expect((await h.producer.getRecord(w.id))?.latest_error).not.toBe('never written');
  });

  /** A resume committed whose effects nobody has run yet, as a consumer that died right after it. */
  async function committedResume(id: string) {
    const at = nowFrom(Date.now());
    await step(id, (r) => decideRegister(r, workerNamed(id), at));
    await step(id, (r) => decideSuspend(r, id, suspend({ on_event: 'go' }), at));
    const snapshot = await h.store.read(id);
    const decision = decideResume(
      snapshot?.record as WorkerRecord,
      { options: parseResumeOptions('go'), requestId: `req-${id}`, digest: null },
      at,
    );
    if (decision.kind !== 'commit') throw new Error(`expected a commit, got ${decision.kind}`);
    const committed = await h.store.commit(snapshot, decision.next, {
      effects: decision.effects,
      event: decision.event,
      requestId: `req-${id}`,
      nowMs: Date.now(),
    });
    if (!committed.ok || !committed.outbox) throw new Error('expected a commit with an outbox');
    return { record: decision.next, outbox: committed.outbox };
  }

  it('the settle sent right behind the effects settles only when their jobs exist', async () => {
    const id = 'k-pipe';
    const { record, outbox } = await committedResume(id);
    const effects = new EffectRunner(h.queues);
    const settle = () => h.store.settle(id, outbox.version, null, outbox.effects);
    // The settle alone: the respawn job it vouches for is not there, so nothing changes.
    expect(await effects.runThenSettle(record, [], settle)).toBe(-1);
    expect((await h.store.read(id))?.record.outbox).toEqual(outbox);
    expect(await h.store.countPending()).toBe(1);
    // With the add written just ahead of it: added, then settled.
    expect(await effects.runThenSettle(record, outbox.effects, settle)).toBe(1);
    expect((await h.store.read(id))?.record.outbox).toBeNull();
    expect(await h.store.countPending()).toBe(0);
    expect(await h.queues.of(id).tasks.getJobState(jobIds.respawn(id, outbox.version))).toBe('waiting');
  });

  it('the settles asked for in one turn go out as one script, each with its own answer', async () => {
    installRoundTripCounter();
    const a = await committedResume('k-batch-a');
    const b = await committedResume('k-batch-b');
    await new EffectRunner(h.queues).run(a.record, a.outbox.effects); // only a's respawn is added
    const before = countsByConnection().unnamed;
    const replies = await Promise.all([
      h.store.settle('k-batch-a', a.outbox.version, null, a.outbox.effects),
      h.store.settle('k-batch-b', b.outbox.version, null, b.outbox.effects),
    ]);
    const after = countsByConnection().unnamed;
    if (!before || !after) throw new Error('no counts for the connection');
    expect(diffCounts(after, before)).toMatchObject({ roundTrips: 1, byName: { 'evalsha:rpSettle': 1 } });
    expect(replies).toEqual([1, -1]);
    expect((await h.store.read('k-batch-a'))?.record.outbox).toBeNull();
    expect((await h.store.read('k-batch-b'))?.record.outbox).toEqual(b.outbox);
    expect(await h.store.countPending()).toBe(1);
  });

  it('the event log keeps the last 32 events', async () => {
    const w = await h.producer.registerWorker({ name: 'n', task: 't' });
    for (let i = 0; i < 40; i++) await h.producer.close(w.id, { graceful: i % 2 === 0 });
    const events = await h.store.events(w.id);
    expect(events).toHaveLength(32);
    expect(events.at(-1)?.version).toBe((await h.producer.getWorker(w.id))?.version);
  });
});

describe('partitions', () => {
  it('spreads workers over P partitions and a consumer serves all of them', async () => {
    const h = await createHarness(redisUrl(), 3);
    try {
      await h.startConsumer();
      const ids = Array.from({ length: 12 }, (_, i) => `p-${i}`);
      for (const id of ids) {
        await h.producer.registerWorker({ id, name: 'n', task: 't' });
        await h.producer.suspend(id, { conditions: { on_event: 'go' } });
      }
      const used = new Set(ids.map((id) => h.keys.partitionOf(id)));
      expect(used.size).toBe(3);
      expect(ids.map((id) => h.keys.partitionOf(id))).toEqual(ids.map((id) => fnv1a(id) % 3));
      // Listing and event delivery fan out over every partition.
      expect((await h.producer.listWorkers({ status: 'suspended' })).map((w) => w.id).sort()).toEqual(
        [...ids].sort(),
      );
      const tickets = await h.producer.deliverEvent({ provider: 'p', kind: 'go', id: 'e1' });
      expect(tickets).toHaveLength(12);
      const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: 20_000 })));
      expect(outcomes.every((o) => o.outcome === 'resumed')).toBe(true);
      await waitFor('every respawn', async () => (await h.respawnJobIds()).length === 12);
    } finally {
      await h.close();
    }
  });

  it('names a queue key the way BullMQ does', async () => {
    const redis = new Redis(redisUrl(), { lazyConnect: true });
    const keys = keySpace('kx', 4);
    const queues = new QueueSet(redis, keys);
    try {
      for (const p of [0, 3]) {
        expect(keys.queueKey(p, 'timeout', 'delayed')).toBe(queues.partition(p).timeout.toKey('delayed'));
        expect(keys.queueKey(p, 'timeout', 'job-1')).toBe(queues.partition(p).timeout.toKey('job-1'));
      }
    } finally {
      await queues.close();
      redis.disconnect();
    }
  });
});

describe('requests per resume', () => {
  it('a resume costs the consumer four commands on its store connection: lock+read, commit, respawn ‖ settle', async () => {
    installRoundTripCounter();
    const h = await createHarness();
    try {
      const w = await h.producer.registerWorker({ name: 'n', task: 't' });
      await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 60_000 } } });
      await h.startConsumer({ reconcileIntervalMs: 60_000 });
      const ticket = await h.producer.resume(w.id, 'warm up the scripts');
      await ticket.result({ timeoutMs: 20_000 });
      await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 60_000 } } });
      const before = countsByConnection()['rp-store'];
      const outcome = await (await h.producer.resume(w.id, 'go')).result({ timeoutMs: 20_000 });
      expect(outcome.outcome).toBe('resumed');
      const after = countsByConnection()['rp-store'];
      if (!before || !after) throw new Error('no counts for the store connection');
      const diff = diffCounts(after, before);
      expect(diff.roundTrips).toBe(4);
      expect(diff.byName).toEqual({
        'evalsha:rpLockRead': 1,
        'evalsha:rpCommit': 1,
        'evalsha:addStandardJob': 1,
        'evalsha:rpSettle': 1,
      });
    } finally {
      await h.close();
    }
  });
});
