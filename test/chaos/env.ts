// One scenario's world: its own Redis (one redis-server with AOF everysec and noeviction, or a
// private 3-master Redis Cluster of such servers), a unique prefix, the producer under test, a fleet
// of real consumer processes, an admin connection for the ledger, and the runtime stand-in that takes
// respawn jobs from every partition's `tasks` queue.

import { randomUUID } from 'node:crypto';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { respawnPayload } from '../../src/consumers/respawns.js';
import type { RespawnPayload } from '../../src/index.js';
import { createProducer, type Producer } from '../../src/index.js';
import { type RespawnJob, RespawnJobSchema } from '../../src/lib/queues/catalog.js';
import { type PartitionQueues, QueueSet } from '../../src/lib/queues/queues.js';
import {
  type ConnectionSpec,
  closeConnection,
  connect,
  dataNodes,
  type RedisClient,
} from '../../src/lib/redis.js';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
  startRedisServer,
} from '../../src/lib/redis-server.js';
import { allPartitions, type KeySpace, keySpace } from '../../src/lib/store/keys.js';
import { WorkerStore } from '../../src/lib/store/worker-store.js';
import type { Target } from '../support/harness.js';
import { clusterTargetOf, shards } from './failover-faults.js';
import { ConsumerFleet, LogBook } from './processes.js';
import type { ChaosTarget } from './types.js';

export interface ConsumerSettings {
  concurrency: number;
  lockTtlMs: number;
  stalledIntervalMs: number;
  reconcileIntervalMs: number;
}

export const consumerEnv = (s: ConsumerSettings): Record<string, string> => ({
  CONSUMER_CONCURRENCY: String(s.concurrency),
  LOCK_TTL_MS: String(s.lockTtlMs),
  STALLED_INTERVAL_MS: String(s.stalledIntervalMs),
  RECONCILE_INTERVAL_MS: String(s.reconcileIntervalMs),
});

/** Masters of the cluster target (no replicas: failover is test/chaos/failover-run.ts's subject). */
export const CLUSTER_MASTERS = 3;
/** Partitions of a deployment on the cluster target: the prefix is chosen so each master serves some. */
export const CLUSTER_PARTITIONS = 6;

export interface EnvOptions {
  name: string;
  consumers: ConsumerSettings;
  /** What to run against: one redis-server (the default) or a private 3-master Redis Cluster. */
  target?: ChaosTarget;
  /** Called for every respawn job the runtime stand-in takes (at least once per job). */
  onRespawn?: (payload: RespawnPayload) => Promise<void>;
  /** More environment for every consumer process (e.g. KEEP_COMPLETED_JOBS). */
  consumerEnv?: Record<string, string>;
  /** Completed respawn jobs the runtime stand-in keeps (default: all, BullMQ's default). */
  keepRespawns?: number;
}

/** The Redis a scenario owns: one server, or a cluster (whose servers are all masters). */
type Deployment =
  | { kind: 'server'; server: RedisServerHandle }
  | { kind: 'cluster'; cluster: RedisClusterHandle };

/**
 * `Admin` is the admin connection's type: a plain `Redis` for the single-server target (what
 * `create` without a target returns), a `Redis | Cluster` when the target is chosen at run time.
 */
export class ChaosEnv<Admin extends RedisClient = RedisClient> {
  readonly logs: LogBook;
  readonly fleet: ConsumerFleet;
  readonly producer: Producer;
  readonly admin: Admin;
  readonly keys: KeySpace;
  readonly store: WorkerStore;
  readonly queues: QueueSet;
  readonly sink: RespawnSink;

  private constructor(
    private readonly deployment: Deployment,
    /** Where the deployment is: connection spec, partitions and the environment that points a process there. */
    readonly target: Target,
    readonly prefix: string,
    opts: EnvOptions,
  ) {
    this.logs = new LogBook([
      /commit fenced/,
      /reconciler/,
      /Redis connection restored/,
      /Redis unavailable/,
    ]);
    const { connection, partitions } = target;
    this.fleet = new ConsumerFleet(
      {
        prefix,
        env: {
          ...target.env,
          RESUME_PARTITIONS: String(partitions),
          ...consumerEnv(opts.consumers),
          ...opts.consumerEnv,
        },
      },
      this.logs,
    );
    this.producer = createProducer({ connection, prefix, partitions });
    // `connect` gives a plain Redis for a URL: the type parameter says which one `create` made.
    this.admin = connect(connection, 'store') as Admin;
    this.admin.on('error', () => {}); // outages are part of the scenario; commands wait for the reconnect
    this.keys = keySpace(prefix, partitions);
    this.store = new WorkerStore({ redis: this.admin, keys: this.keys });
    this.queues = new QueueSet(this.admin, this.keys);
    this.sink = new RespawnSink(connection, this.keys, opts.onRespawn, opts.keepRespawns);
  }

  /** The queues of every partition (one partition on one server, CLUSTER_PARTITIONS on the cluster). */
  partitions(): PartitionQueues[] {
    return allPartitions(this.keys).map((p) => this.queues.partition(p));
  }

