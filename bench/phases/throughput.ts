// Phases 1-3 and 5: plain BullMQ, the hand-rolled resume and resume-processor, each in its own
// child process at the same concurrency against the same Redis, measured in interleaved rounds
// (plain, hand-rolled, rp; plain, hand-rolled, rp; ...) so that a noisy neighbour slows all three
// alike and the ratios stay meaningful. Each system first gets an unmeasured warm-up round.

import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobDefaults } from '../../src/lib/queues/catalog.js';
import { QueueSet } from '../../src/lib/queues/queues.js';
import { keySpace } from '../../src/lib/store/keys.js';
import type { Producer } from '../../src/producers/types.js';
import { BenchChild } from '../lib/child.js';
import { createSuspendedWorkers } from '../lib/population.js';
import type { CommandCounts } from '../lib/round-trips.js';
import { type MeasuredSystem, measureRound, type RoundResult } from '../lib/rounds.js';
import { PLAIN_JOB_OPTIONS, QUEUES, resumeJob, workerId } from '../lib/workload.js';
import { createHandRolledWorkers } from './setup-hand-rolled.js';

export interface ThroughputConfig {
  url: string;
  concurrency: number;
  /** Measured jobs per system per round. */
  perRound: number;
  rounds: number;
  warmup: number;
  /** Unmeasured interleaved rounds of perRound jobs each, after the warm-up jobs. */
  warmupRounds: number;
  rpPrefix: string;
  rpEnv: Record<string, string>;
  log: (msg: string) => void;
}

export interface SystemSummary {
  jobs: number;
  ms: number;
  perSec: number;
  perRoundPerSec: number[];
  failed: number;
  respawns: number | null;
  roundTripsPerJob: number;
  /**
   * The requests of the job itself: round trips less those of loops that run per unit of time, not
   * per job (the reconciler, the timeout waker, BullMQ's stall checks and lock renewals), and less
   * BullMQ's re-fetches after a worker ran dry between rounds (moveToActive; plain BullMQ has them too).
   */
  ownRequestsPerJob: number;
  blockingPerJob: number;
  clientCommandsPerJob: number;
  bytesSentPerJob: number;
  commandsPerJob: number;
  clientCommandsByName: Record<string, number>;
  serverCommandsByName: Record<string, number>;
  consumerCpuMsPerJob: number;
  consumerCpuUtilisation: number;
  redisCpuMsPerJob: number;
  redisCpuUtilisation: number;
  /** Cores used by everything else on the machine during this system's rounds (null off Linux). */
  otherProcessesCores: number | null;
}

export interface ThroughputResult {
  plain: SystemSummary;
  handRolled: SystemSummary;
  resumeProcessor: SystemSummary;
  ratios: {
    rpOverPlain: number;
    rpOverHandRolled: number;
    perRoundRpOverPlain: number[];
    perRoundRpOverHandRolled: number[];
  };
  setup: { rpWorkersPerSec: number };
  /** The warm resume-processor consumer, left running for the next phases. */
  rpChild: BenchChild;
  /** The warm hand-rolled worker (its queue resumed), for the latency phase's reference; stop it after. */
  handRolledChild: { child: BenchChild; prefix: string };
}

/** Commands sent per unit of time or per idle spell, not per job. */
const BACKGROUND = [
  'evalsha:rpTakeLease',
  'evalsha:rpReleaseLease',
  'zrangebyscore',
  'zadd',
  'evalsha:moveStalledJobsToWait',
  'evalsha:extendLocks',
  'evalsha:moveToActive',
];

const perJob = (byName: Record<string, number>, jobs: number) =>
  Object.fromEntries(
    Object.entries(byName)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round((v / jobs) * 100) / 100]),
  );

