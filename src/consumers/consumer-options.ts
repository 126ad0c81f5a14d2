// What createConsumer takes and returns: the consumer's options (connection, partitions,
// concurrency, hooks, timings, retention, retries, metrics, durability) and its handle.

import type { Logger } from 'pino';
import type { FaultHook } from '../lib/faults.js';
import type { DigestFn } from '../lib/policy/transcript.js';
import type { RespawnPayload } from '../lib/policy/types.js';
import type { RetryPolicy } from '../lib/queues/catalog.js';
import type { ConnectionSpec } from '../lib/redis.js';
import type { DurabilityMode } from '../lib/store/durability.js';
import type { ConsumerMetrics } from '../observability/metrics.js';
import type { Reconciler } from './reconciler.js';
import type { ConsumerHooks } from './resume-engine.js';

export interface ConsumerOptions {
  /**
   * A redis:// URL, `{ cluster: ['host:port', …] }` (seed nodes of a Redis Cluster), or a client to
   * copy: the consumer opens its own connections, one per role, and closes them on stop.
   */
  connection: ConnectionSpec;
  prefix?: string;
  /** RESUME_PARTITIONS of the deployment (fixed for its lifetime; default 1). */
  partitions?: number;
  /** Which partitions this consumer serves (default: all of them). */
  servePartitions?: number[];
  /** Resume requests one consumer works on at once, per partition. */
  concurrency?: number;
  /** Timeout jobs worked on at once, per partition: their own slots, never taken by resumes. */
  timeoutConcurrency?: number;
  hooks?: ConsumerHooks;
  digest?: DigestFn;
  /** When given, this consumer also takes respawn jobs from the `tasks` queues and hands them over. */
  onRespawn?: (payload: RespawnPayload) => Promise<void> | void;
  logger?: Logger;
  lockTtlMs?: number;
  hookTimeoutMs?: number;
  /** BullMQ stall detection: a killed consumer's jobs are taken over within about 2x this. */
  stalledIntervalMs?: number;
  /**
   * A job whose consumer died this many times while running it (a hook that exits, an input that
   * runs the process out of memory) is quarantined instead of run again: failed with RP-POISON-JOB,
   * listed by `listQuarantined`; the worker keeps its state. Default 3 (POISON_JOB_DEATHS).
   */
  poisonDeaths?: number;
  reconcileIntervalMs?: number;
  /**
   * Completed jobs kept per resume/timeout queue (and at most a day). Default 100,000
   * (KEEP_COMPLETED_JOBS); the kept jobs are most of a busy deployment's Redis memory.
   */
  keepCompleted?: number;
  /** Extra Redis URLs for a Redlock quorum (default: the main connection alone). */
  redlockUrls?: string[];
  /** How retryable failures are retried (default: 12 attempts, doubling from 100 ms). */
  retry?: RetryPolicy;
  /**
   * This consumer's metrics (default: a registry of its own, without process metrics). Their
   * deltas go to the fleet totals in Redis every `metricsFlushMs` (default 5000) and on stop.
   */
  metrics?: ConsumerMetrics;
  metricsFlushMs?: number;
  /** Test-only fault injection (see src/lib/faults.ts). */
  fault?: FaultHook;
  /**
   * 'replicated': commits and settles wait (WAIT) for one replica, up to `replicaTimeoutMs`
   * (default 1000). A commit no replica confirmed stands (its compare-and-set won) and is logged.
   * Default 'async' (RESUME_DURABILITY).
   */
  durability?: DurabilityMode;
  replicaTimeoutMs?: number;
}

export interface Consumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly reconciler: Reconciler;
  /** What this consumer counted and timed (its registry: `consumer --metrics-port`). */
  readonly metrics: ConsumerMetrics;
}
