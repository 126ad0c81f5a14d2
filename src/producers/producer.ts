// The producer API: validates input, writes worker state with one CAS per change, and enqueues
// resume requests and delayed timeout jobs. Resumes themselves happen in consumers.

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { deadlineMember, EffectRunner, finishOutbox } from '../lib/effects.js';
import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, IdempotencyStore } from '../lib/idempotency.js';
import { type Logger, silentLogger } from '../lib/logger.js';
import { parseResumeConditions } from '../lib/policy/conditions.js';
import { summarize } from '../lib/policy/summary.js';
import {
  decideFinish,
  decideSuspend,
  eventTypeFor,
  type FinishStatus,
  newWorkerRecord,
  nowFrom,
} from '../lib/policy/transitions.js';
import type { JsonValue, Transcript, WorkerRecord, WorkerSummary } from '../lib/policy/types.js';
import { WorkerIdSchema } from '../lib/queues/catalog.js';
import { createQueues, type QueueSet } from '../lib/queues/queues.js';
import { connect } from '../lib/redis.js';
import { DEFAULT_WORKER_STATE_DIR } from '../lib/snapshot/snapshot-files.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { ResumeRequests, unknownWorker } from './resume-requests.js';
import { type ImportOptions, type ImportResult, SnapshotPort } from './snapshots.js';
import { runPostSuspend, runPreSuspend, type SuspendHooks } from './suspend-hooks.js';
import { withTransportErrors } from './transport-errors.js';
import type {
  DeliverEventInput,
  FinishInput,
  Producer,
  RegisterWorkerInput,
  ResumeRequestOptions,
  ResumeTicket,
  SuspendInput,
} from './types.js';
import {
  CloseSchema,
  FinishSchema,
  ListSchema,
  parseInput,
  RegisterSchema,
  SuspendSchema,
} from './validation.js';

export interface ProducerOptions {
  /** A redis:// URL (the producer owns the connection) or an ioredis client (the caller owns it). */
  connection: string | Redis;
  prefix?: string;
  now?: () => number;
  /** How long an idempotency key's first outcome is kept (default 24 h). */
  idempotencyTtlMs?: number;
  hooks?: SuspendHooks;
  logger?: Logger;
  /** Where bare worker ids are looked up as snapshots and exported to (Harn's HARN_WORKER_STATE_DIR). */
  stateDir?: string;
}

const MAX_CAS_ATTEMPTS = 8;

export function createProducer(opts: ProducerOptions): Producer {
  const owned = typeof opts.connection === 'string';
  const redis = typeof opts.connection === 'string' ? connect(opts.connection, 'producer') : opts.connection;
  const prefix = opts.prefix ?? 'rp';
  const producer = new ResumeProducer({
    redis,
    ownsConnection: owned,
    prefix,
    clock: opts.now ?? Date.now,
    idempotencyTtlMs: opts.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS,
    hooks: opts.hooks ?? {},
    logger: (opts.logger ?? silentLogger).child({ component: 'producer' }),
    stateDir: opts.stateDir ?? DEFAULT_WORKER_STATE_DIR,
  });
  return withTransportErrors(producer, describeConnection(redis));
}

const describeConnection = (redis: Redis) =>
  `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`;

interface ProducerDeps {
  redis: Redis;
  ownsConnection: boolean;
  prefix: string;
  clock: () => number;
  idempotencyTtlMs: number;
  hooks: SuspendHooks;
  logger: Logger;
  stateDir: string;
}

class ResumeProducer implements Producer {
  private readonly store: WorkerStore;
  private readonly queues: QueueSet;
  private readonly effects: EffectRunner;
  private readonly snapshots: SnapshotPort;
  private readonly requests: ResumeRequests;

  private readonly redis: Redis;
  private readonly clock: () => number;

  constructor(private readonly deps: ProducerDeps) {
    const { redis, prefix } = deps;
    this.redis = redis;
    this.clock = deps.clock;
    this.store = new WorkerStore(redis, prefix);
    this.queues = createQueues(redis, prefix);
    this.effects = new EffectRunner(redis, this.store.keys, this.queues);
    this.snapshots = new SnapshotPort({
      store: this.store,
      redis,
      clock: deps.clock,
      stateDir: deps.stateDir,
      arm: (record) => this.armSuspension(record),
    });
    this.requests = new ResumeRequests({
      redis,
      store: this.store,
      queues: this.queues,
      idempotency: new IdempotencyStore(redis, this.store.keys),
      snapshots: this.snapshots,
      clock: deps.clock,
      idempotencyTtlMs: deps.idempotencyTtlMs,
    });
  }

