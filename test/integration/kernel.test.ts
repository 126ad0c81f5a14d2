// The kernel against a real Redis: what a commit script writes equals what the decision produced,
// the indexes and the jobs follow each transition in the same script, and the cost of a change is
// what the design says (a resume: the lock-read script and the commit script).

import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countsByConnection, diffCounts, installRoundTripCounter } from '../../bench/lib/round-trips.js';
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
import { createHarness, type Harness, listAll, redisUrl, serverTarget, waitFor } from '../support/harness.js';

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
    kernel = new Kernel({ store: h.store });
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
    // Status indexes are sorted sets scored by when the worker entered the status.
    expect(Number(await h.redis.zscore(h.keys.status(0, 'running'), id))).toBeGreaterThan(0);

    const s = await step(id, (r) =>
      decideSuspend(r, id, suspend({ timeout: { duration_ms: 60_000 }, on_event: 'review.approved' }), at),
    );
    expect(await h.redis.zscore(h.keys.status(0, 'running'), id)).toBeNull();
    // A suspended worker's score is its suspended_at; it is also in its reason's index.
    expect(Number(await h.redis.zscore(h.keys.status(0, 'suspended'), id))).toBe(
      s.suspension?.suspended_at_ms,
    );
    expect(Number(await h.redis.zscore(h.keys.reason(0, 'waiting'), id))).toBe(s.suspension?.suspended_at_ms);
    expect(Number(await h.redis.zscore(h.keys.deadlines(0), id))).toBe(s.suspension?.deadline_ms);
    expect(await h.redis.hget(h.keys.trigger(0, 'review.approved'), id)).toBe(String(s.version));
    const timeoutJob = jobIds.timeout(id, s.version);
    expect(await h.queues.of(id).timeout.getJobState(timeoutJob)).toBe('delayed');
    expect(await h.store.indexes.countPending()).toBe(0); // settled

    const r = await step(id, (rec) =>
      decideResume(
        rec as WorkerRecord,
        { options: parseResumeOptions('go'), requestId: 'req', digest: null },
        at,
      ),
    );
    expect(r.status).toBe('running');
    expect(await h.redis.zscore(h.keys.reason(0, 'waiting'), id)).toBeNull();
    expect(await h.redis.zscore(h.keys.deadlines(0), id)).toBeNull();
    expect(await h.redis.hget(h.keys.trigger(0, 'review.approved'), id)).toBeNull();
    // The commit removed the delayed timeout job and added the respawn itself.
    expect(await h.queues.of(id).timeout.getJob(timeoutJob)).toBeUndefined();
    expect(await h.queues.of(id).tasks.getJobState(jobIds.respawn(id, r.version))).toBe('waiting');

    await step(id, (rec) => decideFinish(rec, id, { status: 'cancelled', error: null }, at));
    expect(Number(await h.redis.zscore(h.keys.status(0, 'cancelled'), id))).toBeGreaterThan(0);
    expect(await h.redis.zscore(h.keys.status(0, 'running'), id)).toBeNull();
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

  /** A worker suspended on an event, for a resume decided by hand. */
  async function suspended(id: string) {
    const at = nowFrom(Date.now());
    await step(id, (r) => decideRegister(r, workerNamed(id), at));
    await step(id, (r) => decideSuspend(r, id, suspend({ on_event: 'go' }), at));
    const snapshot = await h.store.read(id);
    if (!snapshot) throw new Error('no record');
    return snapshot;
  }

  const resumeOf = (record: WorkerRecord, postResume = false) => {
    const decision = decideResume(
      record,
      { options: parseResumeOptions('go'), requestId: `req-${record.id}`, digest: null, postResume },
      nowFrom(Date.now()),
    );
    if (decision.kind !== 'commit') throw new Error(`expected a commit, got ${decision.kind}`);
    return decision;
  };

  it('a commit enqueues its respawn, releases the lock and keeps the idempotency outcome in the same script; a lost CAS does none of it', async () => {
    const id = 'k-ends';
    const snapshot = await suspended(id);
    const lock = h.store.workerKeys(id).lock;
    await h.redis.set(lock, 'mine', 'PX', 60_000);
    const decision = resumeOf(snapshot.record);
    const change = {
      effects: decision.effects,
      event: decision.event,
      requestId: 'req',
      nowMs: Date.now(),
      releaseLock: 'mine',
      idempotency: { keyHash: 'kh', value: '{"first":true}', ttlMs: 60_000 },
    };
    // Against a record that moved on (the version read is stale): nothing at all is written.
    const stale = { ...snapshot, record: { ...snapshot.record, version: snapshot.record.version - 1 } };
    expect(await h.store.commit(stale, decision.next, change)).toMatchObject({ ok: false });
    expect(await h.redis.get(lock)).toBe('mine');
    expect(await h.store.idempotencyRecord(id, 'kh')).toBeNull();
    expect(await h.queues.of(id).tasks.getJob(jobIds.respawn(id, decision.next.version))).toBeUndefined();

    expect(await h.store.commit(snapshot, decision.next, change)).toEqual({ ok: true, outbox: null });
    expect(await h.redis.get(lock)).toBeNull();
    expect(await h.store.idempotencyRecord(id, 'kh')).toBe('{"first":true}');
    const respawn = await h.queues.of(id).tasks.getJob(jobIds.respawn(id, decision.next.version));
    expect(respawn?.data).toEqual({ workerId: id, version: decision.next.version, initiator: 'operator' });
    expect(await respawn?.getState()).toBe('waiting');
    expect(await h.store.indexes.countPending()).toBe(0);
  });

  it('PostResume hooks are the only outbox: the commit keeps the lock, the settle clears the outbox and releases it', async () => {
    const id = 'k-post';
    const snapshot = await suspended(id);
    const decision = resumeOf(snapshot.record, true);
    const committed = await h.store.commit(snapshot, decision.next, {
      effects: decision.effects,
      event: decision.event,
      requestId: 'req',
      nowMs: Date.now(),
    });
    if (!committed.ok || !committed.outbox) throw new Error('expected a commit with an outbox');
    expect(committed.outbox.effects).toEqual([{ kind: 'postResume' }]);
    // The respawn is there already; only the hooks wait.
    expect(await h.queues.of(id).tasks.getJobState(jobIds.respawn(id, decision.next.version))).toBe(
      'waiting',
    );
    expect(await h.store.indexes.countPending()).toBe(1);
    const lock = h.store.workerKeys(id).lock;
    await h.redis.set(lock, 'holder', 'PX', 60_000);
    expect(await h.store.settle(decision.next, committed.outbox, 'holder', Date.now())).toBe(1);
    expect((await h.store.read(id))?.record.outbox).toBeNull();
    expect(await h.store.indexes.countPending()).toBe(0);
    expect(await h.redis.get(lock)).toBeNull();
    // A second settle of the same outbox changes nothing.
    expect(await h.store.settle(decision.next, committed.outbox, null, Date.now())).toBe(0);
  });

  it('an outbox that still names jobs (written before commits enqueued their own) gets them from the settle, once', async () => {
    const id = 'k-legacy';
    const snapshot = await suspended(id);
    const decision = resumeOf(snapshot.record);
    const committed = await h.store.commit(snapshot, decision.next, {
      effects: [],
      event: decision.event,
      requestId: 'req',
      nowMs: Date.now(),
    });
    expect(committed.ok).toBe(true);
    const respawnId = jobIds.respawn(id, decision.next.version);
    expect(await h.queues.of(id).tasks.getJob(respawnId)).toBeUndefined();
    const legacy = {
      version: decision.next.version,
      requestId: 'req',
      effects: [{ kind: 'respawn' as const }],
    };
    for (let i = 0; i < 2; i++) await h.store.settle(decision.next, legacy, null, Date.now());
    expect(await h.queues.of(id).tasks.getJobState(respawnId)).toBe('waiting');
    expect(await h.queues.of(id).tasks.getWaitingCount()).toBe(1);
  });

  it('the event log keeps the last 32 events', async () => {
    const w = await h.producer.registerWorker({ name: 'n', task: 't' });
    for (let i = 0; i < 40; i++) await h.producer.close(w.id, { graceful: i % 2 === 0 });
    const events = await h.store.events(w.id);
    expect(events).toHaveLength(32);
    expect(events.at(-1)?.version).toBe((await h.producer.getWorker(w.id))?.version);
  });

  it("a commit for a job whose BullMQ lock is no longer the consumer's writes nothing (JobLostError)", async () => {
    // A consumer cut off or paused past its job lock: another consumer took the job over, and the
    // worker was suspended again since. Its late decision must not resume the new suspension.
    const w = await h.producer.registerWorker({ name: 'fenced', task: 't' });
    await h.producer.suspend(w.id, { reason: 'park' });
    const jobId = 'r-taken-over';
    const lockKey = h.keys.queueKey(h.keys.partitionOf(w.id), 'resume', `${jobId}:lock`);
    const options = parseResumeOptions('late input', null);
    const resume = (token: string) =>
      kernel.apply(
        w.id,
        (r, now) => decideResume(r as WorkerRecord, { options, requestId: `${jobId}@1`, digest: null }, now),
        {
          requestId: `${jobId}@1`,
          job: { queue: 'resume', jobId, token },
        },
      );
    const before = await h.store.read(w.id);

    await h.redis.set(lockKey, 'token-of-the-consumer-that-took-it-over');
    await expect(resume('my-stale-token')).rejects.toMatchObject({
      code: 'RP-LOCK-LOST',
      name: 'JobLostError',
    });
    await h.redis.del(lockKey); // finished by the other consumer: no lock at all
    await expect(resume('my-stale-token')).rejects.toMatchObject({ code: 'RP-LOCK-LOST' });
    const after = await h.store.read(w.id);
    expect(after?.record).toEqual(before?.record);
    expect(await h.respawnJobIds()).toEqual([]);

    // While the lock is still its own, the same commit goes through.
    await h.redis.set(lockKey, 'my-token');
    const applied = await resume('my-token');
    expect(applied.kind).toBe('committed');
    expect((await h.store.read(w.id))?.record.status).toBe('running');
  });
});

