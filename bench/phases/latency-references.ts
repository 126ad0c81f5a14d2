// Phase 4's references: the half-load latency run repeated, same rate and same open-loop sending,
// on (a) a bare BullMQ forwarder, the shortest chain a queue-based resume could have on this
// machine, and (b) the hand-rolled resume. The forwarder's p99 is the floor the machine itself sets
// (scheduling of three busy processes on the cores), against which the resume's tail is read.

import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BenchChild } from '../lib/child.js';
import { handRolledKeys } from '../lib/hand-rolled-keys.js';
import { type QueueLoadResult, runQueueLoad } from '../lib/load.js';
import { QUEUES, resumeJob, workerId } from '../lib/workload.js';
import { createHandRolledWorkers } from './setup-hand-rolled.js';

export interface ReferenceConfig {
  url: string;
  concurrency: number;
  ratePerSec: number;
  count: number;
  warmup: number;
  /** The warm hand-rolled worker from the throughput phase; stopped here. */
  hand: { child: BenchChild; prefix: string };
  log: (msg: string) => void;
}

export async function runLatencyReferences(
  observer: Redis,
  cfg: ReferenceConfig,
): Promise<{ forwarder: QueueLoadResult; handRolled: QueueLoadResult }> {
  const prefix = 'bfwd';
  const forwarderChild = await BenchChild.spawn('forwarder-worker', {
    env: { REDIS_URL: cfg.url, BENCH_PREFIX: prefix, CONSUMER_CONCURRENCY: String(cfg.concurrency) },
  });
  let forwarder: QueueLoadResult;
  try {
    const forward = (tag: string, count: number) =>
      runQueueLoad(observer, {
        prefix,
        inQueue: QUEUES.forwardIn,
        outQueue: QUEUES.forwardOut,
        count,
        ratePerSec: cfg.ratePerSec,
        child: forwarderChild,
        job: (i) => ({ id: `${tag}-${i}`, data: { i } }),
        outJobId: (i) => `f-${tag}-${i}`,
      });
    await forward('warm', cfg.warmup);
    forwarder = await forward('lat', cfg.count);
  } finally {
    await forwarderChild.stop();
  }
  cfg.log(
    `latency reference, forwarder at ${cfg.ratePerSec}/s: p50 ${forwarder.latencyMs.p50} p95 ${forwarder.latencyMs.p95} ` +
      `p99 ${forwarder.latencyMs.p99} ms (send lag p99 ${forwarder.sendLagMs.p99} max ${forwarder.sendLagMs.max} ms)`,
  );

  let handRolled: QueueLoadResult;
  try {
    const timeouts = new Queue(QUEUES.timeout, { connection: observer, prefix: cfg.hand.prefix });
    const ids = Array.from({ length: cfg.count }, (_, i) => workerId('hlat', i));
    await createHandRolledWorkers(observer, timeouts, cfg.hand.prefix, ids);
    await timeouts.close();
    const stored = await observer.get(handRolledKeys(cfg.hand.prefix).worker(ids[0] as string));
    const version = (JSON.parse(stored ?? '{}') as { version?: number }).version ?? 0;
    handRolled = await runQueueLoad(observer, {
      prefix: cfg.hand.prefix,
      inQueue: QUEUES.resume,
      outQueue: QUEUES.tasks,
      count: cfg.count,
      ratePerSec: cfg.ratePerSec,
      child: cfg.hand.child,
      job: (i) => ({ id: `hl-${i}`, data: resumeJob(ids[i] as string) }),
      outJobId: (i) => `respawn-${ids[i]}-${version + 1}`,
    });
  } finally {
    await cfg.hand.child.stop();
  }
  cfg.log(
    `latency reference, hand-rolled at ${cfg.ratePerSec}/s: p50 ${handRolled.latencyMs.p50} p95 ${handRolled.latencyMs.p95} ` +
      `p99 ${handRolled.latencyMs.p99} ms (${handRolled.missing} missing)`,
  );
  return { forwarder, handRolled };
}
