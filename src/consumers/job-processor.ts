// What a consumer does with each job its BullMQ workers hand it, around the engine's handling:
// the payload checked against the catalog, a poison job quarantined, a suspect run alone, and the
// engine's failures turned into BullMQ's terms. Retryable errors move the job back to delayed with
// a backoff (RETRY); invalid payloads and defined rejections never retry. A lock not had
// (contention, or no Redlock majority) is a delay with a backoff of its own: not a failure, and no
// use of the retry budget.

import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { JobLostError, LockUnavailableError, ResumeProcessorError, RpCode } from '../lib/errors.js';
import type { FaultHook } from '../lib/faults.js';
import { jobLogger, withJobLogger } from '../lib/job-log.js';
import { lockWaitDelayMs, lockWaitReporter } from '../lib/lock/lock-wait.js';
import { FAILED_KEPT_MS, type RetryPolicy, retryDelayMs } from '../lib/queues/catalog.js';
import { asFailure, invalidJob, JobFailure } from '../lib/queues/job-errors.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import { type MetricsSink, noMetrics } from '../observability/metrics.js';
import { countJob } from '../observability/metrics-jobs.js';
import { deferralDelayMs, SuspectGate } from './suspects.js';

export interface JobProcessorDeps {
  store: WorkerStore;
  logger: Logger;
  fault: FaultHook;
  retry: RetryPolicy;
  /** Consumer deaths a job may cause before it is quarantined (POISON_JOB_DEATHS). */
  poisonDeaths: number;
  /** Outcomes and resume latency of the jobs that finish (default: not measured). */
  metrics?: MetricsSink;
}

/** The counters every job payload of ours carries. */
interface Counted {
  workerId: string;
  retries?: number | undefined;
  deferrals?: number | undefined;
  soloAt?: number | undefined;
  soloDeaths?: number | undefined;
}

/**
 * A job id can be reused once its job is gone (an expired idempotency key); the enqueue time tells
 * the two apart, and stays the same across redeliveries of one job.
 */
const requestId = <D, R>(job: Job<D, R>) => `${job.id}@${job.timestamp}`;

/** Makes BullMQ processors for one consumer (they share its suspect gate). */
export function jobProcessors(deps: JobProcessorDeps) {
  const { store, logger, fault, retry, poisonDeaths } = deps;
  // Lines about a job go through its own logger (src/lib/job-log.ts): jobId, workerId, partition.
  const log = () => jobLogger(logger);
  const reportLockWait = lockWaitReporter({
    warn: (fields: object, message: string) => log().warn(fields, message),
    debug: (fields: object, message: string) => log().debug(fields, message),
  } as Pick<Logger, 'warn' | 'debug'>);
  const suspects = new SuspectGate();

  const quarantine = async <D, R>(job: Job<D, R>, workerId: string): Promise<JobFailure> => {
    const deaths = job.stalledCounter;
    await store.indexes.quarantine(
      { queue: job.queueName, jobId: String(job.id), workerId, deaths, atMs: Date.now() },
      FAILED_KEPT_MS,
    );
    log().error(
      { queue: job.queueName, deaths },
      'job quarantined as poison: its consumer died every time it ran it; the worker keeps its state',
    );
    return new JobFailure(
      new ResumeProcessorError(
        RpCode.PoisonJob,
        `job ${job.id} of worker ${workerId} was quarantined: its consumer died ${deaths} times running it`,
        { workerId },
      ),
    );
  };

  const processor =
    <D extends Counted, R>(
      schema: z.ZodType<D>,
      handle: (id: string, data: D, jobId: string, token: string | undefined) => Promise<R>,
    ) =>
    async (job: Job<D, R>, token?: string): Promise<R> => {
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) throw invalidJob(job, parsed.error);
      // Every delivery after a consumer died holding the job counts one stall (BullMQ's counter). A
      // death counts against the job itself only when it was running alone (a suspect, below): the
      // first death is blamed on whatever was running, the ones after on the suspect that ran.
      const data = parsed.data;
      const soloDeaths =
        (data.soloDeaths ?? 0) + (data.soloAt !== undefined && job.stalledCounter > data.soloAt ? 1 : 0);
      if (job.stalledCounter >= poisonDeaths && 1 + soloDeaths >= poisonDeaths)
        throw await quarantine(job, data.workerId);
      // A job a consumer died holding runs alone here (src/consumers/suspects.ts).
      const suspect = job.stalledCounter > 0;
      if (token && !suspects.admit(suspect)) {
        const { soloAt: _, ...rest } = data;
        await job.updateData({ ...rest, soloDeaths, deferrals: (data.deferrals ?? 0) + 1 } as D);
        await job.moveToDelayed(Date.now() + deferralDelayMs(), token);
        throw new DelayedError();
      }
      // A suspect's run alone is recorded first: if the process dies now, the job did it.
      const current: D = suspect && token ? { ...data, soloDeaths, soloAt: job.stalledCounter } : data;
      if (current !== data) await job.updateData(current);
      try {
        fault('before-lock');
        const result = await handle(requestId(job), parsed.data, String(job.id), token);
        countJob(deps.metrics ?? noMetrics, job, result);
        fault('before-ack');
        return result;
      } catch (err) {
        // Taken over while this consumer was away (its lock expired): the job is the other
        // consumer's now, nothing was written; BullMQ's own lock check refuses to finish it here.
        if (err instanceof JobLostError) {
          log().warn({ queue: job.queueName, err }, 'job taken over by another consumer; nothing written');
          throw err;
        }
        if (err instanceof LockUnavailableError && token) {
          // Every start of the job that was not a retry, a stall redelivery or a deferral was a lock
          // wait: the count survives the job moving between consumers and costs no request.
          const waits =
            job.attemptsStarted -
            (parsed.data.retries ?? 0) -
            job.stalledCounter -
            (parsed.data.deferrals ?? 0);
          const delayMs = lockWaitDelayMs(waits);
          reportLockWait(err, { waits, delayMs });
          await job.moveToDelayed(Date.now() + delayMs, token);
          throw new DelayedError();
        }
        if (err instanceof ResumeProcessorError && !err.retryable) throw new JobFailure(err);
        const retries = (parsed.data.retries ?? 0) + 1;
        if (retries >= retry.attempts || !token) throw asFailure(err);
        log().warn({ queue: job.queueName, retries, err }, 'job failed; retrying with backoff');
        await job.updateData({ ...current, retries });
        await job.moveToDelayed(Date.now() + retryDelayMs(retry, retries), token);
        throw new DelayedError();
      } finally {
        if (token) suspects.release(suspect);
      }
    };

  return <D extends Counted, R>(
    schema: z.ZodType<D>,
    handle: (id: string, data: D, jobId: string, token: string | undefined) => Promise<R>,
  ) => {
    const run = processor(schema, handle);
    return (job: Job<D, R>, token?: string): Promise<R> => {
      const workerId = String((job.data as { workerId?: unknown } | undefined)?.workerId ?? '');
      const bindings = { jobId: String(job.id), workerId, partition: store.keys.partitionOf(workerId) };
      return withJobLogger(logger, bindings, () => run(job, token));
    };
  };
}
