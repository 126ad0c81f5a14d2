// `npm run bench -- --cluster`: the same resume on one redis-server and on a private 3-master Redis
// Cluster, with P = 1, 3, 12 and 48 partitions each, in one run. One consumer process per point (the
// same child as the main bench, pointed at the target by REDIS_URL or REDIS_CLUSTER_NODES), its own
// prefix and suspended workers. Measured per point: resumes/s, CPU per resume (the consumer plus
// every Redis process), requests per resume (client-side), and Redis commands per shard (INFO
// commandstats of each master), which shows whether one shard carries more than its share. Two
// cores cannot show scale-out in absolute terms; the cost figures are what a capacity model needs.

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type ConnectionSpec, closeConnection, connect, type RedisClient } from '../../src/lib/redis.js';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
  startRedisServer,
} from '../../src/lib/redis-server.js';
import { allPartitions, keySpace } from '../../src/lib/store/keys.js';
import { createProducer } from '../../src/producers/producer.js';
import { BenchChild } from '../lib/child.js';
import { createSuspendedWorkers } from '../lib/population.js';
import { snapshot, usedMemory } from '../lib/redis-info.js';
import { sumCounts } from '../lib/round-trips.js';
import { median, sleep } from '../lib/stats.js';
import { QUEUES, resumeJob } from '../lib/workload.js';

export interface ClusterBenchConfig {
  partitions: number[];
  concurrency: number;
  perRound: number;
  rounds: number;
  warmup: number;
  rpEnv: Record<string, string>;
  log: (msg: string) => void;
}

export interface ShardShare {
  node: string;
  commands: number;
  /** This shard's commands ÷ all shards' commands. */
  share: number;
}

export interface ClusterPoint {
  target: 'server' | 'cluster';
  partitions: number;
  resumesPerSec: number;
  perRoundPerSec: number[];
  consumerCpuMsPerResume: number;
  redisCpuMsPerResume: number;
  requestsPerResume: number;
  commandsPerResume: number;
  shards: ShardShare[];
  /** used_memory (all masters) the second half of the suspended population added, per worker. */
  bytesPerSuspendedWorker: number;
  /**
   * used_memory the measured rounds added, per resume: the finished resume job BullMQ keeps (up to
   * the retention cap), the respawn job waiting on `tasks` (nothing consumes it here) and the
   * record's growth (history entry, events), minus the resume job's wait entry.
   */
  bytesRetainedPerResume: number;
}

export interface ClusterBenchResult {
  masters: number;
  points: ClusterPoint[];
}

interface Target {
  name: 'server' | 'cluster';
  connection: ConnectionSpec;
  env: Record<string, string>;
  /** One plain connection per server that holds data (every master). */
  nodes: Redis[];
}

export async function runClusterBench(cfg: ClusterBenchConfig): Promise<ClusterBenchResult> {
  let server: RedisServerHandle | undefined;
  let cluster: RedisClusterHandle | undefined;
  const opened: Redis[] = [];
  const plain = (port: number) => {
    const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
    opened.push(r);
    return r;
  };
  try {
    server = await startRedisServer();
    cluster = await startRedisCluster({ masters: 3 });
    cfg.log(`cluster bench: redis-server ${server.url}; Redis Cluster ${cluster.nodes.join(',')}`);
    const targets: Target[] = [
      { name: 'server', connection: server.url, env: { REDIS_URL: server.url }, nodes: [plain(server.port)] },
      {
        name: 'cluster',
        connection: { cluster: cluster.nodes },
        env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') },
        nodes: cluster.servers.map((s) => plain(s.port)),
      },
    ];
    const points: ClusterPoint[] = [];
    for (const target of targets) {
      for (const p of cfg.partitions) points.push(await measurePoint(target, p, cfg));
    }
    return { masters: cluster.nodes.length, points };
  } finally {
    await Promise.all(opened.map((r) => r.quit().catch(() => r.disconnect())));
    await Promise.all([server?.stop(), cluster?.stop()]);
  }
}

