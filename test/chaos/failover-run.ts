// By hand (not part of `npm test`): failovers on a private 3+3 Redis Cluster under load, and the cost
// of `durability: 'replicated'`. Prints one JSON line per run.
//
//   npx tsx test/chaos/failover-run.ts --fault kill --runs 3                      # SIGKILL a master
//   npx tsx test/chaos/failover-run.ts --fault kill --durability replicated --runs 3
//   npx tsx test/chaos/failover-run.ts --fault kill-lagging --runs 3              # its replica 300 ms behind
//   npx tsx test/chaos/failover-run.ts --fault planned --runs 3                   # CLUSTER FAILOVER
//   npx tsx test/chaos/failover-run.ts --measure                                  # WAIT's cost
//
// Each run: a fresh cluster (node timeout 2 s), a fresh deployment of 6 partitions over the three
// shards, two in-process consumers and one consumer process, 400 workers (80 % resumed over 4 s,
// 20 % with a timeout due around the fault), the fault 1.5 s into the window, then the checks of
// test/chaos/failover.ts. A killed master is started again 0.5 s after the takeover (--restart-after).

import { parseArgs } from 'node:util';
import { type RedisClusterHandle, startRedisCluster } from '../../src/lib/redis-server.js';
import type { DurabilityMode } from '../../src/lib/store/durability.js';
import { createProducer } from '../../src/producers/producer.js';
import { listAll } from '../support/harness.js';
import { runFailoverLoad } from './failover.js';
import {
  coveringHarness,
  direct,
  killMaster,
  killMasterLagging,
  plannedFailover,
  type Shard,
  unavailabilityProbe,
} from './failover-faults.js';

const { values } = parseArgs({
  options: {
    fault: { type: 'string', default: 'kill' },
    durability: { type: 'string', default: 'async' },
    runs: { type: 'string', default: '1' },
    workers: { type: 'string', default: '400' },
    measure: { type: 'boolean', default: false },
    /** Start a killed master again this long after its replica took over (-1: leave it down). */
    'restart-after': { type: 'string', default: '500' },
  },
});
const restartAfterMs = Number(values['restart-after']) < 0 ? undefined : Number(values['restart-after']);
const durability = values.durability as DurabilityMode;

async function faultRun(run: number): Promise<void> {
  const cluster = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 2000 });
  const { h, shards } = await coveringHarness(cluster, 6);
  try {
    for (let i = 0; i < 2; i++) await h.startConsumer({ durability, concurrency: 16 });
    await h.spawnConsumer({ RESUME_DURABILITY: durability, CONSUMER_CONCURRENCY: '16' });
    const victim = shards[run % shards.length] as Shard;
    const probe = unavailabilityProbe(h, victim.partitions[0] as number);
    const report = await runFailoverLoad(h, {
      workers: Number(values.workers),
      windowMs: 4000,
      faultAtMs: 1500,
      fault: () =>
        values.fault === 'planned'
          ? plannedFailover(victim)
          : values.fault === 'kill-lagging'
            ? killMasterLagging(victim, 300, restartAfterMs)
            : killMaster(victim, restartAfterMs),
      producer: { durability },
      settleMs: 30_000,
    });
    const unavailableMs = await probe.stop();
    console.log(JSON.stringify({ run, fault: values.fault, durability, unavailableMs, ...report }));
  } finally {
    // A close that fails must not leave the servers running.
    await h.close().catch((err: unknown) => console.error('closing the harness failed', err));
    await cluster.stop();
  }
}

/**
 * WAIT's cost, each mode measured twice, alternating, after an unmeasured warm-up: one producer call
 * at a time (suspend = read + commit, resume = enqueue), 32 suspends in flight, and a consumer
 * draining 1,500 queued resumes (its commits wait in 'replicated' mode).
 */
async function measure(): Promise<void> {
  const cluster: RedisClusterHandle = await startRedisCluster({ masters: 3, replicas: 1 });
  const { h } = await coveringHarness(cluster, 6);
  const stats = (ms: number[]) => {
    ms.sort((a, b) => a - b);
    const at = (q: number) => Number((ms[Math.floor(q * (ms.length - 1))] as number).toFixed(3));
    return {
      mean: Number((ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3)),
      p50: at(0.5),
      p99: at(0.99),
    };
  };
  try {
    for (const [round, mode] of (
      ['async', 'async', 'replicated', 'async', 'replicated'] as const
    ).entries()) {
      const producer = createProducer({
        connection: h.connection,
        prefix: h.prefix,
        partitions: 6,
        durability: mode,
      });
      const ids = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `m${round}-${tag}-${i}`);
      const one = async (list: string[], work: (id: string) => Promise<unknown>) => {
        const ms: number[] = [];
        for (const id of list) {
          const t = performance.now();
          await work(id);
          ms.push(performance.now() - t);
        }
        return stats(ms);
      };
      const inFlight = async (list: string[], width: number, work: (id: string) => Promise<unknown>) => {
        const t = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: width }, async () => {
            while (next < list.length) await work(list[next++] as string);
          }),
        );
        return Math.round(list.length / ((performance.now() - t) / 1000));
      };
      const waits = await waitCalls(cluster);
      const seq = ids('seq', 400);
      await inFlight(seq, 32, (id) => producer.registerWorker({ id, name: 'm', task: 't' }));
      const suspend = await one(seq, (id) => producer.suspend(id, { reason: 'park' }));
      const enqueue = await one(seq, (id) => producer.resume(id, 'go'));
      const par = ids('par', 2000);
      await inFlight(par, 32, (id) => producer.registerWorker({ id, name: 'm', task: 't' }));
      const suspendsPerSecond = await inFlight(par, 32, (id) => producer.suspend(id, { reason: 'park' }));
      const drain = ids('drain', 1500);
      await inFlight(drain, 32, (id) => producer.registerWorker({ id, name: 'm', task: 't' }));
      await inFlight(drain, 32, (id) => producer.suspend(id, { reason: 'park' }));
      await Promise.all(seq.map((id) => producer.close(id))); // their queued resumes answer at once
      await inFlight(drain, 32, (id) => producer.resume(id, 'go'));
      const t = performance.now();
      const consumer = await h.startConsumer({ durability: mode, concurrency: 16 });
      const running = () => listAll(producer, { status: 'suspended' });
      while ((await running()).some((w) => w.id.startsWith(`m${round}-drain`)))
        await new Promise((r) => setTimeout(r, 50));
      const resumesPerSecond = Math.round(drain.length / ((performance.now() - t) / 1000));
      await consumer.stop();
      const waitCommands = (await waitCalls(cluster)) - waits;
      if (round > 0)
        console.log(
          JSON.stringify({ mode, suspend, enqueue, suspendsPerSecond, resumesPerSecond, waitCommands }),
        );
      await producer.disconnect();
    }
  } finally {
    // A close that fails must not leave the servers running.
    await h.close().catch((err: unknown) => console.error('closing the harness failed', err));
    await cluster.stop();
  }
}

/** WAIT commands the masters ran so far (INFO commandstats). */
async function waitCalls(cluster: RedisClusterHandle): Promise<number> {
  let total = 0;
  for (const server of cluster.servers) {
    const c = direct(server);
    const stats = await c.info('commandstats').catch(() => '');
    total += Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    c.disconnect();
  }
  return total;
}

if (values.measure) await measure();
else for (let run = 0; run < Number(values.runs); run++) await faultRun(run);
