// One scenario's world: its own redis-server (AOF everysec, noeviction), a unique prefix, the
// producer under test, a fleet of real consumer processes, an admin connection for the ledger, and
// the runtime stand-in that takes respawn jobs from every partition's `tasks` queue.

import { randomUUID } from 'node:crypto';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { respawnPayload } from '../../src/consumers/respawns.js';
import type { RespawnPayload } from '../../src/index.js';
import { createProducer, type Producer } from '../../src/index.js';
import { type RespawnJob, RespawnJobSchema } from '../../src/lib/queues/catalog.js';
import { type PartitionQueues, QueueSet } from '../../src/lib/queues/queues.js';
import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';
import { allPartitions, type KeySpace, keySpace } from '../../src/lib/store/keys.js';
import { WorkerStore } from '../../src/lib/store/worker-store.js';
import { ConsumerFleet, LogBook } from './processes.js';

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

export interface EnvOptions {
  name: string;
  consumers: ConsumerSettings;
  /** Called for every respawn job the runtime stand-in takes (at least once per job). */
  onRespawn?: (payload: RespawnPayload) => Promise<void>;
  /** More environment for every consumer process (e.g. KEEP_COMPLETED_JOBS). */
  consumerEnv?: Record<string, string>;
  /** Completed respawn jobs the runtime stand-in keeps (default: all, BullMQ's default). */
  keepRespawns?: number;
}

export class ChaosEnv {
  readonly prefix: string;
  readonly logs: LogBook;
  readonly fleet: ConsumerFleet;
  readonly producer: Producer;
  readonly admin: Redis;
  readonly keys: KeySpace;
  readonly store: WorkerStore;
  readonly queues: QueueSet;
  readonly sink: RespawnSink;

  private constructor(
    readonly redis: RedisServerHandle,
    opts: EnvOptions,
  ) {
    // RESUME_PREFIX allows 32 characters.
    this.prefix = `${opts.name.slice(0, 24)}-${randomUUID().slice(0, 6)}`;
    this.logs = new LogBook([
      /commit fenced/,
      /reconciler/,
      /Redis connection restored/,
      /Redis unavailable/,
    ]);
    this.fleet = new ConsumerFleet(
      { url: redis.url, prefix: this.prefix, env: { ...consumerEnv(opts.consumers), ...opts.consumerEnv } },
      this.logs,
    );
    this.producer = createProducer({ connection: redis.url, prefix: this.prefix });
    this.admin = new Redis(redis.url, { maxRetriesPerRequest: null });
    this.admin.on('error', () => {}); // outages are part of the scenario; commands wait for the reconnect
    this.keys = keySpace(this.prefix);
    this.store = new WorkerStore({ redis: this.admin, keys: this.keys });
    this.queues = new QueueSet(this.admin, this.keys);
    this.sink = new RespawnSink(redis.url, this.keys, opts.onRespawn, opts.keepRespawns);
  }

  /** The queues of every partition (one partition unless RESUME_PARTITIONS says otherwise). */
  partitions(): PartitionQueues[] {
    return allPartitions(this.keys).map((p) => this.queues.partition(p));
  }

  static async create(opts: EnvOptions): Promise<ChaosEnv> {
    const redis = await startRedisServer({ appendonly: true });
    return new ChaosEnv(adopt(redis), opts);
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
      await this.admin.quit().catch(() => this.admin.disconnect());
    } finally {
      await release(this.redis);
    }
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

/**
 * The runtime stand-in: takes respawn jobs (pointers: worker id, version, initiator) from every
 * partition's `tasks` queue, counts how often each job id was executed, and hands the payload the
 * engine's own respawn consumer would build (`respawnPayload` over the record) to `onRespawn`.
 */
export class RespawnSink {
  readonly executions = new Map<string, number>();
  private workers: Worker[] = [];
  private readonly connection: Redis;
  private readonly store: WorkerStore;
  private inFlight = 0;

  constructor(
    url: string,
    private readonly keys: KeySpace,
    private readonly onRespawn?: (payload: RespawnPayload) => Promise<void>,
    private readonly keep?: number,
  ) {
    this.connection = new Redis(url, { maxRetriesPerRequest: null });
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
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
