// Phases 7-8: resumes/s and Redis memory against the number of suspended workers (1k, 10k, 100k
// by default). Each N gets its own prefix and its own consumer process; the populations are made
// through the producer one after another (the used_memory delta of each is its memory figure), then
// the points are measured interleaved like the throughput phase: repetition 1 at every N, then
// repetition 2, ... Each repetition resumes the same number of workers at every N and replaces them
// with fresh suspended ones, so exactly N stay suspended and only the population differs.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { QueueSet } from '../../src/lib/queues/queues.js';
import { keySpace } from '../../src/lib/store/keys.js';
import { WorkerStore } from '../../src/lib/store/worker-store.js';
import { createProducer } from '../../src/producers/producer.js';
import { BenchChild } from '../lib/child.js';
import { createSuspendedWorkers, SUSPEND_REASON, type SuspendedWorker } from '../lib/population.js';
import { usedMemory } from '../lib/redis-info.js';
import { type MeasuredSystem, measureRound, type RoundResult } from '../lib/rounds.js';
import { median, sleep } from '../lib/stats.js';
import { resumeJob, TRANSCRIPT_BYTES } from '../lib/workload.js';

export interface ScaleConfig {
  url: string;
  /** Prefix stem; point i uses `${prefix}${i}`. */
  prefix: string;
  points: number[];
  perRep: number;
  reps: number;
  /** Unmeasured resumes per consumer (twice, before the first repetition), so every consumer is warm. */
  warmup: number;
  concurrency: number;
  rpEnv: Record<string, string>;
  log: (msg: string) => void;
}

export interface MemoryBreakdown {
  /** MEMORY USAGE of one sample worker's own keys, and its share of the shared structures. */
  perKey: Record<string, number>;
  sharedPerWorker: Record<string, number>;
}

export interface ScalePoint {
  suspendedWorkers: number;
  resumesPerSec: number;
  /** Median of the repetitions: what the scaling target compares (robust to one noisy repetition). */
  medianRepResumesPerSec: number;
  perRepResumesPerSec: number[];
  /** CPU per resume: the cost view of scaling, insensitive to a neighbour stealing the CPU. */
  consumerCpuMsPerResume: number;
  redisCpuMsPerResume: number;
  roundTripsPerResume: number;
  commandsPerResume: number;
  /** used_memory delta of the workers added to reach this point, per worker. */
  bytesPerWorkerWithTranscript: number;
  bytesPerWorker: number;
  usedMemoryBytes: number;
}

export interface ScaleResult {
  points: ScalePoint[];
  transcriptBytes: number;
  memoryBreakdown: MemoryBreakdown;
}

async function settle(redis: Redis): Promise<number> {
  // Freed memory is returned lazily; a short pause makes successive readings comparable.
  await sleep(300);
  return usedMemory(redis);
}

async function breakdown(redis: Redis, prefix: string, sample: SuspendedWorker, population: number) {
  const mem = async (key: string) => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const keys = keySpace(prefix);
  const store = new WorkerStore({ redis, keys });
  const timeout = new QueueSet(redis, keys).partition(0).timeout;
  const perKey: Record<string, number> = {
    'worker document (record, event log; incl. transcript)': await mem(store.workerKeys(sample.id).doc),
    'timeout job hash': await mem(timeout.toKey(sample.timeoutJobId)),
  };
  // Shared structures divided by the population: an estimate of each worker's share.
  const index = store.indexes.indexKeys(0, SUSPEND_REASON);
  const shared: Record<string, string> = {
    'timeout delayed zset': timeout.toKey('delayed'),
    'deadline index (zset)': index.deadlines,
    'status index (zset)': index.suspended,
    'reason index (zset)': index.reason,
    'timeout queue event stream (capped at ~10k)': timeout.toKey('events'),
  };
  const sharedPerWorker: Record<string, number> = {};
  for (const [label, key] of Object.entries(shared)) {
    sharedPerWorker[label] = Math.round((await mem(key)) / population);
  }
  return { perKey, sharedPerWorker };
}

interface Point {
  n: number;
  prefix: string;
  producer: ReturnType<typeof createProducer>;
  child: BenchChild;
  suspended: SuspendedWorker[];
  system: MeasuredSystem;
  reps: RoundResult[];
  /** Replaces resumed workers with fresh suspended ones (after a round, so N is exact during it). */
  replenish(count: number): Promise<void>;
  bytesWithTranscript: number;
  usedMemoryBytes: number;
  close(): Promise<void>;
}

