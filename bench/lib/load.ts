// Open-loop resume load through the real producer API: request i is sent at start + i/rate whether
// or not earlier ones finished, so a slow consumer shows up as latency instead of a lower send rate
// (no coordinated omission). Latency is measured on Redis's clock from the queues' event streams:
// resume job added -> respawn job added.

import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobIds } from '../../src/lib/policy/ids.js';
import { type CatalogQueue, QueueSet } from '../../src/lib/queues/queues.js';
import { keySpace } from '../../src/lib/store/keys.js';
import type { Producer } from '../../src/producers/types.js';
import type { BenchChild } from './child.js';
import { EventTail } from './event-tail.js';
import { hostBusyMs } from './host-cpu.js';
import type { SuspendedWorker } from './population.js';
import { snapshot } from './redis-info.js';
import { type Percentiles, sleep, summarize } from './stats.js';
import { RESUME_INPUT, resumeJob } from './workload.js';

export interface LoadSample {
  resumeJobId: string;
  enqueuedMs: number;
  respawnedMs: number;
}

export interface LoadResult {
  sent: number;
  errors: number;
  offeredPerSec: number;
  sendWindowMs: number;
  latencyMs: Percentiles;
  /** Resumes whose respawn never showed up before the drain deadline. */
  missing: number;
  samples: LoadSample[];
  /** Per-second p50/p99/max by enqueue time: shows whether the tail is steady or bursts. */
  timeline: { second: number; count: number; p50: number; p99: number; max: number }[];
  /** CPU used during the run, as a fraction of one core: this (generator) process, the consumer, Redis. */
  cpu: { generator: number; consumer: number | null; redis: number; otherProcesses: number | null };
  consumerEventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  /**
   * How late the generator sent each request against its open-loop schedule (ms). A stall of the
   * generator turns into a burst of arrivals once it catches up, which queues in any consumer.
   */
  sendLagMs: Percentiles;
}

export interface LoadOptions {
  ratePerSec: number;
  /** The consumer under load, for its CPU and event-loop delay over the run. */
  child?: BenchChild;
  /** Wall time to begin sending (default now). */
  startAtMs?: number;
  drainTimeoutMs?: number;
}

export async function runResumeLoad(
  observer: Redis,
  producer: Producer,
  prefix: string,
  workers: readonly SuspendedWorker[],
  opts: LoadOptions,
): Promise<LoadResult> {
  const queues = new QueueSet(observer, keySpace(prefix)).partition(0);
  const resumeTail = new EventTail(observer, queues.resume.toKey('events'), 'added');
  const respawnTail = new EventTail(observer, queues.tasks.toKey('events'), 'added');
  await Promise.all([resumeTail.start(), respawnTail.start()]);
  const sent: { jobId: string; respawnJobId: string }[] = [];
  let errors = 0;
  const start = Math.max(Date.now(), opts.startAtMs ?? 0);
  while (Date.now() < start) await sleep(Math.min(50, start - Date.now()));
  const cpuBefore = process.cpuUsage();
  const hostBefore = hostBusyMs();
  const childBefore = await opts.child?.stats();
  const serverBefore = await snapshot(observer);
  const inflight = sendOpenLoop(workers.length, opts.ratePerSec, start, (i) => {
    const w = workers[i] as SuspendedWorker;
    return producer.resume(w.id, RESUME_INPUT).then(
      (t) => {
        sent.push({ jobId: t.jobId, respawnJobId: jobIds.respawn(w.id, w.epoch + 1) });
      },
      () => {
        errors += 1;
      },
    );
  });
  await inflight.done;
  const sendWindowMs = inflight.windowMs;
  await Promise.all(inflight.calls);
  const deadline = Date.now() + (opts.drainTimeoutMs ?? 30_000);
  while (Date.now() < deadline && !sent.every((s) => respawnTail.seen.has(s.respawnJobId))) await sleep(50);
  const wallMs = Date.now() - start;
  const cpuAfter = process.cpuUsage(cpuBefore);
  const hostAfter = hostBusyMs();
  const childAfter = await opts.child?.stats();
  const serverAfter = await snapshot(observer);
  await Promise.all([resumeTail.stop(), respawnTail.stop()]);
  const generator = (cpuAfter.user + cpuAfter.system) / 1000 / wallMs;
  const consumer =
    childBefore && childAfter
      ? (childAfter.cpuUserUs + childAfter.cpuSystemUs - childBefore.cpuUserUs - childBefore.cpuSystemUs) /
        1000 /
        wallMs
      : null;
  const redis = ((serverAfter.cpuSec - serverBefore.cpuSec) * 1000) / wallMs;
  const cpu = {
    generator,
    consumer,
    redis,
    // Everything else that ran on the machine meanwhile (in cores): other tenants, the kernel's
    // share not billed to a process. Large values mean the latency was measured on a contended box.
    otherProcesses:
      hostBefore !== null && hostAfter !== null
        ? Math.max(0, (hostAfter - hostBefore) / wallMs - generator - (consumer ?? 0) - redis)
        : null,
  };
  const samples: LoadSample[] = [];
  let missing = 0;
  for (const s of sent) {
    const enq = resumeTail.seen.get(s.jobId);
    const out = respawnTail.seen.get(s.respawnJobId);
    if (enq === undefined || out === undefined) missing += 1;
    else samples.push({ resumeJobId: s.jobId, enqueuedMs: enq, respawnedMs: out });
  }
  const timeline = perSecond(samples);
  return {
    sent: sent.length,
    errors,
    offeredPerSec: (workers.length / Math.max(1, sendWindowMs)) * 1000,
    sendWindowMs,
    latencyMs: summarize(samples.map((x) => x.respawnedMs - x.enqueuedMs)),
    missing,
    samples,
    timeline,
    cpu,
    consumerEventLoopDelayMs: childAfter?.eventLoopDelayMs ?? null,
    sendLagMs: summarize(inflight.lagMs),
  };
}

