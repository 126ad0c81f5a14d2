// A consumer process's parts wired together: per partition, a BullMQ worker for resume requests and
// one for timeouts (and optionally one for respawns), the kernel, the lock, the reconciler.
// Connections are one per role (src/consumers/connections.ts): the store's, one blocking connection
// per BullMQ worker, and the Redlock quorum's when REDLOCK_URLS names one.

import { hostname } from 'node:os';
import { MetricsTime, Worker } from 'bullmq';
import { noFaults } from '../lib/faults.js';
import { jobLogger } from '../lib/job-log.js';
import { ResumeLock } from '../lib/lock/resume-lock.js';
import { silentLogger } from '../lib/logger.js';
import { defaultDigest } from '../lib/policy/transcript.js';
import type { StoredOutcome, TimeoutOutcome } from '../lib/policy/types.js';
import {
  keepFinished,
  QUEUE_NAMES,
  RETRY,
  type ResumeJob,
  ResumeJobSchema,
  type TimeoutJob,
  TimeoutJobSchema,
} from '../lib/queues/catalog.js';
import { QueueSet } from '../lib/queues/queues.js';
import { checkCluster, checkEvictionPolicy, closeConnection } from '../lib/redis.js';
import { shortfallWarner } from '../lib/store/durability.js';
import { Kernel } from '../lib/store/kernel.js';
import { allPartitions, keySpace } from '../lib/store/keys.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { ConsumerMetrics } from '../observability/metrics.js';
import { MetricsFlush } from '../observability/metrics-flush.js';
import { Tracing } from '../observability/tracing.js';
import { consumerConnections, watchQueueWorker } from './connections.js';
import type { Consumer, ConsumerOptions } from './consumer-options.js';
import { jobProcessors } from './job-processor.js';
import { Reconciler } from './reconciler.js';
import { respawnWorkers } from './respawns.js';
import { ResumeEngine } from './resume-engine.js';
import { TimeoutWaker } from './timeout-waker.js';

/** How long stop() waits for the queue workers to close before it drops their connections. */
const CLOSE_WAIT_MS = 15_000;

export type { Consumer, ConsumerOptions };

