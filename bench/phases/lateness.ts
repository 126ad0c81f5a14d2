// Phase 6: timeout lateness. `count` workers are suspended through the producer with absolute
// deadlines spread evenly over a window that opens only after the setup is done, so setup traffic
// never overlaps a due timeout. Fire time is the timeout job's processedOn (set by the consumer's
// BullMQ worker when it moves the job to active, i.e. when the timeout starts to be handled); the
// commit side (finishedOn) is reported too. Optionally a resume load runs across the window.

import type { Redis } from 'ioredis';
import { QueueSet } from '../../src/lib/queues/queues.js';
import { keySpace } from '../../src/lib/store/keys.js';
import type { Producer } from '../../src/producers/types.js';
import type { BenchChild } from '../lib/child.js';
import { type FloodResult, type LoadResult, runBulkFlood, runResumeLoad } from '../lib/load.js';
import { createSuspendedWorkers, type SuspendedWorker } from '../lib/population.js';
import { type Percentiles, sleep, summarize } from '../lib/stats.js';

export interface LatenessConfig {
  prefix: string;
  count: number;
  windowMs: number;
  /** Producer setup rate measured earlier (workers/s), to place the window after the setup. */
  setupPerSec: number;
  idTag: string;
  /**
   * When set, these workers are resumed at `ratePerSec` across the window: through the producer
   * (open loop, with latency), or as paced bulk adds of the producer's job (a flood the load
   * generator can offer faster than the consumer takes).
   */
  load?: { workers: readonly SuspendedWorker[]; ratePerSec: number; via: 'producer' | 'bulk' };
  /** The consumer, asked for its event-loop delay over the window. */
  child?: BenchChild;
  log: (msg: string) => void;
}

export interface LatenessResult {
  timeouts: number;
  windowMs: number;
  /** processedOn - due. */
  firedLateMs: Percentiles;
  /** finishedOn - due: the timeout's resume committed and its respawn enqueued. */
  completedLateMs: Percentiles;
  early: number;
  missing: number;
  /** Setup ran past the window start (the numbers are then not clean). */
  setupOverran: boolean;
  /** Per second of the window (by due time): p50/p99/max of fire lateness. */
  timeline: { second: number; count: number; p50: number; p99: number; max: number }[];
  load?: LoadResult;
  /** The offered rate of a bulk flood. */
  flood?: FloodResult;
  /** The consumer's event-loop delay during the window (ms). */
  consumerEventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** Redis LATENCY LATEST events over 10 ms during the window (event -> max ms). */
  redisLatencyEvents: Record<string, number>;
}

export async function runLateness(
  observer: Redis,
  producer: Producer,
  cfg: LatenessConfig,
): Promise<LatenessResult> {
  const ids = Array.from({ length: cfg.count }, (_, i) => `${cfg.idTag}-${String(i).padStart(6, '0')}`);
  const expectedSetupMs = (cfg.count / Math.max(100, cfg.setupPerSec)) * 1000;
  const windowStart = Date.now() + Math.ceil(expectedSetupMs * 2) + 2000;
  const step = cfg.windowMs / cfg.count;
  cfg.log(`setup: ${cfg.count} timeouts due from +${windowStart - Date.now()} ms over ${cfg.windowMs} ms`);
  const workers = await createSuspendedWorkers(producer, ids, {
    dueAtMs: (i) => Math.round(windowStart + i * step),
  });
  const setupOverran = Date.now() > windowStart;
  if (setupOverran) cfg.log('warning: setup ran past the first deadline');
  const timeoutQueue = new QueueSet(observer, keySpace(cfg.prefix)).partition(0).timeout;
  const completedKey = timeoutQueue.toKey('completed');
  const baseCompleted = await observer.zcard(completedKey);
  await cfg.child?.stats();
  await observer.call('LATENCY', 'RESET');

  let load: LoadResult | undefined;
  let flood: FloodResult | undefined;
  if (cfg.load) {
    const loadWindowMs = cfg.windowMs + 2000;
    const needed = Math.ceil((cfg.load.ratePerSec * loadWindowMs) / 1000);
    const workers = cfg.load.workers.slice(0, needed);
    if (cfg.load.via === 'producer') {
      load = await runResumeLoad(observer, producer, cfg.prefix, workers, {
        ratePerSec: cfg.load.ratePerSec,
        startAtMs: windowStart - 1000,
      });
    } else {
      const resume = new QueueSet(observer, keySpace(cfg.prefix)).partition(0).resume;
      flood = await runBulkFlood(resume, workers, {
        ratePerSec: cfg.load.ratePerSec,
        startAtMs: windowStart - 1000,
      });
    }
  }
  const deadline = windowStart + cfg.windowMs + 60_000;
  while (Date.now() < deadline) {
    if (
      Date.now() > windowStart + cfg.windowMs &&
      (await observer.zcard(completedKey)) - baseCompleted >= cfg.count
    )
      break;
    await sleep(200);
  }
  const loop = cfg.child ? (await cfg.child.stats()).eventLoopDelayMs : undefined;
  const redisLatencyEvents: Record<string, number> = {};
  for (const entry of (await observer.call('LATENCY', 'LATEST')) as [string, number, number, number][]) {
    redisLatencyEvents[entry[0]] = entry[3];
  }
  const fired: number[] = [];
  const bySecond = new Map<number, number[]>();
  const completed: number[] = [];
  let missing = 0;
  let early = 0;
  for (let i = 0; i < workers.length; i += 1000) {
    const pipe = observer.pipeline();
    const batch = workers.slice(i, i + 1000);
    for (const w of batch) pipe.hmget(timeoutQueue.toKey(w.timeoutJobId), 'processedOn', 'finishedOn');
    const replies = (await pipe.exec()) ?? [];
    replies.forEach(([err, value], j) => {
      const w = batch[j];
      const [processedOn, finishedOn] = (value ?? []) as (string | null)[];
      if (err || !w || !processedOn || !finishedOn) {
        missing += 1;
        return;
      }
      const late = Number(processedOn) - w.dueAtMs;
      if (late < 0) early += 1;
      fired.push(late);
      const sec = Math.floor((w.dueAtMs - windowStart) / 1000);
      const list = bySecond.get(sec) ?? [];
      list.push(late);
      bySecond.set(sec, list);
      completed.push(Number(finishedOn) - w.dueAtMs);
    });
  }
  return {
    timeouts: cfg.count,
    windowMs: cfg.windowMs,
    firedLateMs: summarize(fired),
    completedLateMs: summarize(completed),
    early,
    missing,
    setupOverran,
    redisLatencyEvents,
    ...(loop ? { consumerEventLoopDelayMs: loop } : {}),
    timeline: [...bySecond.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([second, xs]) => {
        const p = summarize(xs);
        return { second, count: p.count, p50: p.p50, p99: p.p99, max: p.max };
      }),
    ...(load ? { load } : {}),
    ...(flood ? { flood } : {}),
  };
}