async function measurePoint(
  target: Target,
  partitions: number,
  cfg: ClusterBenchConfig,
): Promise<ClusterPoint> {
  const prefix = `bcl${target.name[0]}${partitions}`;
  const keys = keySpace(prefix, partitions);
  const client: RedisClient = connect(target.connection, 'store');
  const producer = createProducer({ connection: target.connection, prefix, partitions });
  const queues = allPartitions(keys).map(
    (p) => new Queue(QUEUES.resume, { connection: client, prefix: keys.queuePrefix(p) }),
  );
  const child = await BenchChild.spawn('rp-consumer', {
    env: {
      ...cfg.rpEnv,
      ...target.env,
      RESUME_PREFIX: prefix,
      RESUME_PARTITIONS: String(partitions),
      CONSUMER_CONCURRENCY: String(cfg.concurrency),
    },
  });
  try {
    const total = cfg.warmup + cfg.rounds * cfg.perRound;
    const ids = Array.from({ length: total }, (_, i) => `c-${String(i).padStart(6, '0')}`);
    const memory = async () => (await Promise.all(target.nodes.map(usedMemory))).reduce((a, b) => a + b, 0);
    // Per worker at the margin: the second half of the population over the first, so the fixed
    // structures of a partition (queue meta, indexes' headers) do not count per worker.
    const half = Math.floor(ids.length / 2);
    await createSuspendedWorkers(producer, ids.slice(0, half));
    const halfway = await memory();
    await createSuspendedWorkers(producer, ids.slice(half));
    const populated = await memory();
    let next = 0;
    const round = async (count: number) => {
      const batch = ids.slice(next, next + count);
      next += count;
      return runRound(client, target.nodes, queues, keys, batch, child);
    };
    await round(cfg.warmup);
    const beforeRounds = await memory();
    const rounds: RoundFigures[] = [];
    for (let r = 0; r < cfg.rounds; r++) rounds.push(await round(cfg.perRound));
    const jobs = rounds.reduce((a, r) => a + r.jobs, 0);
    const afterRounds = await memory();
    const byNode = new Map<string, number>();
    for (const r of rounds)
      for (const [node, n] of r.commandsByNode) byNode.set(node, (byNode.get(node) ?? 0) + n);
    const allCommands = [...byNode.values()].reduce((a, b) => a + b, 0);
    const point: ClusterPoint = {
      target: target.name,
      partitions,
      resumesPerSec: median(rounds.map((r) => r.perSec)),
      perRoundPerSec: rounds.map((r) => r.perSec),
      consumerCpuMsPerResume: rounds.reduce((a, r) => a + r.consumerCpuMs, 0) / jobs,
      redisCpuMsPerResume: rounds.reduce((a, r) => a + r.redisCpuMs, 0) / jobs,
      requestsPerResume: rounds.reduce((a, r) => a + r.requests, 0) / jobs,
      commandsPerResume: allCommands / jobs,
      shards: [...byNode.entries()].map(([node, commands]) => ({
        node,
        commands,
        share: commands / allCommands,
      })),
      bytesPerSuspendedWorker: (populated - halfway) / (ids.length - half),
      bytesRetainedPerResume: (afterRounds - beforeRounds) / jobs,
    };
    cfg.log(
      `cluster bench: ${target.name} P=${partitions}: ${Math.round(point.resumesPerSec)}/s, ` +
        `CPU ${point.consumerCpuMsPerResume.toFixed(2)} + ${point.redisCpuMsPerResume.toFixed(2)} ms/resume, ` +
        `${point.requestsPerResume.toFixed(2)} requests, shards ${point.shards.map((s) => `${Math.round(s.share * 100)}%`).join(' ')}`,
    );
    return point;
  } finally {
    await child.stop();
    await Promise.all(queues.map((q) => q.close()));
    await producer.disconnect();
    await closeConnection(client);
  }
}

interface RoundFigures {
  jobs: number;
  perSec: number;
  consumerCpuMs: number;
  redisCpuMs: number;
  requests: number;
  commandsByNode: Map<string, number>;
}

/** Pauses every partition's resume queue, adds the batch, resumes them all and waits for the end. */
async function runRound(
  client: RedisClient,
  nodes: Redis[],
  queues: Queue[],
  keys: ReturnType<typeof keySpace>,
  batch: string[],
  child: BenchChild,
): Promise<RoundFigures> {
  await Promise.all(queues.map((q) => q.pause()));
  const byPartition = new Map<number, string[]>();
  for (const id of batch)
    byPartition.set(keys.partitionOf(id), [...(byPartition.get(keys.partitionOf(id)) ?? []), id]);
  for (const [p, ids] of byPartition) {
    const q = queues[p] as Queue;
    for (let i = 0; i < ids.length; i += 500)
      await q.addBulk(
        ids
          .slice(i, i + 500)
          .map((id) => ({ name: 'resume', data: resumeJob(id), opts: { jobId: `r-${id}` } })),
      );
  }
  const completed = (q: Queue) => client.zcard(q.toKey('completed'));
  const base = await Promise.all(queues.map(completed));
  const serverBefore = await Promise.all(nodes.map((n) => snapshot(n)));
  const childBefore = await child.stats();
  const t0 = Date.now();
  await Promise.all(queues.map((q) => q.resume()));
  for (;;) {
    const now = await Promise.all(queues.map(completed));
    const done = now.reduce((a, n, i) => a + n - (base[i] ?? 0), 0);
    if (done >= batch.length) break;
    if (Date.now() - t0 > 300_000) throw new Error(`cluster bench: ${done}/${batch.length} done after 300 s`);
    await sleep(20);
  }
  const lasts = await Promise.all(
    queues.map((q) => client.zrevrange(q.toKey('completed'), 0, 0, 'WITHSCORES')),
  );
  const t1 = Math.max(...lasts.map((l) => Number(l[1] ?? 0)));
  const childAfter = await child.stats();
  const serverAfter = await Promise.all(nodes.map((n) => snapshot(n)));
  const commandsByNode = new Map<string, number>();
  let redisCpuMs = 0;
  nodes.forEach((n, i) => {
    const before = serverBefore[i];
    const after = serverAfter[i];
    if (!before || !after) return;
    redisCpuMs += (after.cpuSec - before.cpuSec) * 1000;
    let calls = 0;
    for (const [name, stat] of after.commands) calls += stat.calls - (before.commands.get(name)?.calls ?? 0);
    commandsByNode.set(`${n.options.host}:${n.options.port}`, calls);
  });
  const ms = Math.max(1, t1 - t0);
  return {
    jobs: batch.length,
    perSec: (batch.length / ms) * 1000,
    consumerCpuMs:
      (childAfter.cpuUserUs + childAfter.cpuSystemUs - childBefore.cpuUserUs - childBefore.cpuSystemUs) /
      1000,
    redisCpuMs,
    requests: sumCounts(childAfter.redis).roundTrips - sumCounts(childBefore.redis).roundTrips,
    commandsByNode,
  };
}