describe('partitions', () => {
  it('spreads workers over P partitions and a consumer serves all of them', async () => {
    const h = await createHarness(serverTarget(), 3);
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
      expect((await listAll(h.producer, { status: 'suspended' })).map((w) => w.id).sort()).toEqual(
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
  it('a resume costs the consumer two commands on its store connection: lock+read, then the commit', async () => {
    installRoundTripCounter();
    const h = await createHarness();
    try {
      const w = await h.producer.registerWorker({ name: 'n', task: 't' });
      await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 60_000 } } });
      // No reconciler round nor metrics flush (both on the store connection) inside the window.
      await h.startConsumer({ reconcileIntervalMs: 60_000, metricsFlushMs: 600_000 });
      const ticket = await h.producer.resume(w.id, 'warm up the scripts');
      await ticket.result({ timeoutMs: 20_000 });
      await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 60_000 } } });
      const before = countsByConnection()['rp-store'];
      const outcome = await (await h.producer.resume(w.id, 'go')).result({ timeoutMs: 20_000 });
      expect(outcome.outcome).toBe('resumed');
      const after = countsByConnection()['rp-store'];
      if (!before || !after) throw new Error('no counts for the store connection');
      const diff = diffCounts(after, before);
      expect(diff.roundTrips).toBe(2);
      expect(diff.byName).toEqual({ 'evalsha:rpLockRead': 1, 'evalsha:rpCommit': 1 });
      expect(await h.respawnJobIds()).toHaveLength(2);
    } finally {
      await h.close();
    }
  });
});