export interface FloodResult {
  sent: number;
  offeredPerSec: number;
  sendWindowMs: number;
}

/**
 * A flood: the producer's resume jobs added in bulk every 20 ms at `ratePerSec` (the producer's
 * one-call-per-resume path could not offer more than the consumer takes on the same two cores).
 * Returns once everything is sent; the backlog drains on its own.
 */
export async function runBulkFlood(
  queue: CatalogQueue<'resume'>,
  workers: readonly SuspendedWorker[],
  opts: { ratePerSec: number; startAtMs?: number },
): Promise<FloodResult> {
  const start = Math.max(Date.now(), opts.startAtMs ?? 0);
  while (Date.now() < start) await sleep(Math.min(50, start - Date.now()));
  let sent = 0;
  while (sent < workers.length) {
    const due = Math.min(workers.length, Math.floor(((Date.now() - start) / 1000) * opts.ratePerSec) + 1);
    if (due > sent) {
      await queue.addBulk(
        workers
          .slice(sent, due)
          .map((w) => ({ name: 'resume', data: resumeJob(w.id), opts: { jobId: `r-${randomUUID()}` } })),
      );
      sent = due;
    }
    await sleep(20);
  }
  const sendWindowMs = Date.now() - start;
  return { sent, offeredPerSec: (sent / Math.max(1, sendWindowMs)) * 1000, sendWindowMs };
}

/**
 * Calls `send(i)` for i = 0..count-1 at start + i/rate, whatever earlier calls are doing (open loop).
 * `done` resolves once every call was made; `calls` holds their promises.
 */
function sendOpenLoop(
  count: number,
  ratePerSec: number,
  start: number,
  send: (i: number) => Promise<void>,
): { done: Promise<void>; calls: Promise<void>[]; windowMs: number; lagMs: number[] } {
  const calls: Promise<void>[] = [];
  const lagMs: number[] = [];
  const interval = 1000 / ratePerSec;
  const result = { calls, windowMs: 0, lagMs, done: Promise.resolve() };
  result.done = (async () => {
    let i = 0;
    while (i < count) {
      const now = Date.now();
      while (i < count && start + i * interval <= now) {
        lagMs.push(now - (start + i * interval));
        calls.push(send(i++));
      }
      await sleep(1);
    }
    result.windowMs = Date.now() - start;
  })();
  return result;
}

