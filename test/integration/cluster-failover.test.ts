// Failover on a private Redis Cluster with one replica per master (issue 9, item 5): a planned
// failover under load loses nothing acknowledged and every client finds the new master by itself;
// `durability: 'replicated'` makes a write wait for the replica (WAIT 1 on the node that ran it).
// The SIGKILL case loses writes by design of asynchronous replication: test/chaos/failover-run.ts
// measures it by hand.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResumeProcessorError } from '../../src/lib/errors.js';
import { type RedisClusterHandle, startRedisCluster } from '../../src/lib/redis-server.js';
import { decodeRecord, splitDocument } from '../../src/lib/store/record-codec.js';
import { createProducer } from '../../src/producers/producer.js';
import { runFailoverLoad } from '../chaos/failover.js';
import {
  coveringHarness,
  direct,
  killMaster,
  plannedFailover,
  type Shard,
  shards,
  unavailabilityProbe,
} from '../chaos/failover-faults.js';
import type { Harness } from '../support/harness.js';

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicas: 1 });
}, 30_000);
afterAll(async () => cluster?.stop());

/** Stops the shard's replica process for `ms` (SIGSTOP, then SIGCONT): it acknowledges nothing meanwhile. */
function freezeReplica(shard: Shard, ms: number): Promise<number> {
  const pid = shard.replica?.pid as number;
  process.kill(pid, 'SIGSTOP');
  return new Promise((resolve) =>
    setTimeout(() => {
      process.kill(pid, 'SIGCONT');
      resolve(Date.now());
    }, ms),
  );
}

/** A worker of the harness that lives on `shard` (ids are spread by hash; try until one lands there). */
function workerOn(h: Harness, shard: Shard, tag: string): string {
  for (let i = 0; ; i++)
    if (shard.partitions.includes(h.keys.partitionOf(`${tag}-${i}`))) return `${tag}-${i}`;
}

