// A consumer's Redis connections, one per role (the store's, one blocking connection per BullMQ
// worker, the Redlock quorum's servers), with their errors reported once per outage, and how its
// BullMQ workers' errors and failures are logged and counted.

import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ConnectionSpec, connect, type RedisClient, reportConnectionErrors } from '../lib/redis.js';
import type { ConsumerMetrics } from '../observability/metrics.js';
import { countJobFailure } from '../observability/metrics-jobs.js';

/** Errors a failover or a reconnect raises for a moment; the connection recovers by itself. */
const TRANSIENT_REDIS =
  /\b(UNBLOCKED|MOVED|TRYAGAIN|CLUSTERDOWN|LOADING|READONLY)\b|Connection is closed|ECONNRE|Too many Cluster redirections/;

export interface ConsumerConnections {
  /** Reads, commits, settles, locks and queue calls. */
  store: RedisClient;
  /** Independent single servers of a Redlock quorum (never a cluster); empty without one. */
  quorum: Redis[];
  /** A new blocking connection for one BullMQ worker. */
  blocking(): RedisClient;
  /** Every connection opened so far, to close or drop on stop. */
  readonly all: RedisClient[];
}

export function consumerConnections(
  spec: ConnectionSpec,
  redlockUrls: readonly string[],
  logger: Logger,
): ConsumerConnections {
  const all: RedisClient[] = [];
  const open = (role: Parameters<typeof connect>[1]) => {
    const c = connect(spec, role);
    all.push(c);
    return c;
  };
  const store = open('store');
  const quorum = redlockUrls.map((url) => {
    const c = connect(url, 'lock') as Redis;
    all.push(c);
    return c;
  });
  reportConnectionErrors(store, (level, message, err) =>
    level === 'warn' ? logger.warn({ err }, message) : logger.info(message),
  );
  // Every Redlock server on its own: one of three down still locks (a majority), but the operator
  // should know before a second one goes.
  quorum.forEach((c, i) => {
    const server = `Redlock server ${i + 1} of ${quorum.length}`;
    reportConnectionErrors(c, (level, message, err) => {
      if (level === 'warn') logger.warn({ err, redlockServer: i }, `${server}: ${message}`);
      else logger.info({ redlockServer: i }, `${server}: ${message}`);
    });
  });
  return {
    store,
    quorum,
    all,
    blocking() {
      const c = open('worker');
      c.on('error', () => {});
      return c;
    },
  };
}

/** Logs a BullMQ worker's errors (one line per 5 s) and failed jobs, and counts the failures. */
export function watchQueueWorker<D, R, N extends string>(
  w: Worker<D, R, N>,
  logger: Logger,
  metrics: ConsumerMetrics,
): void {
  let lastError = 0;
  w.on('error', (err) => {
    // While Redis is away every reconnect attempt raises the same error.
    if (Date.now() - lastError < 5000) return;
    lastError = Date.now();
    // A failover or a reconnect (the worker follows the new master by itself) is a warning.
    if (TRANSIENT_REDIS.test(err.message))
      logger.warn(
        { err, queue: w.name },
        'queue worker interrupted by a Redis failover or reconnect; retrying',
      );
    else logger.error({ err, queue: w.name }, 'queue worker error; retrying with backoff');
  });
  w.on('failed', (job, err) => {
    countJobFailure(metrics, w.name, err);
    logger.warn({ jobId: job?.id, queue: w.name, err }, 'job failed');
  });
}
