// A consumer process's parts wired together: per partition, a BullMQ worker for resume requests and
// one for timeouts (and optionally one for respawns), the kernel, the lock, the reconciler.
// Connections are one per role: the store's (reads, commits, settles, locks, queues), one blocking
// connection per BullMQ worker, and the Redlock quorum's when REDLOCK_URLS names one.

import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { LockUnavailableError, ResumeProcessorError } from '../lib/errors.js';
import { type FaultHook, noFaults } from '../lib/faults.js';
import { ResumeLock } from '../lib/lock/resume-lock.js';
import { silentLogger } from '../lib/logger.js';
import { type DigestFn, defaultDigest } from '../lib/policy/transcript.js';
import type { RespawnPayload, StoredOutcome, TimeoutOutcome } from '../lib/policy/types.js';
import {
  KEEP_FINISHED,
  QUEUE_NAMES,
  RETRY,
  type ResumeJob,
  ResumeJobSchema,
  type RetryPolicy,
  retryDelayMs,
  type TimeoutJob,
  TimeoutJobSchema,
} from '../lib/queues/catalog.js';
import { asFailure, invalidJob, JobFailure } from '../lib/queues/job-errors.js';
import { QueueSet } from '../lib/queues/queues.js';
import { checkEvictionPolicy, connect, reportConnectionErrors } from '../lib/redis.js';
import { Kernel } from '../lib/store/kernel.js';
import { allPartitions, keySpace } from '../lib/store/keys.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { Reconciler } from './reconciler.js';
import { respawnWorkers } from './respawns.js';
import { type ConsumerHooks, ResumeEngine } from './resume-engine.js';
import { TimeoutWaker } from './timeout-waker.js';

export interface ConsumerOptions {
  /** redis:// URL; the consumer opens its own connections (one per role). */
  connection: string;
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
  reconcileIntervalMs?: number;
  /** Extra Redis URLs for a Redlock quorum (default: the main connection alone). */
  redlockUrls?: string[];
  /** How retryable failures are retried (default: 12 attempts, doubling from 100 ms). */
  retry?: RetryPolicy;
  /** Test-only fault injection (see src/lib/faults.ts). */
  fault?: FaultHook;
}

export interface Consumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly reconciler: Reconciler;
}

