// A consumer process's parts wired together: BullMQ workers for the resume and timeout queues
// (and optionally the tasks queue), the engine, the lock, the reconciler. Connections are one per role.

import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EffectRunner } from '../lib/effects.js';
import { LockUnavailableError, ResumeProcessorError } from '../lib/errors.js';
import { ResumeLock } from '../lib/lock/resume-lock.js';
import { silentLogger } from '../lib/logger.js';
import { type DigestFn, defaultDigest } from '../lib/policy/transcript.js';
import type { RespawnPayload } from '../lib/policy/types.js';
import { QUEUE_NAMES, RespawnJobSchema, ResumeJobSchema, TimeoutJobSchema } from '../lib/queues/catalog.js';
import { createQueues } from '../lib/queues/queues.js';
import { checkEvictionPolicy, connect, reportConnectionErrors } from '../lib/redis.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { type FaultHook, noFaults } from './faults.js';
import { Reconciler } from './reconciler.js';
import { type ConsumerHooks, ResumeEngine } from './resume-engine.js';

export interface ConsumerOptions {
  /** redis:// URL; the consumer opens its own connections (one per role). */
  connection: string;
  prefix?: string;
  concurrency?: number;
  hooks?: ConsumerHooks;
  digest?: DigestFn;
  /** When given, this consumer also takes respawn jobs from the `tasks` queue and hands them over. */
  onRespawn?: (payload: RespawnPayload) => Promise<void> | void;
  logger?: Logger;
  lockTtlMs?: number;
  hookTimeoutMs?: number;
  /** BullMQ stall detection: a killed consumer's jobs are taken over within about 2x this. */
  stalledIntervalMs?: number;
  reconcileIntervalMs?: number;
  /** Extra Redis URLs for a Redlock quorum (default: the main connection alone). */
  redlockUrls?: string[];
  /** Test-only fault injection (see faults.ts). */
  fault?: FaultHook;
}

export interface Consumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly reconciler: Reconciler;
}

