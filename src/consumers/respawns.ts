// The runtime side of a respawn: BullMQ workers on every partition's `tasks` queue that read the
// resumed record and hand the runtime its next turn. A respawn job is only a pointer (worker id,
// version, initiator); the record holds the task and the continuity payload.

import { type Job, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { silentLogger } from '../lib/logger.js';
import type { RespawnPayload, WorkerRecord } from '../lib/policy/types.js';
import { KEEP_FINISHED, QUEUE_NAMES, type RespawnJob, RespawnJobSchema } from '../lib/queues/catalog.js';
import { invalidJob } from '../lib/queues/job-errors.js';
import { type ConnectionSpec, closeConnection, connect, type RedisClient } from '../lib/redis.js';
import { allPartitions, type KeySpace, keySpace } from '../lib/store/keys.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { Tracing } from '../observability/tracing.js';

export type RespawnHandler = (payload: RespawnPayload) => Promise<void> | void;

export interface RespawnWorkerDeps {
  store: WorkerStore;
  keys: KeySpace;
  partitions: readonly number[];
  handler: RespawnHandler;
  /** The handler runs in a `respawn.deliver` span continuing the resume's trace (tracing on). */
  tracing: Tracing;
  concurrency: number;
  connection: () => RedisClient;
  workerOptions: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
}

export function respawnPayload(job: RespawnJob, record: WorkerRecord | null): RespawnPayload {
  return {
    workerId: job.workerId,
    version: job.version,
    name: record?.name ?? '',
    task: record?.task ?? '',
    mode: record?.mode ?? 'sub_agent',
    initiator: job.initiator,
    continuity: record?.continuity ?? null,
    current: record?.version === job.version,
    ...(job.traceparent ? { traceparent: job.traceparent } : {}),
  };
}

/** One BullMQ worker per partition; each respawn job becomes one handler call. */
export function respawnWorkers(deps: RespawnWorkerDeps): Worker<RespawnJob, void, 'respawn'>[] {
  const handle = async (job: Job<RespawnJob, void, 'respawn'>) => {
    const parsed = RespawnJobSchema.safeParse(job.data);
    if (!parsed.success) throw invalidJob(job, parsed.error);
    const snapshot = await deps.store.read(parsed.data.workerId);
    const payload = respawnPayload(parsed.data, snapshot?.record ?? null);
    await deps.tracing.respawn(parsed.data, String(job.id), async () => deps.handler(payload));
  };
  return deps.partitions.map(
    (p) =>
      new Worker<RespawnJob, void, 'respawn'>(QUEUE_NAMES.tasks, handle, {
        ...deps.workerOptions,
        prefix: deps.keys.queuePrefix(p),
        concurrency: deps.concurrency,
        connection: deps.connection(),
      }),
  );
}

export interface RespawnConsumerOptions {
  /** A redis:// URL, `{ cluster: [...] }`, or a client to copy (see `createConsumer`). */
  connection: ConnectionSpec;
  prefix?: string;
  partitions?: number;
  concurrency?: number;
  handler: RespawnHandler;
  logger?: Logger;
}

export interface RespawnConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * For a runtime: takes the respawn jobs of every partition and calls `handler` with the resumed
 * worker's next turn. A handler that throws fails the job (BullMQ retries it with the catalog's
 * policy); report back with `producer.suspend/complete/fail(id, { expectVersion: payload.version })`.
 */
export function createRespawnConsumer(opts: RespawnConsumerOptions): RespawnConsumer {
  const keys = keySpace(opts.prefix ?? 'rp', opts.partitions ?? 1);
  const logger = (opts.logger ?? silentLogger).child({ component: 'respawns' });
  const connections: RedisClient[] = [];
  const open = (role: 'store' | 'worker') => {
    const c = connect(opts.connection, role);
    c.on('error', () => {});
    connections.push(c);
    return c;
  };
  const store = new WorkerStore({ redis: open('store'), keys });
  const tracing = Tracing.fromGlobal();
  const workers = respawnWorkers({
    store,
    keys,
    partitions: allPartitions(keys),
    handler: opts.handler,
    tracing,
    concurrency: opts.concurrency ?? 16,
    connection: () => open('worker'),
    workerOptions: { autorun: false, ...KEEP_FINISHED, ...tracing.bullmq() },
  });
  for (const w of workers)
    w.on('failed', (job, err) => logger.warn({ jobId: job?.id, err }, 'respawn handler failed'));
  return {
    async start() {
      for (const w of workers)
        void w.run().catch((err: unknown) => logger.error({ err }, 'respawn worker ended'));
    },
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(connections.map(closeConnection));
    },
  };
}