export function createConsumer(opts: ConsumerOptions): Consumer {
  const prefix = opts.prefix ?? 'rp';
  const keys = keySpace(prefix, opts.partitions ?? 1);
  const logger = (opts.logger ?? silentLogger).child({ component: 'consumer' });
  const concurrency = opts.concurrency ?? 16;
  const lockTtlMs = opts.lockTtlMs ?? 2500;
  const stalledIntervalMs = opts.stalledIntervalMs ?? 2500;
  const fault = opts.fault ?? noFaults;
  const retry = opts.retry ?? RETRY;
  const served = opts.servePartitions ?? allPartitions(keys);

  const connections: Redis[] = [];
  const open = (role: Parameters<typeof connect>[1], url: string = opts.connection) => {
    const c = connect(url, role);
    connections.push(c);
    return c;
  };
  const storeRedis = open('store');
  const quorum = (opts.redlockUrls ?? []).map((u) => open('lock', u));
  reportConnectionErrors(storeRedis, (level, message, err) =>
    level === 'warn' ? logger.warn({ err }, message) : logger.info(message),
  );
  for (const c of connections.slice(1)) c.on('error', () => {}); // reported once, via storeRedis

  const store = new WorkerStore({ redis: storeRedis, keys });
  const queues = new QueueSet(storeRedis, keys);
  const kernel = new Kernel({ store });
  const lock = new ResumeLock({ store, quorum, ttlMs: lockTtlMs });
  const engine = new ResumeEngine({
    kernel,
    lock,
    hooks: opts.hooks ?? {},
    digest: opts.digest ?? defaultDigest,
    logger,
    fault,
    hookTimeoutMs: opts.hookTimeoutMs ?? 10_000,
  });
  const reconciler = new Reconciler({
    store,
    engine,
    queues,
    partitions: served,
    logger: logger.child({ component: 'reconciler' }),
    intervalMs: opts.reconcileIntervalMs ?? 2000,
    orphanAfterMs: lockTtlMs * 2,
    lateAfterMs: Math.max(2000, stalledIntervalMs * 2),
  });

  const waker = new TimeoutWaker({ store, partitions: served, active: () => reconciler.leading });

  const workerOptions = {
    autorun: false,
    // A killed consumer's job is locked for lockDuration, then found by the next stall check.
    lockDuration: stalledIntervalMs,
    stalledInterval: stalledIntervalMs,
    // A job that stalls (its consumer died) is never failed for stalling: it must run to an outcome.
    maxStalledCount: 1_000_000,
    ...KEEP_FINISHED,
  };
  const blocking = () => {
    const c = open('worker');
    c.on('error', () => {});
    return c;
  };

  // A job id can be reused once its job is gone (an expired idempotency key); the enqueue time
  // tells the two apart, and stays the same across redeliveries of one job.
  const requestId = (job: Job) => `${job.id}@${job.timestamp}`;

  // Retryable errors are thrown (BullMQ retries with backoff); invalid payloads and defined
  // rejections never retry. Lock contention is a delay, not a failure.
  const processor =
    <D extends { retries?: number | undefined }, R>(
      schema: z.ZodType<D>,
      handle: (id: string, data: D) => Promise<R>,
    ) =>
    async (job: Job<D, R>, token?: string): Promise<R> => {
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) throw invalidJob(job, parsed.error);
      try {
        const result = await handle(requestId(job), parsed.data);
        fault('before-ack');
        return result;
      } catch (err) {
        if (err instanceof LockUnavailableError && token) {
          await job.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 150), token);
          throw new DelayedError();
        }
        if (err instanceof ResumeProcessorError && !err.retryable) throw new JobFailure(err);
        const retries = (parsed.data.retries ?? 0) + 1;
        if (retries >= retry.attempts || !token) throw asFailure(err);
        logger.warn(
          { jobId: job.id, queue: job.queueName, retries, err },
          'job failed; retrying with backoff',
        );
        await job.updateData({ ...parsed.data, retries });
        await job.moveToDelayed(Date.now() + retryDelayMs(retry, retries), token);
        throw new DelayedError();
      }
    };

  const running: (() => Promise<void>)[] = [];
  const closing: (() => Promise<void>)[] = [];
  const add = <D, R, N extends string>(w: Worker<D, R, N>) => {
    let lastError = 0;
    w.on('error', (err) => {
      // One line per 5 s: while Redis is away every reconnect attempt raises the same error.
      if (Date.now() - lastError < 5000) return;
      lastError = Date.now();
      logger.error({ err, queue: w.name }, 'queue worker error; retrying with backoff');
    });
    w.on('failed', (job, err) => logger.warn({ jobId: job?.id, queue: w.name, err }, 'job failed'));
    running.push(() => w.run());
    closing.push(() => w.close());
  };
  for (const p of served) {
    const at = { ...workerOptions, prefix: keys.queuePrefix(p) };
    add(
      new Worker<ResumeJob, StoredOutcome, 'resume'>(
        QUEUE_NAMES.resume,
        processor(ResumeJobSchema, (id, data) => engine.handleResume(id, data)),
        { ...at, concurrency, connection: blocking() },
      ),
    );
    add(
      new Worker<TimeoutJob, TimeoutOutcome, 'timeout'>(
        QUEUE_NAMES.timeout,
        processor(TimeoutJobSchema, (id, data) => engine.handleTimeout(id, data)),
        { ...at, concurrency: opts.timeoutConcurrency ?? concurrency, connection: blocking() },
      ),
    );
  }
  if (opts.onRespawn) {
    for (const w of respawnWorkers({
      store,
      keys,
      partitions: served,
      handler: opts.onRespawn,
      concurrency,
      connection: blocking,
      workerOptions,
    }))
      add(w);
  }

  let started = false;
  return {
    reconciler,
    async start() {
      if (started) return;
      started = true;
      const policy = await checkEvictionPolicy(storeRedis).catch(() => null);
      if (policy)
        logger.warn(
          { policy },
          'Redis maxmemory-policy is not noeviction: queue and worker keys may be evicted',
        );
      for (const run of running)
        void run().catch((err: unknown) => logger.error({ err }, 'worker loop ended'));
      reconciler.start();
      waker.start();
      logger.info(
        { concurrency, prefix, partitions: keys.partitions, served: served.length },
        'consumer started',
      );
    },
    async stop() {
      // Stop taking jobs, let the running ones finish, then close every connection we opened.
      await Promise.all(closing.map((close) => close()));
      waker.stop();
      await reconciler.stop();
      await queues.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      logger.info('consumer stopped');
    },
  };
}