  importSnapshot(target: string, opts: ImportOptions = {}): Promise<ImportResult[]> {
    return this.snapshots.importSnapshot(target, opts);
  }

  async exportSnapshot(
    workerId: string,
    path?: string,
  ): Promise<{ path: string; snapshot: Record<string, unknown> }> {
    const record = await this.mustRead(parseInput(WorkerIdSchema, workerId, 'workerId'));
    return this.snapshots.exportSnapshot(record, path);
  }

  async registerWorker(input: RegisterWorkerInput): Promise<WorkerSummary> {
    const v = parseInput(RegisterSchema, input, 'worker');
    const record = newWorkerRecord(
      {
        id: v.id ?? `worker_${randomUUID()}`,
        name: v.name,
        task: v.task,
        mode: v.mode,
        config: v.config ?? null,
        transcript: (v.transcript ?? null) as Transcript | null,
        parentWorkerId: v.parentWorkerId ?? null,
      },
      nowFrom(this.clock()),
    );
    const result = await this.store.commit(null, record, {
      type: 'WorkerSpawned',
      data: { status: 'running' },
    });
    if (!result.ok) {
      throw new ResumeProcessorError(RpCode.WorkerExists, `worker ${record.id} already exists`, {
        workerId: record.id,
      });
    }
    await this.store.syncIndex(record, { type: 'WorkerSpawned' });
    return summarize(record);
  }

  async suspend(workerId: string, input: SuspendInput = {}): Promise<WorkerSummary> {
    const id = parseInput(WorkerIdSchema, workerId, 'workerId');
    const v = parseInput(SuspendSchema, input, 'options');
    const conditions = parseResumeConditions(v.conditions);
    const initiator = v.initiator ?? 'operator';
    // Harn runs PreSuspend before any status check; a block leaves the worker as it is.
    const pre = await runPreSuspend(this.deps.hooks, {
      event: 'PreSuspend',
      worker: { id },
      reason: v.reason ?? '',
      initiator,
      conditions: v.conditions ?? null,
    });
    if (pre.kind === 'block')
      return { ...summarize(await this.mustRead(id)), pre_suspend_denied: pre.reason };
    for (let attempt = 1; ; attempt++) {
      const record = await this.mustRead(id);
      this.checkExpectedVersion(record, v.expectVersion);
      const now = nowFrom(this.clock());
      const decision = decideSuspend(
        record,
        {
          reason: pre.reason,
          initiator,
          rawConditions: v.conditions ?? null,
          conditions,
          ...(v.suspendedAtTurn === undefined ? {} : { suspendedAtTurn: v.suspendedAtTurn }),
          triggerUnique: randomUUID().replace(/-/g, ''),
        },
        now,
      );
      if (decision.kind === 'unchanged') return summarize(decision.record);
      if (decision.kind === 'reject') throw decision.error;
      const next = decision.next;
      const s = next.suspension;
      // Intent first: the deadline entry and the trigger bindings exist before the commit, so a
      // producer that dies right after committing still leaves the reconciler a timeout to arm and
      // events a worker to find. Entries for an epoch that never committed are dropped as stale.
      const intents: Promise<unknown>[] = [];
      if (s?.deadline_ms !== undefined) {
        intents.push(this.redis.zadd(this.store.keys.deadlines, s.deadline_ms, deadlineMember(id, s.epoch)));
      }
      for (const topic of s?.auto_resume_trigger?.match_events ?? []) {
        intents.push(this.redis.hset(this.store.keys.trigger(topic), id, String(s?.epoch)));
      }
      await Promise.all(intents);
      const result = await this.store.commit(record.version, next, {
        type: 'WorkerSuspended',
        data: { epoch: s?.epoch },
      });
      if (!result.ok) {
        if (v.expectVersion !== undefined || attempt >= MAX_CAS_ATTEMPTS)
          throw versionConflict(id, record.version, result.currentVersion);
        continue;
      }
      await this.armSuspension(next);
      await runPostSuspend(
        this.deps.hooks,
        { event: 'PostSuspend', worker: { id }, reason: pre.reason, snapshot_path: next.snapshot_path },
        this.deps.logger,
      );
      return summarize(next);
    }
  }