export function createConsumer(opts: ConsumerOptions): Consumer {
  const prefix = opts.prefix ?? 'rp';
  const keys = keySpace(prefix, opts.partitions ?? 1);
  // One `component` per line: each part's logger is a child of the root, never of another part's.
  const root = opts.logger ?? silentLogger;
  const logger = root.child({ component: 'consumer' });
  const concurrency = opts.concurrency ?? 16;
  const lockTtlMs = opts.lockTtlMs ?? 2500;
  const stalledIntervalMs = opts.stalledIntervalMs ?? 2500;
  const poisonDeaths = opts.poisonDeaths ?? 3;
  if (!Number.isInteger(poisonDeaths) || poisonDeaths < 1)
    throw new RangeError(`poisonDeaths must be an integer >= 1, got ${poisonDeaths}`);
  const fault = opts.fault ?? noFaults;
  const retry = opts.retry ?? RETRY;
  const served = opts.servePartitions ?? allPartitions(keys);

  const {
    store: storeRedis,
    quorum,
    blocking,
    all: connections,
  } = consumerConnections(opts.connection, opts.redlockUrls ?? [], logger);

  const store = new WorkerStore({
    redis: storeRedis,
    keys,
    durability: {
      mode: opts.durability ?? 'async',
      timeoutMs: opts.replicaTimeoutMs ?? 1000,
      onShortfall: shortfallWarner((fields, message) => jobLogger(logger).warn(fields, message)),
    },
  });
  // Spans when an SDK is registered (src/observability/tracing.ts); off, nothing changes.
  const tracing = Tracing.fromGlobal();
  const queues = new QueueSet(storeRedis, keys, undefined, tracing.bullmq());
  const metrics = opts.metrics ?? new ConsumerMetrics();
  const kernel = new Kernel({ store, onFenced: () => metrics.fencedCommit() });
  const lock = new ResumeLock({
    store,
    quorum,
    ttlMs: lockTtlMs,
    onWait: (ms) => metrics.lockWait(ms / 1000),
  });
  const engine = new ResumeEngine({
    kernel,
    lock,
    hooks: opts.hooks ?? {},
    digest: opts.digest ?? defaultDigest,
    logger,
    fault,
    hookTimeoutMs: opts.hookTimeoutMs ?? 10_000,
    metrics,
  });
  const reconciler = new Reconciler({
    store,
    engine,
    queues,
    partitions: served,
    logger: root.child({ component: 'reconciler' }),
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
    // A job that stalls (its consumer died) is not failed by BullMQ for stalling: the processor
    // counts the deaths and quarantines a poison job itself (index entry first, then the failure).
    maxStalledCount: 1_000_000,
    // Completed and failed jobs per minute over the last hour, kept by BullMQ in the queue: the
    // dashboard's overview charts read them (queue.getMetrics).
    metrics: { maxDataPoints: MetricsTime.ONE_HOUR },
    // Kept on every job this process takes (BullMQ's processedBy): which consumer has or had it.
    name: `${hostname()}:${process.pid}`,
    ...keepFinished(opts.keepCompleted ?? 100_000),
    ...tracing.bullmq(),
  };
  const processor = jobProcessors({ store, logger, fault, retry, poisonDeaths, metrics });
  const flush = new MetricsFlush({
    metrics,
    readings: store.metrics,
    intervalMs: opts.metricsFlushMs ?? 5000,
    logger,
  });

  const running: (() => Promise<void>)[] = [];
  const closing: (() => Promise<void>)[] = [];
  const add = <D, R, N extends string>(w: Worker<D, R, N>) => {
    watchQueueWorker(w, logger, metrics);
    running.push(() => w.run());
    closing.push(() => w.close());
  };
  // The BullMQ workers (and their connections) are made at start, once the checks passed.
  const makeWorkers = () => {
    for (const p of served) {
      const at = { ...workerOptions, prefix: keys.queuePrefix(p) };
      add(
        new Worker<ResumeJob, StoredOutcome, 'resume'>(
          QUEUE_NAMES.resume,
          processor(ResumeJobSchema, (id, data, jobId, token) =>
            tracing.job('resume', data.workerId, jobId, data.traceparent, (span) =>
              engine.handleResume(id, data, jobId, span, token),
            ),
          ),
          { ...at, concurrency, connection: blocking() },
        ),
      );
      add(
        new Worker<TimeoutJob, TimeoutOutcome, 'timeout'>(
          QUEUE_NAMES.timeout,
          processor(TimeoutJobSchema, (id, data, jobId, token) =>
            tracing.job('timeout', data.workerId, jobId, undefined, (span) =>
              engine.handleTimeout(id, data, span, token ? { jobId, token } : undefined),
            ),
          ),
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
        tracing,
        concurrency,
        connection: blocking,
        workerOptions,
      }))
        add(w);
    }
  };

  let started = false;
  let live = false;
  return {
    reconciler,
    metrics,
    async start() {
      if (started) return;
      started = true;
      // A cluster with unassigned slots would fail some workers and not others: refuse to start.
      await checkCluster(opts.connection);
      await storeRedis.ping(); // connected: a cluster knows its masters for the check below
      const policy = await checkEvictionPolicy(storeRedis).catch(() => null);
      if (policy)
        logger.warn(
          { policy },
          'Redis maxmemory-policy is not noeviction: queue and worker keys may be evicted',
        );
      makeWorkers();
      for (const run of running)
        void run().catch((err: unknown) => logger.error({ err }, 'worker loop ended'));
      live = true;
      reconciler.start();
      waker.start();
      flush.start();
      logger.info(
        { concurrency, prefix, partitions: keys.partitions, served: served.length },
        'consumer started',
      );
    },
    async stop() {
      if (!live) {
        // Never started, or refused at start: no worker was made; drop the connections (a graceful
        // close would wait for a Redis that may never answer).
        for (const c of connections) c.disconnect();
        return;
      }
      // Stop taking jobs, let the running ones finish, then close every connection we opened. A
      // worker whose connection is stuck on a node that died may not close by itself: after
      // CLOSE_WAIT_MS the consumer drops its connections and stops waiting for it (an unfinished
      // job is redelivered by stall detection, and its commit, if any, is found by the redelivery).
      const closed = Promise.all(closing.map((close) => close()));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (late) {
        logger.warn(
          { waitedMs: CLOSE_WAIT_MS },
          'queue workers did not close in time (a connection stuck on a Redis node that went away); dropping connections',
        );
        for (const c of connections) c.disconnect();
      }
      waker.stop();
      await reconciler.stop();
      await flush.stop(); // the last counts, before the connections close
      await queues.close();
      await Promise.all(connections.map(closeConnection));
      logger.info('consumer stopped');
    },
  };
}