function summarise(rounds: RoundResult[]): SystemSummary {
  const jobs = rounds.reduce((a, r) => a + r.jobs, 0);
  const ms = rounds.reduce((a, r) => a + r.ms, 0);
  const sum = (f: (r: RoundResult) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const clientByName: Record<string, number> = {};
  const serverByName: Record<string, number> = {};
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  for (const r of rounds) {
    add(clientByName, r.client.byName);
    add(serverByName, r.server.commands);
  }
  const client = (f: (c: CommandCounts) => number) => sum((r) => f(r.client));
  return {
    jobs,
    ms,
    perSec: (jobs / ms) * 1000,
    perRoundPerSec: rounds.map((r) => r.perSec),
    failed: sum((r) => r.failed),
    respawns: rounds.every((r) => r.respawns === null) ? null : sum((r) => r.respawns ?? 0),
    roundTripsPerJob: client((c) => c.roundTrips) / jobs,
    ownRequestsPerJob:
      (client((c) => c.roundTrips) - BACKGROUND.reduce((a, name) => a + (clientByName[name] ?? 0), 0)) / jobs,
    blockingPerJob: client((c) => c.blocking) / jobs,
    clientCommandsPerJob: client((c) => c.commands) / jobs,
    bytesSentPerJob: client((c) => c.bytesOut) / jobs,
    commandsPerJob: sum((r) => r.server.totalCommands) / jobs,
    clientCommandsByName: perJob(clientByName, jobs),
    serverCommandsByName: perJob(serverByName, jobs),
    consumerCpuMsPerJob: sum((r) => r.consumerCpuMs) / jobs,
    consumerCpuUtilisation: sum((r) => r.consumerCpuMs) / ms,
    redisCpuMsPerJob: sum((r) => r.redisCpuMs) / jobs,
    redisCpuUtilisation: sum((r) => r.redisCpuMs) / ms,
    otherProcessesCores: rounds.some((r) => r.otherCpuMs === null)
      ? null
      : sum((r) => r.otherCpuMs ?? 0) / ms,
  };
}

async function bulkAdd(queue: Queue, jobs: Parameters<Queue['addBulk']>[0]): Promise<void> {
  for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
}

/** Hands out the next `count` ids of a pre-built population, in order. */
function cursor(ids: readonly string[]) {
  let next = 0;
  return (count: number) => {
    if (next + count > ids.length) throw new Error('population exhausted');
    const out = ids.slice(next, next + count);
    next += count;
    return out;
  };
}

export async function runThroughput(
  observer: Redis,
  producer: Producer,
  cfg: ThroughputConfig,
): Promise<ThroughputResult> {
  const total = cfg.warmup + (cfg.warmupRounds + cfg.rounds) * cfg.perRound;
  const childEnv = { REDIS_URL: cfg.url, CONSUMER_CONCURRENCY: String(cfg.concurrency) };

  // Plain BullMQ: no-op jobs.
  const plainPrefix = 'bplain';
  const plainQueue = new Queue(QUEUES.plain, {
    connection: observer,
    prefix: plainPrefix,
    defaultJobOptions: PLAIN_JOB_OPTIONS,
  });
  await plainQueue.pause();

  // Hand-rolled: same records, same resume job shape and options.
  const handPrefix = 'bhand';
  const handResume = new Queue(QUEUES.resume, {
    connection: observer,
    prefix: handPrefix,
    defaultJobOptions: jobDefaults.resume,
  });
  const handTimeout = new Queue(QUEUES.timeout, { connection: observer, prefix: handPrefix });
  await handResume.pause();
  const handIds = Array.from({ length: total }, (_, i) => workerId('hand', i));
  cfg.log(`setup: ${total} hand-rolled suspended workers`);
  await createHandRolledWorkers(observer, handTimeout, handPrefix, handIds);

  // resume-processor: real records through the producer API.
  const rpQueueSet = new QueueSet(observer, keySpace(cfg.rpPrefix));
  const rpQueues = rpQueueSet.partition(0);
  await rpQueues.resume.pause();
  const rpIds = Array.from({ length: total }, (_, i) => workerId('tp', i));
  cfg.log(`setup: ${total} resume-processor suspended workers (producer API)`);
  const setupStart = Date.now();
  await createSuspendedWorkers(producer, rpIds);
  const rpWorkersPerSec = (total / (Date.now() - setupStart)) * 1000;
  cfg.log(`setup: ${Math.round(rpWorkersPerSec)} workers/s (register + suspend)`);

  cfg.log('starting the three child processes');
  const [plainChild, handChild, rpChild] = await Promise.all([
    BenchChild.spawn('plain-worker', { env: { ...childEnv, BENCH_PREFIX: plainPrefix } }),
    BenchChild.spawn('hand-rolled-worker', { env: { ...childEnv, BENCH_PREFIX: handPrefix } }),
    BenchChild.spawn('rp-consumer', { env: { ...childEnv, ...cfg.rpEnv, RESUME_PREFIX: cfg.rpPrefix } }),
  ]);

  let plainSeq = 0;
  const nextHand = cursor(handIds);
  const nextRp = cursor(rpIds);
  const systems: MeasuredSystem[] = [
    {
      name: 'plain',
      child: plainChild,
      queue: plainQueue,
      prefix: plainPrefix,
      enqueue: (n) =>
        bulkAdd(
          plainQueue,
          Array.from({ length: n }, () => ({ name: 'noop', data: { i: plainSeq++ } })),
        ),
    },
    {
      name: 'handRolled',
      child: handChild,
      queue: handResume,
      prefix: handPrefix,
      respawnList: `${handPrefix}:${QUEUES.tasks}:wait`,
      enqueue: (n) =>
        bulkAdd(
          handResume,
          nextHand(n).map((id) => ({
            name: 'resume',
            data: resumeJob(id),
            opts: { jobId: `r-${randomUUID()}` },
          })),
        ),
    },
    {
      name: 'resumeProcessor',
      child: rpChild,
      queue: rpQueues.resume,
      prefix: cfg.rpPrefix,
      respawnList: rpQueues.tasks.toKey('wait'),
      enqueue: (n) =>
        bulkAdd(
          rpQueues.resume,
          nextRp(n).map((id) => ({
            name: 'resume',
            data: resumeJob(id),
            opts: { jobId: `r-${randomUUID()}` },
          })),
        ),
    },
  ];

  for (const sys of systems) {
    const r = await measureRound(observer, sys, cfg.warmup);
    cfg.log(`warm-up ${sys.name}: ${Math.round(r.perSec)}/s`);
  }
  // Full-size rounds, interleaved and unmeasured: every process reaches its steady speed (a no-op
  // worker gains 2× over its first 20,000 jobs, a resume 1.4×) before the rounds that count.
  for (let round = 1; round <= cfg.warmupRounds; round++) {
    for (const sys of systems) {
      const r = await measureRound(observer, sys, cfg.perRound);
      cfg.log(`warm-up round ${round} ${sys.name}: ${Math.round(r.perSec)}/s`);
    }
  }
  const results: Record<string, RoundResult[]> = { plain: [], handRolled: [], resumeProcessor: [] };
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const sys of systems) {
      const r = await measureRound(observer, sys, cfg.perRound);
      results[sys.name]?.push(r);
      cfg.log(
        `round ${round} ${sys.name}: ${Math.round(r.perSec)}/s, ${(r.client.roundTrips / r.jobs).toFixed(1)} rt/job, ` +
          `consumer cpu ${Math.round((r.consumerCpuMs / r.ms) * 100)}%, redis cpu ${Math.round((r.redisCpuMs / r.ms) * 100)}%`,
      );
    }
  }
  await plainChild.stop();
  await Promise.all([plainQueue.close(), handResume.resume()]);
  await Promise.all([handResume.close(), handTimeout.close()]);
  await rpQueues.resume.resume();
  await rpQueueSet.close();

  const plain = summarise(results.plain ?? []);
  const handRolled = summarise(results.handRolled ?? []);
  const resumeProcessor = summarise(results.resumeProcessor ?? []);
  const perRound = (a: SystemSummary, b: SystemSummary) =>
    a.perRoundPerSec.map((v, i) => v / (b.perRoundPerSec[i] ?? Number.NaN));
  const perRoundRpOverPlain = perRound(resumeProcessor, plain);
  const perRoundRpOverHandRolled = perRound(resumeProcessor, handRolled);
  return {
    plain,
    handRolled,
    resumeProcessor,
    ratios: {
      rpOverPlain: resumeProcessor.perSec / plain.perSec,
      rpOverHandRolled: resumeProcessor.perSec / handRolled.perSec,
      perRoundRpOverPlain,
      perRoundRpOverHandRolled,
    },
    setup: { rpWorkersPerSec },
    rpChild,
    handRolledChild: { child: handChild, prefix: handPrefix },
  };
}
