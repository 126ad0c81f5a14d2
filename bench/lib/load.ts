// Open-loop resume load through the real producer API: request i is sent at start + i/rate whether
// or not earlier ones finished, so a slow consumer shows up as latency instead of a lower send rate
// (no coordinated omission). Latency is measured on Redis's clock from the queues' event streams:
// resume job added -> respawn job added.

import { randomUUID } from 'node:crypto';
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
  const inflight: Promise<void>[] = [];
  let errors = 0;
  const start = Math.max(Date.now(), opts.startAtMs ?? 0);
  while (Date.now() < start) await sleep(Math.min(50, start - Date.now()));
  const cpuBefore = process.cpuUsage();
  const hostBefore = hostBusyMs();
  const childBefore = await opts.child?.stats();
  const serverBefore = await snapshot(observer);
  const interval = 1000 / opts.ratePerSec;
  let i = 0;
  while (i < workers.length) {
    const now = Date.now();
    while (i < workers.length && start + i * interval <= now) {
      const w = workers[i++] as SuspendedWorker;
      inflight.push(
        producer.resume(w.id, RESUME_INPUT).then(
          (t) => {
            sent.push({ jobId: t.jobId, respawnJobId: jobIds.respawn(w.id, w.epoch + 1) });
          },
          () => {
            errors += 1;
          },
        ),
      );
    }
    await sleep(1);
  }
  const sendWindowMs = Date.now() - start;
  await Promise.all(inflight);
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
  const t0 = samples.reduce((m, x) => Math.min(m, x.enqueuedMs), Number.POSITIVE_INFINITY);
  const perSecond = new Map<number, number[]>();
  for (const x of samples) {
    const sec = Math.floor((x.enqueuedMs - t0) / 1000);
    const list = perSecond.get(sec) ?? [];
    list.push(x.respawnedMs - x.enqueuedMs);
    perSecond.set(sec, list);
  }
  const timeline = [...perSecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, xs]) => {
      const p = summarize(xs);
      return { second, count: p.count, p50: p.p50, p99: p.p99, max: p.max };
    });
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
