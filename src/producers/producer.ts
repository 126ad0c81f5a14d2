// The producer API: validates input, then changes workers through the kernel (one decide function
// per operation; suspend's hooks and inbox in suspend.ts) and enqueues resume requests. Resumes
// themselves happen in consumers.

import { randomUUID } from 'node:crypto';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from '../lib/idempotency.js';
import { type Logger, silentLogger } from '../lib/logger.js';
import { decideFinish, type FinishStatus } from '../lib/policy/finish.js';
import { summarize } from '../lib/policy/summary.js';
import type { JsonValue, Transcript, WorkerRecord, WorkerSummary } from '../lib/policy/types.js';
import { decideCancelWait, decideExtend } from '../lib/policy/wait.js';
import { decideRegister } from '../lib/policy/worker-record.js';
import { WorkerIdSchema } from '../lib/queues/catalog.js';
import { QueueSet } from '../lib/queues/queues.js';
import {
  connect,
  describeConnection,
  isClient,
  type RedisClient,
  reportConnectionErrors,
} from '../lib/redis.js';
import { DEFAULT_WORKER_STATE_DIR } from '../lib/snapshot/snapshot-files.js';
import type { DurabilityMode } from '../lib/store/durability.js';
import { Kernel } from '../lib/store/kernel.js';
import { keySpace } from '../lib/store/keys.js';
import type { QuarantinedJob } from '../lib/store/partition-indexes.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { Tracing } from '../observability/tracing.js';
import {
  type BatchFilter,
  type BatchOptions,
  type CloseManyResult,
  closeMany,
  type ResumeManyResult,
  resumeMany,
} from './batches.js';
import { type ListFilter, ListFilterSchema, listPage, type WorkerPage } from './listing.js';
import { ResumeRequests } from './resume-requests.js';
import { type ImportOptions, type ImportResult, SnapshotPort } from './snapshots.js';
import { mustRead, recordOf, suspendWorker } from './suspend.js';
import type { SuspendHooks } from './suspend-hooks.js';
import { withTransportErrors } from './transport-errors.js';
import type {
  DeliverEventInput,
  FinishInput,
  Producer,
  ProducerOptions,
  RegisterWorkerInput,
  ResumeRequestOptions,
  ResumeTicket,
  SuspendInput,
} from './types.js';
import {
  CancelWaitSchema,
  CloseSchema,
  DeadlineChangeSchema,
  ExtendOptionsSchema,
  FinishSchema,
  parseInput,
  QuarantineListSchema,
  RegisterSchema,
} from './validation.js';

export type { ProducerOptions } from './types.js';

export function createProducer(opts: ProducerOptions): Producer {
  const owned = !isClient(opts.connection);
  const redis = isClient(opts.connection) ? opts.connection : connect(opts.connection, 'producer');
  const logger = (opts.logger ?? silentLogger).child({ component: 'producer' });
  // An owned connection reports its errors through the logger (rate-limited) instead of leaving
  // ioredis to print an unhandled error event per reconnect; calls still fail with RP-REDIS-UNAVAILABLE.
  if (owned) reportConnectionErrors(redis, (level, message, err) => logger[level]({ err }, message));
  const producer = new ResumeProducer({
    redis,
    ownsConnection: owned,
    prefix: opts.prefix ?? 'rp',
    partitions: opts.partitions ?? 1,
    clock: opts.now ?? Date.now,
    idempotencyTtlMs: opts.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS,
    hooks: opts.hooks ?? {},
    logger,
    stateDir: opts.stateDir ?? DEFAULT_WORKER_STATE_DIR,
    overdueGraceMs: opts.overdueGraceMs ?? 2000,
    durability: opts.durability ?? 'async',
    ...(opts.replicaTimeoutMs === undefined ? {} : { replicaTimeoutMs: opts.replicaTimeoutMs }),
    tracing: Tracing.fromGlobal(),
  });
  return withTransportErrors(producer, describeConnection(opts.connection));
}

interface ProducerDeps {
  redis: RedisClient;
  ownsConnection: boolean;
  prefix: string;
  partitions: number;
  clock: () => number;
  idempotencyTtlMs: number;
  hooks: SuspendHooks;
  logger: Logger;
  stateDir: string;
  overdueGraceMs: number;
  durability: DurabilityMode;
  replicaTimeoutMs?: number;
  tracing: Tracing;
}

class ResumeProducer implements Producer {
  private readonly store: WorkerStore;
  private readonly queues: QueueSet;
  private readonly kernel: Kernel;
  private readonly snapshots: SnapshotPort;
  private readonly requests: ResumeRequests;

  constructor(private readonly deps: ProducerDeps) {
    const keys = keySpace(deps.prefix, deps.partitions);
    this.store = new WorkerStore({
      redis: deps.redis,
      keys,
      durability: { mode: deps.durability, onShortfall: 'throw', timeoutMs: deps.replicaTimeoutMs ?? 1000 },
    });
    this.queues = new QueueSet(deps.redis, keys, undefined, deps.tracing.bullmq());
    this.kernel = new Kernel({ store: this.store, now: deps.clock });
    this.snapshots = new SnapshotPort({ kernel: this.kernel, clock: deps.clock, stateDir: deps.stateDir });
    this.requests = new ResumeRequests({
      store: this.store,
      queues: this.queues,
      snapshots: this.snapshots,
      clock: deps.clock,
      idempotencyTtlMs: deps.idempotencyTtlMs,
      tracing: deps.tracing,
    });
  }

  importSnapshot(target: string, opts: ImportOptions = {}): Promise<ImportResult[]> {
    return this.snapshots.importSnapshot(target, opts);
  }