  private async armSuspension(record: WorkerRecord): Promise<void> {
    const s = record.suspension;
    if (!s) return;
    const tasks: Promise<unknown>[] = [this.store.syncIndex(record, { type: 'WorkerSuspended' })];
    if (s.deadline_ms !== undefined && s.timeout_job_id) {
      const delay = Math.max(0, s.deadline_ms - this.clock());
      tasks.push(
        this.queues.timeout.add(
          'timeout',
          { workerId: record.id, epoch: s.epoch, dueAtMs: s.deadline_ms },
          { jobId: s.timeout_job_id, delay },
        ),
      );
    }
    await Promise.all(tasks);
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

  complete(workerId: string, opts: FinishInput = {}): Promise<WorkerSummary> {
    return this.finish(workerId, 'completed', opts);
  }

  fail(workerId: string, opts: FinishInput = {}): Promise<WorkerSummary> {
    return this.finish(workerId, 'failed', opts);
  }

  private async finish(workerId: string, status: FinishStatus, input: FinishInput): Promise<WorkerSummary> {
    const id = parseInput(WorkerIdSchema, workerId, 'workerId');
    const v = parseInput(FinishSchema, input, 'options');
    for (let attempt = 1; ; attempt++) {
      const record = await this.mustRead(id);
      this.checkExpectedVersion(record, v.expectVersion);
      const decision = decideFinish(record, status, v.error ?? null, nowFrom(this.clock()));
      if (decision.kind === 'unchanged') return summarize(record);
      if (decision.kind === 'reject') throw decision.error;
      const type = eventTypeFor(status);
      const result = await this.store.commit(record.version, decision.next, { type });
      if (!result.ok) {
        if (v.expectVersion !== undefined || attempt >= MAX_CAS_ATTEMPTS)
          throw versionConflict(id, record.version, result.currentVersion);
        continue;
      }
      // Best effort: a timeout or trigger that survives a crash here finds the epoch stale.
      await Promise.all([
        this.effects.run(decision.next, decision.effects),
        this.store.syncIndex(decision.next, { type }),
      ]);
      return summarize(decision.next);
    }
  }

  async getWorker(workerId: string): Promise<WorkerSummary | null> {
    const record = await this.getRecord(workerId);
    return record ? summarize(record) : null;
  }

  async getRecord(workerId: string): Promise<WorkerRecord | null> {
    return this.store.read(parseInput(WorkerIdSchema, workerId, 'workerId'));
  }

  async listWorkers(filter: { status?: WorkerRecord['status'] } = {}): Promise<WorkerSummary[]> {
    const { status } = parseInput(ListSchema, filter, 'filter');
    const ids = status ? await this.store.idsWithStatus(status) : await this.store.allIds();
    ids.sort();
    const records = await this.store.readMany(ids);
    return records
      .filter((r): r is WorkerRecord => r !== null && (status === undefined || r.status === status))
      .map(summarize);
  }

  async disconnect(): Promise<void> {
    await this.queues.close();
    if (this.deps.ownsConnection) await this.redis.quit();
  }

  /**
   * Reads a record for a write. A resume committed by a consumer that then died may still have an
   * outbox: finish it first (its respawn must happen once), so this write cannot drop it.
   * PostResume hooks live in consumers and do not run on this path.
   */
  private async mustRead(id: string): Promise<WorkerRecord> {
    const record = await this.store.read(id);
    if (!record) throw unknownWorker(id);
    if (!record.outbox) return record;
    await finishOutbox(this.store, this.effects, record);
    return { ...record, outbox: null };
  }

  private checkExpectedVersion(record: WorkerRecord, expected: number | undefined): void {
    if (expected !== undefined && record.version !== expected)
      throw versionConflict(record.id, expected, record.version);
  }
}

const versionConflict = (id: string, expected: number, current: number | null) =>
  new ResumeProcessorError(
    RpCode.VersionConflict,
    `worker ${id} is at version ${current ?? 'none'}, not ${expected}: another writer changed it first`,
    { workerId: id, retryable: true },
  );