describe('Redis Cluster failover, 3 masters with a replica each', () => {
  it('planned failover under load: clients follow the new master, nothing acknowledged is lost', async () => {
    const { h, shards: found } = await coveringHarness(cluster, 6);
    try {
      expect(found.map((s) => s.partitions.length > 0)).toEqual([true, true, true]);
      // The in-process consumer notes the resumes it runs after the failover (a PreResume hook that allows).
      let failedOverAt = Number.POSITIVE_INFINITY;
      const ranAfter: string[] = [];
      const note = (p: { worker: { id: string } }) => {
        if (Date.now() > failedOverAt) ranAfter.push(p.worker.id);
      };
      const inProcess = await h.startConsumer({ hooks: { preResume: [note] } });
      await h.spawnConsumer();
      const victim = found[0] as Shard;
      const probe = unavailabilityProbe(h, victim.partitions[0] as number);
      const report = await runFailoverLoad(h, {
        workers: 200,
        windowMs: 3000,
        faultAtMs: 1000,
        fault: async () => {
          await plannedFailover(victim);
          failedOverAt = Date.now();
        },
        settleMs: 20_000,
      });
      const unavailableMs = await probe.stop();
      console.info('planned failover', { unavailableMs, ...report });

      expect(report.refused).toEqual({});
      expect(report.acked).toBe(160);
      expect(report.lostRequests).toEqual([]);
      expect(report.outcomes).toEqual({ resumed: 160 });
      expect(report.revertedCommits).toEqual([]);
      expect(report.missingRespawns).toEqual([]);
      expect(report.extraRespawns).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.wrongTimeouts).toEqual([]);

      // Both consumers kept serving the shard that moved, neither restarted: the in-process one ran
      // resumes there after the failover, and the process alone resumes a worker there.
      const onVictim = (id: string) => victim.partitions.includes(h.keys.partitionOf(id));
      expect(ranAfter.filter(onVictim).length).toBeGreaterThan(0);
      const moved = await shards(cluster, h);
      const shard = moved.find((s) => s.master.port === victim.replica?.port) as Shard;
      expect(shard.partitions).toEqual(victim.partitions);
      await inProcess.stop();
      const id = workerOn(h, shard, 'process-alone');
      await h.producer.registerWorker({ id, name: 'after', task: 't' });
      await h.producer.suspend(id, { reason: 'park' });
      const alone = await (await h.producer.resume(id, 'go')).result({ timeoutMs: 10_000 });
      expect(alone).toMatchObject({ outcome: 'resumed' });
    } finally {
      await h.close();
    }
  });

  it("durability 'replicated': a write returns once the replica has it, and says so when it cannot", async () => {
    const { h, shards: found } = await coveringHarness(cluster, 6);
    const replicated = createProducer({
      connection: h.connection,
      prefix: h.prefix,
      partitions: h.partitions,
      durability: 'replicated',
      replicaTimeoutMs: 300,
    });
    try {
      await h.startConsumer({ durability: 'replicated', replicaTimeoutMs: 5000 });
      const shard = found[1] as Shard;
      const replica = direct(shard.replica as NonNullable<Shard['replica']>);
      await replica.call('READONLY');
      const onReplica = async (id: string) => {
        const doc = await replica.get(h.keys.doc(id));
        return doc ? decodeRecord(id, splitDocument(doc)) : null;
      };

      // The consumer's commit waits for the replica: the outcome is known only after the replica is
      // back, and the replica then holds the committed version. The request itself is enqueued by an
      // 'async' producer, which returns while the replica is stopped.
      const a = workerOn(h, shard, 'commit');
      await replicated.registerWorker({ id: a, name: 'a', task: 't' });
      await replicated.suspend(a, { reason: 'park' });
      const thawed = freezeReplica(shard, 800);
      const askedAt = Date.now();
      const ticket = await h.producer.resume(a, 'go');
      expect(Date.now() - askedAt).toBeLessThan(400);
      const outcome = await ticket.result({ timeoutMs: 10_000 });
      const doneAt = Date.now();
      expect(outcome).toMatchObject({ outcome: 'resumed', version: 3 });
      expect(doneAt).toBeGreaterThanOrEqual(await thawed);
      expect((await onReplica(a))?.version).toBe(3);

      // The producer's commits and enqueue: the replica has the write when the call returns, which is
      // after the replica came back (the 'async' resume above returned while it was stopped).
      const b = workerOn(h, shard, 'enqueue');
      await replicated.registerWorker({ id: b, name: 'b', task: 't' });
      await replicated.suspend(b, { reason: 'park' });
      expect((await onReplica(b))?.status).toBe('suspended');
      const resumed = freezeReplica(shard, 200);
      const queued = await replicated.resume(b, 'go');
      expect(Date.now()).toBeGreaterThanOrEqual(await resumed);
      const jobKey = h.keys.queueKey(h.keys.partitionOf(b), 'resume', queued.jobId);
      expect(await replica.exists(jobKey)).toBe(1);
      expect(await queued.result({ timeoutMs: 10_000 })).toMatchObject({ outcome: 'resumed' });

      // No replica within 300 ms: RP-NOT-REPLICATED, written (applied) the first time; refused
      // before writing while the slot stays short; accepted again once the replica is back.
      const c = workerOn(h, shard, 'short');
      await replicated.registerWorker({ id: c, name: 'c', task: 't' });
      await replicated.suspend(c, { reason: 'park' });
      const back = freezeReplica(shard, 900);
      const first = await replicated.resume(c, 'one').catch((e: unknown) => e);
      expect(first).toBeInstanceOf(ResumeProcessorError);
      expect(first).toMatchObject({ code: 'RP-NOT-REPLICATED', retryable: true, details: { applied: true } });
      const waiting = () => h.queues.of(c).resume.getJobCountByTypes('waiting', 'active', 'completed');
      const before = await waiting();
      const second = await replicated.resume(c, 'two').catch((e: unknown) => e);
      expect(second).toMatchObject({ code: 'RP-NOT-REPLICATED', details: { applied: false } });
      expect(await waiting()).toBe(before);
      await back;
      await new Promise((r) => setTimeout(r, 1100));
      await expect(replicated.resume(c, 'three')).resolves.toMatchObject({ workerId: c });
      replica.disconnect();
    } finally {
      await replicated.disconnect();
      await h.close();
    }
  });

  it('SIGKILL of a master under load: consumers recover, every acknowledged resume finishes, stop() returns', async () => {
    // Last in the file: the killed master stays down, so its shard has no replica afterwards.
    // Before blocking fetches had a client-side timeout, a BZPOPMIN queued for the dead master
    // waited forever: that partition's worker took no more jobs and its close() never returned.
    const { h, shards: found } = await coveringHarness(cluster, 6);
    let closed = false;
    try {
      await h.startConsumer({ concurrency: 16 });
      await h.startConsumer({ concurrency: 16 });
      const victim = found[2] as Shard;
      const report = await runFailoverLoad(h, {
        workers: 200,
        windowMs: 3000,
        faultAtMs: 1000,
        fault: () => killMaster(victim),
        settleMs: 20_000,
      });
      console.info('killed master', report);
      // Calls during the takeover are refused with a typed, retryable error, never left hanging.
      expect(Object.keys(report.refused).filter((code) => code !== 'RP-REDIS-UNAVAILABLE')).toEqual([]);
      expect(report.acked).toBeGreaterThan(0);
      expect(report.lostRequests).toEqual([]);
      expect(report.outcomes).toEqual({ resumed: report.acked });
      expect(report.missingRespawns).toEqual([]);
      expect(report.extraRespawns).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.wrongTimeouts).toEqual([]);
      const started = Date.now();
      await h.close();
      closed = true;
      expect(Date.now() - started).toBeLessThan(14_000);
    } finally {
      if (!closed) await h.close();
    }
  });
});