  async exportSnapshot(
    workerId: string,
    path?: string,
  ): Promise<{ path: string; snapshot: Record<string, unknown> }> {
    return this.snapshots.exportSnapshot(
      await mustRead(this.kernel, parseInput(WorkerIdSchema, workerId, 'workerId')),
      path,
    );
  }

  async registerWorker(input: RegisterWorkerInput): Promise<WorkerSummary> {
    const v = parseInput(RegisterSchema, input, 'worker');
    const worker = {
      id: v.id ?? `worker_${randomUUID()}`,
      name: v.name,
      task: v.task,
      mode: v.mode,
      config: v.config ?? null,
      transcript: (v.transcript ?? null) as Transcript | null,
      parentWorkerId: v.parentWorkerId ?? null,
    };
    const record = recordOf(await this.kernel.apply(worker.id, (r, now) => decideRegister(r, worker, now)));
    return summarize(record as WorkerRecord);
  }

  /** Traced as `suspend`; the suspension it begins keeps the span's traceparent (tracing on). */
  suspend(workerId: string, input: SuspendInput = {}): Promise<WorkerSummary> {
    const { kernel, deps } = this;
    return deps.tracing.suspend((span) =>
      suspendWorker({ kernel, hooks: deps.hooks, logger: deps.logger }, workerId, input, span),
    );
  }

  resume(
    target: string,
    inputOrOptions?: JsonValue,
    continueTranscript?: boolean | null,
    opts: ResumeRequestOptions = {},
  ): Promise<ResumeTicket> {
    return this.requests.resume(target, inputOrOptions, continueTranscript, opts);
  }

  deliverEvent(event: DeliverEventInput): Promise<ResumeTicket[]> {
    return this.requests.deliverEvent(event);
  }

  async close(workerId: string, opts: { graceful?: boolean } = {}): Promise<WorkerSummary> {
    const { graceful } = parseInput(CloseSchema, opts ?? {}, 'options');
    return this.finish(workerId, graceful ? 'stopped' : 'cancelled', {});
  }

  async extendTimeout(
    workerId: string,
    change: { byMs: number } | { until: number | string | Date },
    opts: { expectEpoch?: number } = {},
  ): Promise<WorkerSummary> {
    const id = parseInput(WorkerIdSchema, workerId, 'workerId');
    const c = parseInput(DeadlineChangeSchema, change, 'change');
    const { expectEpoch } = parseInput(ExtendOptionsSchema, opts ?? {}, 'options');
    const move = {
      ...('byMs' in c ? { byMs: c.byMs } : { untilMs: c.until }),
      ...(expectEpoch === undefined ? {} : { expectEpoch }),
    };
    const record = recordOf(await this.kernel.apply(id, (r, now) => decideExtend(r, id, move, now)));
    return summarize(record as WorkerRecord);
  }

  async cancelWait(
    workerId: string,
    opts: { conditions?: ('timeout' | 'trigger')[] } = {},
  ): Promise<WorkerSummary> {
    const id = parseInput(WorkerIdSchema, workerId, 'workerId');
    const { conditions } = parseInput(CancelWaitSchema, opts ?? {}, 'options');
    const applied = await this.kernel.apply(id, (r, now) => decideCancelWait(r, id, conditions, now));
    return summarize(recordOf(applied) as WorkerRecord);
  }

  resumeMany(
    filter: BatchFilter,
    inputOrOptions?: JsonValue,
    continueTranscript?: boolean | null,
    opts: BatchOptions = {},
  ): Promise<ResumeManyResult> {
    return resumeMany(this, filter, inputOrOptions, continueTranscript, opts);
  }

  closeMany(filter: BatchFilter, opts: BatchOptions & { graceful?: boolean } = {}): Promise<CloseManyResult> {
    return closeMany(this, filter, opts);
  }

  complete(workerId: string, opts: FinishInput = {}): Promise<WorkerSummary> {
    return this.finish(workerId, 'completed', opts);
  }

  fail(workerId: string, opts: FinishInput = {}): Promise<WorkerSummary> {
    return this.finish(workerId, 'failed', opts);
  }

  private async finish(workerId: string, status: FinishStatus, input: FinishInput): Promise<WorkerSummary> {
    const id = parseInput(WorkerIdSchema, workerId, 'workerId');
    const v = parseInput(FinishSchema, input, 'options');
    const request = {
      status,
      error: v.error ?? null,
      ...(v.expectVersion === undefined ? {} : { expectVersion: v.expectVersion }),
    };
    const record = recordOf(await this.kernel.apply(id, (r, now) => decideFinish(r, id, request, now)));
    return summarize(record as WorkerRecord);
  }

  async getWorker(workerId: string): Promise<WorkerSummary | null> {
    const record = await this.getRecord(workerId);
    return record ? summarize(record) : null;
  }

  async getRecord(workerId: string): Promise<WorkerRecord | null> {
    return (await this.store.read(parseInput(WorkerIdSchema, workerId, 'workerId')))?.record ?? null;
  }

  async listWorkers(filter: ListFilter = {}): Promise<WorkerPage> {
    const parsed = parseInput(ListFilterSchema, filter, 'filter');
    return listPage(this.store, parsed, { nowMs: Date.now(), overdueGraceMs: this.deps.overdueGraceMs });
  }

  /** Jobs quarantined as poison (RP-POISON-JOB), oldest first; their workers kept their state. */
  listQuarantined(opts: { limit?: number } = {}): Promise<QuarantinedJob[]> {
    const { limit } = parseInput(QuarantineListSchema, opts ?? {}, 'options');
    return this.store.indexes.quarantined(limit);
  }

  async disconnect(): Promise<void> {
    await this.queues.close();
    if (this.deps.ownsConnection) await this.deps.redis.quit();
  }
}