async function makePoint(observer: Redis, cfg: ScaleConfig, n: number, index: number): Promise<Point> {
  const prefix = `${cfg.prefix}${index}`;
  const producer = createProducer({ connection: cfg.url, prefix });
  const queueSet = new QueueSet(observer, keySpace(prefix));
  const queues = queueSet.partition(0);
  await queues.resume.pause();
  let made = 0;
  const fresh = (count: number) =>
    createSuspendedWorkers(
      producer,
      Array.from({ length: count }, () => `sc-${String(made++).padStart(7, '0')}`),
    );
  const before = await settle(observer);
  const t = Date.now();
  const suspended = await fresh(n);
  const after = await settle(observer);
  cfg.log(
    `scale N=${n}: ${n} suspended workers in ${Date.now() - t} ms, ${Math.round((after - before) / n)} B each`,
  );
  const child = await BenchChild.spawn('rp-consumer', {
    env: {
      ...cfg.rpEnv,
      REDIS_URL: cfg.url,
      RESUME_PREFIX: prefix,
      CONSUMER_CONCURRENCY: String(cfg.concurrency),
    },
  });
  const system: MeasuredSystem = {
    name: `resumeProcessor@${n}`,
    child,
    queue: queues.resume,
    prefix,
    respawnList: queues.tasks.toKey('wait'),
    enqueue: async (count: number) => {
      const batch = suspended.splice(0, count);
      for (let i = 0; i < batch.length; i += 1000) {
        await queues.resume.addBulk(
          batch
            .slice(i, i + 1000)
            .map((w) => ({ name: 'resume', data: resumeJob(w.id), opts: { jobId: `r-${randomUUID()}` } })),
        );
      }
    },
  };
  return {
    n,
    prefix,
    producer,
    child,
    suspended,
    system,
    reps: [],
    async replenish(count: number) {
      suspended.push(...(await fresh(count)));
    },
    bytesWithTranscript: (after - before) / n,
    usedMemoryBytes: after,
    async close() {
      await child.stop();
      await queues.resume.resume();
      await queueSet.close();
      await producer.disconnect();
    },
  };
}

export async function runScale(observer: Redis, cfg: ScaleConfig): Promise<ScaleResult> {
  const points: Point[] = [];
  try {
    for (const [i, n] of cfg.points.entries()) points.push(await makePoint(observer, cfg, n, i));
    const largest = points[points.length - 1];
    const sample = largest?.suspended[largest.suspended.length - 1];
    const memoryBreakdown: MemoryBreakdown =
      largest && sample
        ? await breakdown(observer, largest.prefix, sample, largest.n)
        : { perKey: {}, sharedPerWorker: {} };
    // Warm-up; resumed workers are replaced by fresh ones after every round, so N stays exact.
    for (const p of points) {
      const count = Math.min(cfg.warmup, p.n);
      await measureRound(observer, p.system, count);
      await p.replenish(count);
      await measureRound(observer, p.system, count);
      await p.replenish(count);
    }
    for (let r = 0; r < cfg.reps; r++) {
      const order = r % 2 === 0 ? points : [...points].reverse();
      for (const p of order) {
        const rep = await measureRound(observer, p.system, Math.min(cfg.perRep, p.n));
        await p.replenish(rep.jobs);
        p.reps.push(rep);
        cfg.log(
          `  rep ${r + 1} N=${p.n}: ${Math.round(rep.perSec)}/s, consumer ${(rep.consumerCpuMs / rep.jobs).toFixed(2)} ms/resume, ` +
            `redis ${(rep.redisCpuMs / rep.jobs).toFixed(2)} ms/resume, ${(rep.server.totalCommands / rep.jobs).toFixed(1)} cmds`,
        );
      }
    }
    const out: ScalePoint[] = points.map((p) => {
      const jobs = p.reps.reduce((a, r) => a + r.jobs, 0);
      const ms = p.reps.reduce((a, r) => a + r.ms, 0);
      return {
        suspendedWorkers: p.n,
        resumesPerSec: (jobs / ms) * 1000,
        medianRepResumesPerSec: median(p.reps.map((r) => r.perSec)),
        perRepResumesPerSec: p.reps.map((r) => r.perSec),
        consumerCpuMsPerResume: p.reps.reduce((a, r) => a + r.consumerCpuMs, 0) / jobs,
        redisCpuMsPerResume: p.reps.reduce((a, r) => a + r.redisCpuMs, 0) / jobs,
        roundTripsPerResume: p.reps.reduce((a, r) => a + r.client.roundTrips, 0) / jobs,
        commandsPerResume: p.reps.reduce((a, r) => a + r.server.totalCommands, 0) / jobs,
        bytesPerWorkerWithTranscript: p.bytesWithTranscript,
        bytesPerWorker: p.bytesWithTranscript - TRANSCRIPT_BYTES,
        usedMemoryBytes: p.usedMemoryBytes,
      };
    });
    for (const p of out)
      cfg.log(
        `scale N=${p.suspendedWorkers}: ${Math.round(p.medianRepResumesPerSec)} resumes/s (median repetition), ` +
          `${p.consumerCpuMsPerResume.toFixed(2)} + ${p.redisCpuMsPerResume.toFixed(2)} ms CPU per resume`,
      );
    return { points: out, transcriptBytes: TRANSCRIPT_BYTES, memoryBreakdown };
  } finally {
    for (const p of points) await p.close().catch(() => p.child.kill());
  }
}