  static async create(opts: EnvOptions & { target?: 'server' }): Promise<ChaosEnv<Redis>>;
  static async create(opts: EnvOptions): Promise<ChaosEnv>;
  static async create(opts: EnvOptions): Promise<ChaosEnv> {
    // RESUME_PREFIX allows 32 characters.
    const prefixOf = () => `${opts.name.slice(0, 24)}-${randomUUID().slice(0, 6)}`;
    if (opts.target !== 'cluster') {
      const server = adopt(await startRedisServer({ appendonly: true }));
      const target: Target = {
        name: 'server',
        connection: server.url,
        partitions: 1,
        env: { REDIS_URL: server.url },
      };
      return ready(new ChaosEnv({ kind: 'server', server }, target, prefixOf(), opts));
    }
    const cluster = await startRedisCluster({ masters: CLUSTER_MASTERS, appendonly: true });
    for (const server of cluster.servers) adopt(server);
    try {
      const target = clusterTargetOf(cluster, CLUSTER_PARTITIONS);
      // A random prefix can leave a master without a partition (a quarter of the time for 6 over 3):
      // pick one whose partitions' hash slots land on every master.
      for (let attempt = 0; attempt < 50; attempt++) {
        const prefix = prefixOf();
        const found = await shards(cluster, { prefix, partitions: CLUSTER_PARTITIONS });
        if (found.length === CLUSTER_MASTERS && found.every((s) => s.partitions.length > 0))
          return ready(new ChaosEnv({ kind: 'cluster', cluster }, target, prefix, opts));
      }
      throw new Error(`no prefix out of 50 put a partition on each of the ${CLUSTER_MASTERS} masters`);
    } catch (err) {
      await releaseAll(cluster.servers);
      throw err;
    }
  }

  /** The servers that hold the deployment's data: the one server, or every master of the cluster. */
  get servers(): readonly RedisServerHandle[] {
    return this.deployment.kind === 'server' ? [this.deployment.server] : this.deployment.cluster.servers;
  }

  /** Connections to each server that holds data (SCAN, INFO, DBSIZE are per server on a cluster). */
  dataNodes(): Redis[] {
    return dataNodes(this.admin);
  }

  /** The single server (restart, kill, proxy): only the server target has one. */
  get redis(): RedisServerHandle {
    if (this.deployment.kind !== 'server')
      throw new Error('this scenario needs the single-server target: it stops, kills or proxies the server');
    return this.deployment.server;
  }

  get url(): string {
    return this.redis.url;
  }

  async close(): Promise<void> {
    try {
      await this.fleet.stop();
      await this.sink.stop().catch(() => {});
      await this.producer.disconnect().catch(() => {});
      await this.queues.close().catch(() => {});
      await closeConnection(this.admin);
    } finally {
      await releaseAll(this.servers);
    }
  }
}

/**
 * Waits until the admin connection is up: a cluster client knows its masters (`dataNodes`) only
 * once it has read the slot map.
 */
async function ready<E extends ChaosEnv>(env: E): Promise<E> {
  try {
    await env.admin.ping();
    return env;
  } catch (err) {
    await env.close();
    throw err;
  }
}

// Servers this process started and has not stopped yet: if the harness dies (a thrown scenario,
// Ctrl-C, process.exit), they are killed with it rather than left running on their ports.
const live = new Set<RedisServerHandle>();
process.once('exit', () => {
  for (const server of live) {
    try {
      if (server.pid) process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function adopt(server: RedisServerHandle): RedisServerHandle {
  live.add(server);
  return server;
}

export async function release(server: RedisServerHandle): Promise<void> {
  try {
    await server.stop();
  } finally {
    live.delete(server);
  }
}

async function releaseAll(servers: readonly RedisServerHandle[]): Promise<void> {
  await Promise.all(servers.map((s) => release(s)));
}

/**
 * The runtime stand-in: takes respawn jobs (pointers: worker id, version, initiator) from every
 * partition's `tasks` queue, counts how often each job id was executed, and hands the payload the
 * engine's own respawn consumer would build (`respawnPayload` over the record) to `onRespawn`.
 */
export class RespawnSink {
  readonly executions = new Map<string, number>();
  private workers: Worker[] = [];
  private readonly connection: RedisClient;
  private readonly store: WorkerStore;
  private inFlight = 0;

  constructor(
    connection: ConnectionSpec,
    private readonly keys: KeySpace,
    private readonly onRespawn?: (payload: RespawnPayload) => Promise<void>,
    private readonly keep?: number,
  ) {
    this.connection = connect(connection, 'worker');
    this.connection.on('error', () => {});
    this.store = new WorkerStore({ redis: this.connection, keys });
  }

  start(): void {
    const handle = async (job: Job) => {
      const id = String(job.id);
      this.executions.set(id, (this.executions.get(id) ?? 0) + 1);
      this.inFlight += 1;
      try {
        const pointer: RespawnJob = RespawnJobSchema.parse(job.data);
        if (!this.onRespawn) return;
        const snapshot = await this.store.read(pointer.workerId);
        await this.onRespawn(respawnPayload(pointer, snapshot?.record ?? null));
      } finally {
        this.inFlight -= 1;
      }
    };
    this.workers = allPartitions(this.keys).map((p) => {
      const worker = new Worker('tasks', handle, {
        connection: this.connection,
        prefix: this.keys.queuePrefix(p),
        concurrency: 64,
        lockDuration: 10_000,
        stalledInterval: 10_000,
        maxStalledCount: 1_000_000,
        ...(this.keep === undefined ? {} : { removeOnComplete: { count: this.keep } }),
      });
      worker.on('error', () => {}); // Redis restarts: the worker reconnects by itself
      return worker;
    });
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Respawn ids executed more than once (BullMQ is at-least-once towards the runtime). */
  redelivered(): number {
    let n = 0;
    for (const count of this.executions.values()) if (count > 1) n += count - 1;
    return n;
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await closeConnection(this.connection);
  }
}
