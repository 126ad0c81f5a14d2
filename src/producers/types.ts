// The public producer API: what callers (operators, parent agents, runtimes) use to change workers.

import type { Logger } from '../lib/logger.js';
import type {
  JsonValue,
  ResumeOutcome,
  SuspendInitiator,
  WorkerMode,
  WorkerRecord,
  WorkerSummary,
} from '../lib/policy/types.js';
import type { ConnectionSpec } from '../lib/redis.js';
import type { DurabilityMode } from '../lib/store/durability.js';
import type { QuarantinedJob } from '../lib/store/partition-indexes.js';
import type { BatchFilter, BatchOptions, CloseManyResult, ResumeManyResult } from './batches.js';
import type { ListFilter, WorkerPage } from './listing.js';
import type { ImportOptions, ImportResult } from './snapshots.js';
import type { SuspendHooks } from './suspend-hooks.js';

export interface RegisterWorkerInput {
  id?: string;
  name: string;
  task: string;
  mode?: WorkerMode;
  config?: JsonValue;
  transcript?: JsonValue;
  parentWorkerId?: string;
}

export interface SuspendInput {
  reason?: string;
  initiator?: SuspendInitiator;
  conditions?: JsonValue;
  /** Fences a stale runtime: the write happens only if the worker is still at this version. */
  expectVersion?: number;
  /** Harn's `suspended_at_turn` (top-level agents). */
  suspendedAtTurn?: number;
  /**
   * A JSON Schema (draft 2020-12 keywords, via ajv) the resume input must match; a resume or event
   * whose input does not is rejected with RP-INPUT-SCHEMA and the worker stays suspended. Timeouts
   * are not checked. A schema that does not compile is RP-INVALID-INPUT here.
   */
  inputSchema?: JsonValue;
}

export interface ResumeRequestOptions {
  idempotencyKey?: string;
  /**
   * Keep the request when the worker is still running (not suspended yet): its next suspension
   * within `ttlMs` is resumed by it at once, and that suspension's timeout is not armed. Past the
   * ttl the request ends `expired`. To a suspended worker it is an ordinary resume.
   */
  early?: { ttlMs: number };
}

export interface ResumeTicket {
  /** BullMQ job id of the resume request. */
  jobId: string;
  workerId: string;
  /** Waits for the consumer's outcome; throws RP-TIMEOUT after `timeoutMs` (default 30 s). */
  result(opts?: { timeoutMs?: number }): Promise<ResumeOutcome>;
}

export interface FinishInput {
  expectVersion?: number;
  error?: string;
  graceful?: boolean;
}

export interface DeliverEventInput {
  provider: string;
  kind: string;
  id: string;
  payload?: JsonValue;
  dedupe_key?: string;
}

export interface Producer {
  registerWorker(input: RegisterWorkerInput): Promise<WorkerSummary>;
  suspend(workerId: string, input?: SuspendInput): Promise<WorkerSummary>;
  resume(
    target: string,
    inputOrOptions?: JsonValue,
    continueTranscript?: boolean | null,
    opts?: ResumeRequestOptions,
  ): Promise<ResumeTicket>;
  deliverEvent(event: DeliverEventInput): Promise<ResumeTicket[]>;
  close(workerId: string, opts?: { graceful?: boolean }): Promise<WorkerSummary>;
  /**
   * Moves the armed timeout of the worker's current suspension: `{ byMs }` from the current
   * deadline (negative: sooner) or `{ until }` (epoch ms, ISO-8601 or Date); a deadline in the past
   * fires at once. HARN-SUS-003 when the worker is not suspended (its timeout already fired) or,
   * with `expectEpoch`, no longer in that suspension; RP-NO-TIMEOUT when none is armed.
   */
  extendTimeout(
    workerId: string,
    change: { byMs: number } | { until: number | string | Date },
    opts?: { expectEpoch?: number },
  ): Promise<WorkerSummary>;
  /**
   * Disarms the current suspension's timeout and/or event trigger (default both) without resuming
   * it: the worker stays suspended until resumed or closed. Idempotent.
   */
  cancelWait(workerId: string, opts?: { conditions?: ('timeout' | 'trigger')[] }): Promise<WorkerSummary>;
  /**
   * Resumes every suspended worker the filter matches (listWorkers' filters, status suspended),
   * each with its own request and outcome, as `resume` would one by one; refusals are reported per
   * worker. `dryRun` only lists them.
   */
  resumeMany(
    filter: BatchFilter,
    inputOrOptions?: JsonValue,
    continueTranscript?: boolean | null,
    opts?: BatchOptions,
  ): Promise<ResumeManyResult>;
  /** Closes every worker the filter matches, one by one (`graceful`: stopped instead of cancelled). */
  closeMany(filter: BatchFilter, opts?: BatchOptions & { graceful?: boolean }): Promise<CloseManyResult>;
  complete(workerId: string, opts?: FinishInput): Promise<WorkerSummary>;
  fail(workerId: string, opts?: FinishInput): Promise<WorkerSummary>;
  getWorker(workerId: string): Promise<WorkerSummary | null>;
  getRecord(workerId: string): Promise<WorkerRecord | null>;
  /**
   * One page of workers matching the filter, from the sorted-set indexes (O(log N + page) per
   * partition): ordered by when they entered their status (suspended: suspended_at), or by deadline.
   * Pass `nextCursor` back with the same filter for the next page.
   */
  listWorkers(filter?: ListFilter): Promise<WorkerPage>;
  /** Jobs quarantined as poison (a consumer died running them POISON_JOB_DEATHS times), oldest first. */
  listQuarantined(opts?: { limit?: number }): Promise<QuarantinedJob[]>;
  /** Imports a Harn `worker_snapshot` file, or every *.json file of a directory. */
  importSnapshot(target: string, opts?: ImportOptions): Promise<ImportResult[]>;
  /** Writes the worker as a Harn `worker_snapshot` file (default `<stateDir>/<id>.json`). */
  exportSnapshot(
    workerId: string,
    path?: string,
  ): Promise<{ path: string; snapshot: Record<string, unknown> }>;
  disconnect(): Promise<void>;
}

export interface ProducerOptions {
  /**
   * A redis:// URL or `{ cluster: ['host:port', …] }` (the producer owns the connection), or an
   * ioredis `Redis`/`Cluster` client (the caller owns it).
   */
  connection: ConnectionSpec;
  prefix?: string;
  /** RESUME_PARTITIONS of the deployment (fixed for its lifetime; default 1). */
  partitions?: number;
  now?: () => number;
  /** How long an idempotency key's first outcome is kept (default 24 h). */
  idempotencyTtlMs?: number;
  hooks?: SuspendHooks;
  logger?: Logger;
  /** Where bare worker ids are looked up as snapshots and exported to (Harn's HARN_WORKER_STATE_DIR). */
  stateDir?: string;
  /**
   * 'replicated': a resume request's enqueue and every commit wait (WAIT) for one replica; when none
   * confirms within `replicaTimeoutMs` (default 1000) the call throws RP-NOT-REPLICATED (retryable).
   * Default 'async' (RESUME_DURABILITY).
   */
  durability?: DurabilityMode;
  replicaTimeoutMs?: number;
  /**
   * `listWorkers({ overdue: true })` lists suspended workers whose timeout was due more than this
   * long ago (default 2000: RECONCILE_INTERVAL_MS's default).
   */
  overdueGraceMs?: number;
}
