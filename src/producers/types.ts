// The public producer API: what callers (operators, parent agents, runtimes) use to change workers.

import type {
  JsonValue,
  ResumeOutcome,
  SuspendInitiator,
  WorkerMode,
  WorkerRecord,
  WorkerStatus,
  WorkerSummary,
} from '../lib/policy/types.js';
import type { ImportOptions, ImportResult } from './snapshots.js';

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
}

export interface ResumeRequestOptions {
  idempotencyKey?: string;
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
  complete(workerId: string, opts?: FinishInput): Promise<WorkerSummary>;
  fail(workerId: string, opts?: FinishInput): Promise<WorkerSummary>;
  getWorker(workerId: string): Promise<WorkerSummary | null>;
  getRecord(workerId: string): Promise<WorkerRecord | null>;
  listWorkers(filter?: { status?: WorkerStatus }): Promise<WorkerSummary[]>;
  /** Imports a Harn `worker_snapshot` file, or every *.json file of a directory. */
  importSnapshot(target: string, opts?: ImportOptions): Promise<ImportResult[]>;
  /** Writes the worker as a Harn `worker_snapshot` file (default `<stateDir>/<id>.json`). */
  exportSnapshot(
    workerId: string,
    path?: string,
  ): Promise<{ path: string; snapshot: Record<string, unknown> }>;
  disconnect(): Promise<void>;
}
