// The demo, start to end: Redis, consumer processes, the workload, waiting for every outcome, then
// reading back what happened and checking the guarantees. Everything it starts, it stops.

import { randomBytes } from 'node:crypto';
import { type SerializedError, serializeError } from '../../lib/errors.js';
import { closeConnection, connect } from '../../lib/redis.js';
import { createProducer } from '../../producers/producer.js';
import type { Producer } from '../../producers/types.js';
import { redactUrl } from '../output.js';
import { type Check, type DemoStats, evaluate, type RequestResult } from './checks.js';
import { type ConsumerProcessHandle, startConsumers } from './consumers.js';
import { observe, waitForDrain } from './observe.js';
import { planWorkload } from './plan.js';
import { acquireRedis, type DemoRedis, purgeDeployment, type RedisChoice } from './redis.js';
import { renderReport } from './report.js';
import { runWorkload, type SentRequest } from './workload.js';

export interface DemoOptions {
  workers: number;
  consumers: number;
  seed: number;
  /** RESUME_PARTITIONS of the demo's deployment (the consumer processes get it too). */
  partitions: number;
  /** Where Redis is: the user's REDIS_URL / REDIS_CLUSTER_NODES, or a private server or cluster. */
  redis: RedisChoice;
  /** Keep the demo's keys in the user's Redis (a private server is always discarded). */
  keep: boolean;
  progress(line: string): void;
  /**
   * Runs once the checks are done, while the demo's Redis, keys and producer are still there
   * (`demo --serve` serves the dashboard on them until Ctrl-C); everything is stopped after it.
   */
  afterChecks?: (deployment: DemoDeployment, report: DemoReport) => Promise<void>;
}

/** The demo's deployment, as `afterChecks` gets it. */
export interface DemoDeployment {
  connection: DemoRedis['connection'];
  /** REDIS_URL or REDIS_CLUSTER_NODES of the demo's Redis. */
  redisEnv: Record<string, string>;
  prefix: string;
  partitions: number;
  producer: Producer;
}

export interface DemoReport {
  passed: boolean;
  prefix: string;
  seed: number;
  redis: string;
  consumers: number;
  elapsedMs: number;
  stats: DemoStats;
  checks: Check[];
  text: string;
}

/** Long enough for the last timeout (2 s) plus a reconciler pass on a busy two-core machine. */
const DRAIN_TIMEOUT_MS = 30_000;
const OUTCOME_TIMEOUT_MS = 10_000;

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const startedAt = Date.now();
  // Serving after the checks, a private Redis must outlive the terminal's Ctrl-C (the serving ends on it).
  const redis = await acquireRedis({ ...opts.redis, survivesCtrlC: opts.afterChecks !== undefined });
  const prefix = `demo-${randomBytes(4).toString('hex')}`;
  const redisLabel = typeof redis.connection === 'string' ? redactUrl(redis.label) : redis.label;
  const client = connect(redis.connection, 'producer');
  let consumers: ConsumerProcessHandle[] = [];
  let producer: Producer | undefined;
  try {
    opts.progress(
      `demo: redis ${redisLabel}, prefix ${prefix}; starting ${opts.consumers} consumer processes`,
    );
    consumers = await startConsumers(opts.consumers, {
      env: { ...redis.env, RESUME_PARTITIONS: String(opts.partitions) },
      prefix,
      onLog: (i, line) => process.stderr.write(`[consumer ${i}] ${line}\n`),
    });
    producer = createProducer({ connection: redis.connection, prefix, partitions: opts.partitions });
    const plan = planWorkload(opts.workers, opts.seed);
    opts.progress(
      `demo: registering and suspending ${plan.length} workers, sending resumes (seed ${opts.seed})`,
    );
    const workload = await runWorkload(producer, plan);
    opts.progress(
      `demo: ${workload.requests.length} resume requests sent; waiting for outcomes and timeouts`,
    );
    const drained = await waitForDrain(client, prefix, opts.partitions, DRAIN_TIMEOUT_MS);
    const results = await Promise.all(workload.requests.map(outcomeOf));
    opts.progress('demo: stopping consumers (SIGTERM)');
    const stopping = consumers;
    consumers = [];
    const consumerExitCodes = await Promise.all(stopping.map((c) => c.stop()));
    const facts = await observe(
      client,
      prefix,
      opts.partitions,
      plan.map((w) => w.id),
    );
    const { stats, checks } = evaluate({ plan, workload, results, facts, drained, consumerExitCodes });
    const elapsedMs = Date.now() - startedAt;
    const header = { prefix, seed: opts.seed, consumers: opts.consumers, redis: redisLabel, elapsedMs };
    const text = renderReport(header, stats, checks);
    const report = { passed: checks.every((c) => c.ok), ...header, stats, checks, text };
    if (opts.afterChecks) {
      const deployment = {
        connection: redis.connection,
        redisEnv: redis.env,
        prefix,
        partitions: opts.partitions,
        producer,
      };
      await opts.afterChecks(deployment, report);
    }
    return report;
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
    await producer?.disconnect().catch(() => undefined);
    if (redis.external && !opts.keep) await purgeDeployment(client, prefix, opts.partitions).catch(() => 0);
    await closeConnection(client);
    await redis.stop();
  }
}

async function outcomeOf(request: SentRequest): Promise<RequestResult> {
  const failed = (error: SerializedError): RequestResult => ({ ok: false, error });
  if (!request.ticket)
    return failed(request.error ?? { code: 'RP-INTERNAL', message: 'request was not sent' });
  return request.ticket.result({ timeoutMs: OUTCOME_TIMEOUT_MS }).then(
    (outcome): RequestResult => ({ ok: true, outcome }),
    (err: unknown) => failed(serializeError(err)),
  );
}