export function createConsumer(opts: ConsumerOptions): Consumer {
  const prefix = opts.prefix ?? 'rp';
  const logger = (opts.logger ?? silentLogger).child({ component: 'consumer' });
  const concurrency = opts.concurrency ?? 16;
  const lockTtlMs = opts.lockTtlMs ?? 2500;
  const stalledIntervalMs = opts.stalledIntervalMs ?? 2500;
  const fault = opts.fault ?? noFaults;

  const storeRedis = connect(opts.connection, 'store');
  const lockRedis =
    (opts.redlockUrls ?? []).length > 0
      ? (opts.redlockUrls ?? []).map((u) => connect(u, 'lock'))
      : [connect(opts.connection, 'lock')];
  const queueRedis = connect(opts.connection, 'store');
  const connections: Redis[] = [storeRedis, queueRedis, ...lockRedis];
  const workerConnection = () => {
    const c = connect(opts.connection, 'worker');
    c.on('error', () => {}); // reported once, via the store connection
    connections.push(c);
    return c;
  };
  const onRedis = (level: 'warn' | 'info', message: string, err?: Error) =>
    level === 'warn' ? logger.warn({ err }, message) : logger.info(message);
  reportConnectionErrors(storeRedis, onRedis);
  for (const c of [queueRedis, ...lockRedis]) c.on('error', () => {}); // reported once, via storeRedis
  const store = new WorkerStore(storeRedis, prefix);
  const queues = createQueues(queueRedis, prefix);
  const lock = new ResumeLock({ clients: lockRedis, keyFor: store.keys.lock, ttlMs: lockTtlMs });
  const effects = new EffectRunner(storeRedis, store.keys, queues);
  const engine = new ResumeEngine({
    store,
    lock,
    effects,
    hooks: opts.hooks ?? {},
    digest: opts.digest ?? defaultDigest,
    logger,
    fault,
    hookTimeoutMs: opts.hookTimeoutMs ?? 10_000,
    now: Date.now,
  });
  const reconciler = new Reconciler({
    store,
    engine,
    timeoutQueue: queues.timeout,
    logger: logger.child({ component: 'reconciler' }),
    intervalMs: opts.reconcileIntervalMs ?? 2000,
    orphanAfterMs: lockTtlMs * 2,
    lateAfterMs: Math.max(2000, stalledIntervalMs * 2),
  });

  const workerOptions = {
    prefix,
    concurrency,
    autorun: false,
    // A killed consumer's job is locked for lockDuration, then found by the next stall check.
    lockDuration: stalledIntervalMs,
    stalledInterval: stalledIntervalMs,
    // A job that stalls (its consumer died) is never failed for stalling: it must run to an outcome.
    maxStalledCount: 1_000_000,
  };

  // Retryable errors are thrown (BullMQ retries with backoff); invalid payloads and defined
  // rejections never retry. Lock contention is a delay, not a failure.
  const guard = async <T>(job: Job, token: string | undefined, work: () => Promise<T>): Promise<T> => {
    try {
      const result = await work();
      fault('before-ack');
      return result;
    } catch (err) {
      if (err instanceof LockUnavailableError && token) {
        await job.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 150), token);
        throw new DelayedError();
      }
      if (err instanceof ResumeProcessorError && !err.retryable) throw new UnrecoverableError(err.message);
      throw err;
    }
  };

  // A job id can be reused once its job is gone (an expired idempotency key); the enqueue time
  // tells the two apart, and stays the same across redeliveries of one job.
  const requestId = (job: Job) => `${job.id}@${job.timestamp}`;

  const invalid = (job: Job, message: string) =>
    new UnrecoverableError(
      `RP-INVALID-JOB: ${job.queueName} job ${job.id} has an invalid payload: ${message}`,
    );

  const resumeWorker = new Worker(
    QUEUE_NAMES.resume,
    async (job: Job, token?: string) => {
      const parsed = ResumeJobSchema.safeParse(job.data);
      if (!parsed.success)
        throw invalid(job, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return guard(job, token, () => engine.handleResume(requestId(job), parsed.data));
    },
    { ...workerOptions, connection: workerConnection() },
  );
  const timeoutWorker = new Worker(
    QUEUE_NAMES.timeout,
    async (job: Job, token?: string) => {
      const parsed = TimeoutJobSchema.safeParse(job.data);
      if (!parsed.success)
        throw invalid(job, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return guard(job, token, () => engine.handleTimeout(requestId(job), parsed.data));
    },
    { ...workerOptions, connection: workerConnection() },
  );
  const workers: Worker[] = [resumeWorker as Worker, timeoutWorker as Worker];
  const onRespawn = opts.onRespawn;
  if (onRespawn) {
    workers.push(
      new Worker(
        QUEUE_NAMES.tasks,
        async (job: Job) => {
          const parsed = RespawnJobSchema.safeParse(job.data);
          if (!parsed.success) throw invalid(job, parsed.error.message);
          await onRespawn(job.data as RespawnPayload);
        },
        { ...workerOptions, connection: workerConnection() },
      ),
    );
  }
  for (const w of workers) {
    let lastError = 0;
    w.on('error', (err) => {
      // One line per 5 s: while Redis is away every reconnect attempt raises the same error.
      if (Date.now() - lastError < 5000) return;
      lastError = Date.now();
      logger.error({ err, queue: w.name }, 'queue worker error; retrying with backoff');
    });
    w.on('failed', (job, err) => logger.warn({ jobId: job?.id, queue: w.name, err }, 'job failed'));
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
      for (const w of workers)
        void w.run().catch((err: unknown) => logger.error({ err }, 'worker loop ended'));
      reconciler.start();
      logger.info({ concurrency, prefix }, 'consumer started');
    },
    async stop() {
      // Stop taking jobs, let the running ones finish, then close every connection we opened.
      await Promise.all(workers.map((w) => w.close()));
      await reconciler.stop();
      await queues.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      logger.info('consumer stopped');
    },
  };
}
