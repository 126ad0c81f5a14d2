// Shared test plumbing: a unique prefix per test, producers and consumers on the global test
// Redis (one server, or the 3-master test cluster), child consumer processes, and readers for what
// landed on the queues.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { type Consumer, type ConsumerOptions, createConsumer } from '../../src/consumers/consumer.js';
import type { WorkerSummary } from '../../src/lib/policy/types.js';
import { type CatalogQueue, QueueSet } from '../../src/lib/queues/queues.js';
import { type ConnectionSpec, closeConnection, connect, type RedisClient } from '../../src/lib/redis.js';
import { allPartitions, type KeySpace, keySpace } from '../../src/lib/store/keys.js';
import { WorkerStore } from '../../src/lib/store/worker-store.js';
import type { ListFilter } from '../../src/producers/listing.js';
import { createProducer } from '../../src/producers/producer.js';
import type { Producer } from '../../src/producers/types.js';

export const redisUrl = () => inject('redisUrl');

/** Where a harness runs: the shared test server, or the shared 3-master test cluster. */
export interface Target {
  name: 'server' | 'cluster';
  connection: ConnectionSpec;
  /** Partitions the deployment uses there (on the cluster, enough to spread over its shards). */
  partitions: number;
  /** Environment that points a consumer process at it. */
  env: Record<string, string>;
}

export const serverTarget = (): Target => ({
  name: 'server',
  connection: redisUrl(),
  partitions: 1,
  env: { REDIS_URL: redisUrl() },
});

export const clusterTarget = (): Target => ({
  name: 'cluster',
  connection: { cluster: inject('clusterNodes') },
  partitions: 6,
  env: { REDIS_CLUSTER_NODES: inject('clusterNodes').join(',') },
});

/** The suites that run on both: `describe.each(targets())('… on %s', …)` with the target's name. */
export const targets = (): [string, Target][] => [
  ['one server', serverTarget()],
  ['a Redis Cluster', clusterTarget()],
];

export interface Harness {
  prefix: string;
  /** The target's connection spec (for more producers or consumers on the same deployment). */
  connection: ConnectionSpec;
  target: Target;
  partitions: number;
  producer: Producer;
  redis: RedisClient;
  keys: KeySpace;
  store: WorkerStore;
  queues: QueueSet;
  /** The tasks queue of partition 0 (the only one unless a test asks for more partitions). */
  tasks: CatalogQueue<'tasks'>;
  startConsumer(opts?: Partial<ConsumerOptions>): Promise<Consumer>;
  spawnConsumer(env?: Record<string, string>): Promise<ChildProcess>;
  respawnJobIds(): Promise<string[]>;
  close(): Promise<void>;
}

const CONSUMER_SCRIPT = fileURLToPath(new URL('./consumer-process.ts', import.meta.url));

/**
 * A fresh deployment (its own prefix) on `target` (default: the shared test server); `partitions`
 * overrides the target's.
 */
export async function createHarness(
  target: Target = serverTarget(),
  partitionsOverride?: number,
): Promise<Harness> {
  const partitions = partitionsOverride ?? target.partitions;
  const connection = target.connection;
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const producer = createProducer({ connection, prefix, partitions });
  const redis = connect(connection, 'store');
  const keys = keySpace(prefix, partitions);
  const queues = new QueueSet(redis, keys);
  const tasks = queues.partition(0).tasks;
  const consumers: Consumer[] = [];
  const children: ChildProcess[] = [];
  return {
    prefix,
    connection,
    target,
    partitions,
    producer,
    redis,
    keys,
    store: new WorkerStore({ redis, keys }),
    queues,
    tasks,
    async startConsumer(opts = {}) {
      const consumer = createConsumer({
        connection,
        prefix,
        partitions,
        concurrency: 8,
        stalledIntervalMs: 1000,
        reconcileIntervalMs: 500,
        lockTtlMs: 2000,
        ...opts,
      });
      consumers.push(consumer);
      await consumer.start();
      return consumer;
    },
    async spawnConsumer(env = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', CONSUMER_SCRIPT], {
        env: {
          ...process.env,
          ...target.env,
          RESUME_PREFIX: prefix,
          RESUME_PARTITIONS: String(partitions),
          LOG_LEVEL: 'warn',
          STALLED_INTERVAL_MS: '1000',
          RECONCILE_INTERVAL_MS: '500',
          LOCK_TTL_MS: '2000',
          CONSUMER_CONCURRENCY: '8',
          ...env,
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`consumer process exited early with ${code}`)));
      });
      return child;
    },
    async respawnJobIds() {
      const states = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'] as const;
      const jobs = await Promise.all(
        allPartitions(keys).map((p) => queues.partition(p).tasks.getJobs([...states], 0, -1)),
      );
      return jobs.flat().map((j) => String(j.id));
    },
    async close() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGKILL');
        }
      }
      await Promise.all(consumers.map((c) => c.stop()));
      await queues.close();
      await producer.disconnect();
      await closeConnection(redis);
    },
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every worker matching `filter`, page by page (1,000 a page). */
export async function listAll(
  producer: Pick<Producer, 'listWorkers'>,
  filter: Omit<ListFilter, 'cursor' | 'limit'> = {},
): Promise<WorkerSummary[]> {
  const all: WorkerSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await producer.listWorkers({ ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}