/** Per-second p50/p99/max by enqueue time. */
function perSecond(samples: readonly LoadSample[]): LoadResult['timeline'] {
  const t0 = samples.reduce((m, x) => Math.min(m, x.enqueuedMs), Number.POSITIVE_INFINITY);
  const bySecond = new Map<number, number[]>();
  for (const x of samples) {
    const sec = Math.floor((x.enqueuedMs - t0) / 1000);
    const list = bySecond.get(sec) ?? [];
    list.push(x.respawnedMs - x.enqueuedMs);
    bySecond.set(sec, list);
  }
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, xs]) => {
      const p = summarize(xs);
      return { second, count: p.count, p50: p.p50, p99: p.p99, max: p.max };
    });
}

export interface QueueLoadResult {
  sent: number;
  missing: number;
  latencyMs: Percentiles;
  timeline: LoadResult['timeline'];
  /** Cores used during the run: this process (generator), the measured child, Redis. */
  cpu: { generator: number; worker: number; redis: number };
  /** As LoadResult.sendLagMs. */
  sendLagMs: Percentiles;
}

export interface QueueLoad {
  prefix: string;
  /** The queue the requests are added to, and the queue whose `added` events end them. */
  inQueue: string;
  outQueue: string;
  count: number;
  ratePerSec: number;
  child: BenchChild;
  /** Request i: job id and payload. */
  job: (i: number) => { id: string; data: object };
  /** The id of the job request i leads to on `outQueue`. */
  outJobId: (i: number) => string;
}

/**
 * A reference system under the same open-loop load as resume-processor: one Queue.add per request
 * (like the producer's resume), latency from the request's `added` event to its outcome job's
 * `added` event, on Redis's clock. For the forwarder (children/forwarder-worker.ts) and the
 * hand-rolled resume.
 */
export async function runQueueLoad(observer: Redis, load: QueueLoad): Promise<QueueLoadResult> {
  const input = new Queue(load.inQueue, { connection: observer, prefix: load.prefix });
  const inTail = new EventTail(observer, input.toKey('events'), 'added');
  const outTail = new EventTail(observer, `${load.prefix}:${load.outQueue}:events`, 'added');
  await Promise.all([inTail.start(), outTail.start()]);
  const start = Date.now();
  const cpuBefore = process.cpuUsage();
  const childBefore = await load.child.stats();
  const serverBefore = await snapshot(observer);
  const sending = sendOpenLoop(load.count, load.ratePerSec, start, async (i) => {
    const { id, data } = load.job(i);
    await input.add('request', data, { jobId: id });
  });
  await sending.done;
  await Promise.all(sending.calls);
  const outIds = Array.from({ length: load.count }, (_, i) => load.outJobId(i));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !outIds.every((id) => outTail.seen.has(id))) await sleep(50);
  const wallMs = Date.now() - start;
  const cpuAfter = process.cpuUsage(cpuBefore);
  const childAfter = await load.child.stats();
  const serverAfter = await snapshot(observer);
  await Promise.all([inTail.stop(), outTail.stop()]);
  await input.close();
  const samples: LoadSample[] = [];
  for (let i = 0; i < load.count; i++) {
    const id = load.job(i).id;
    const enq = inTail.seen.get(id);
    const out = outTail.seen.get(outIds[i] as string);
    if (enq !== undefined && out !== undefined)
      samples.push({ resumeJobId: id, enqueuedMs: enq, respawnedMs: out });
  }
  return {
    sent: load.count,
    missing: load.count - samples.length,
    latencyMs: summarize(samples.map((x) => x.respawnedMs - x.enqueuedMs)),
    timeline: perSecond(samples),
    sendLagMs: summarize(sending.lagMs),
    cpu: {
      generator: (cpuAfter.user + cpuAfter.system) / 1000 / wallMs,
      worker:
        (childAfter.cpuUserUs + childAfter.cpuSystemUs - childBefore.cpuUserUs - childBefore.cpuSystemUs) /
        1000 /
        wallMs,
      redis: ((serverAfter.cpuSec - serverBefore.cpuSec) * 1000) / wallMs,
    },
  };
}
