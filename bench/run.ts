// `npm run bench`: starts a private redis-server and measures, in one run and one process tree,
// plain BullMQ, a hand-rolled resume and resume-processor side by side, then latency, timeout
// lateness, memory and scaling. Writes bench/results/latest.json, bench/results/chart.svg and the
// generated part of docs/benchmarks.md. Flags: see lib/args.ts or docs/benchmarks.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { type RedisServerHandle, startRedisServer } from '../src/lib/redis-server.js';
import { createProducer } from '../src/producers/producer.js';
import { parseBenchArgs } from './lib/args.js';
import { renderChart } from './lib/chart.js';
import type { BenchChild } from './lib/child.js';
import { clusterConsoleTable, renderClusterMarkdown } from './lib/cluster-report.js';
import { runResumeLoad } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import { createSuspendedWorkers } from './lib/population.js';
import { consoleTable, renderMarkdown, writeDocs } from './lib/report.js';
import { type BenchResults, evaluateTargets, type LatenessSummary } from './lib/results.js';
import { installRoundTripCounter } from './lib/round-trips.js';
import { median, type Percentiles } from './lib/stats.js';
import { runClusterBench } from './phases/cluster.js';
import { runLatencyReferences } from './phases/latency-references.js';
import { type LatenessResult, runLateness } from './phases/lateness.js';
import { runListBench } from './phases/list.js';
import { runProfile } from './phases/profile.js';
import { runScale } from './phases/scale.js';
import { runThroughput } from './phases/throughput.js';

const RESULTS_DIR = 'bench/results';
const DOCS = 'docs/benchmarks.md';
const SCALING_DOCS = 'docs/scaling.md';
const CHART = join(RESULTS_DIR, 'chart.svg');

/** Consumer settings of every resume-processor child (the consumer's own defaults, made explicit). */
const RP_ENV = {
  LOCK_TTL_MS: '5000',
  STALLED_INTERVAL_MS: '5000',
  RECONCILE_INTERVAL_MS: '2000',
  LOG_LEVEL: 'warn',
};

const started = Date.now();
const log = (msg: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

const lateness = (r: LatenessResult): LatenessSummary => ({
  p50: r.firedLateMs.p50,
  p99: r.firedLateMs.p99,
  max: r.firedLateMs.max,
  completedP99: r.completedLateMs.p99,
  early: r.early,
  missing: r.missing,
  timeouts: r.timeouts,
  setupOverran: r.setupOverran,
  consumerEventLoopDelayMs: r.consumerEventLoopDelayMs ?? null,
  redisLatencyEvents: r.redisLatencyEvents,
  timeline: r.timeline,
});

async function main(): Promise<void> {
  const cfg = parseBenchArgs(process.argv.slice(2));
  // The measured consumer loads the library compiled, as an installed package does.
  log('building dist/ (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  installRoundTripCounter();
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (cfg.cluster) return clusterOnly(cfg);
  if (cfg.list) return listOnly(cfg);

  let server: RedisServerHandle | undefined;
  let url = cfg.redisUrl;
  if (!url) {
    server = await startRedisServer({ appendonly: cfg.aof });
    url = server.url;
  }
  log(`redis at ${url}${cfg.quick ? ' (quick mode)' : ''}`);
  const observer = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'bench-observer' });
  const children: BenchChild[] = [];
  let serverHz = 10;
  const producers: ReturnType<typeof createProducer>[] = [];
  try {
    if ((await observer.dbsize()) > 0)
      throw new Error(`${url} is not empty; the bench needs an empty database`);
    if (cfg.hz !== null) await observer.config('SET', 'hz', String(cfg.hz));
    serverHz = Number(((await observer.config('GET', 'hz')) as string[])[1]);
    /** Suspended workers enough to resume at `ratePerSec` across a lateness window. */
    const suspendedFor = (ratePerSec: number, tag: string) =>
      createSuspendedWorkers(
        producer,
        Array.from(
          { length: Math.ceil((ratePerSec * (cfg.timeoutWindowSeconds * 1000 + 2000)) / 1000) },
          (_, i) => `${tag}-${String(i).padStart(6, '0')}`,
        ),
      );
    const rpPrefix = 'brp';
    const producer = createProducer({ connection: url, prefix: rpPrefix });
    producers.push(producer);

    // 1-3, 5: throughput and cost, interleaved.
    const tp = await runThroughput(observer, producer, {
      url,
      concurrency: cfg.concurrency,
      perRound: cfg.perRound,
      rounds: cfg.rounds,
      warmup: cfg.warmup,
      warmupRounds: cfg.warmupRounds,
      rpPrefix,
      rpEnv: RP_ENV,
      log,
    });
    children.push(tp.rpChild);
    const rate = tp.resumeProcessor.perSec;
    const half = Math.max(10, Math.round(rate / 2));

    // 4: latency at half of the measured rate.
    const latencyCount = Math.ceil(half * cfg.latencySeconds);
    log(`latency: setup ${latencyCount} suspended workers`);
    const latencyWorkers = await createSuspendedWorkers(
      producer,
      Array.from({ length: latencyCount }, (_, i) => `lat-${String(i).padStart(6, '0')}`),
    );
    log(`latency: ${half} resumes/s for ${cfg.latencySeconds} s (open loop, producer.resume)`);
    const latency = await runResumeLoad(observer, producer, rpPrefix, latencyWorkers, {
      ratePerSec: half,
      child: tp.rpChild,
    });
    log(
      `latency: p50 ${latency.latencyMs.p50} p95 ${latency.latencyMs.p95} p99 ${latency.latencyMs.p99} ms ` +
        `(${latency.sent} sent, ${latency.missing} missing; send lag p99 ${latency.sendLagMs.p99} max ${latency.sendLagMs.max} ms)`,
    );
    // The same load on two references: what this machine allows a two-hop chain (take a job, add
    // a job), and the hand-rolled resume.
    const references = await runLatencyReferences(observer, {
      url,
      concurrency: cfg.concurrency,
      ratePerSec: half,
      count: latencyCount,
      warmup: cfg.warmup,
      hand: tp.handRolledChild,
      log,
    });

    // 6: timeout lateness at three loads, all relative to the capacity C measured in phase 3 (absolute
    // rates differ 3× between machines): timeouts alone at C/5 ("idle"); resumes at C/2 plus timeouts at
    // 0.3 C (0.8 C in all); and a flood of resumes at 1.5 C while timeouts fall due at C/10.
    const windowMs = cfg.timeoutWindowSeconds * 1000;
    const timeoutsAt = (share: number) =>
      Math.max(20, Math.min(cfg.timeouts, Math.round((share * rate * windowMs) / 1000)));
    const idleCount = timeoutsAt(0.2);
    const idle = await runLateness(observer, producer, {
      prefix: rpPrefix,
      count: idleCount,
      windowMs,
      setupPerSec: tp.setup.rpWorkersPerSec,
      idTag: 'tmi',
      child: tp.rpChild,
      log,
    });
    log(
      `lateness idle (${idleCount} timeouts): p50 ${idle.firedLateMs.p50} p99 ${idle.firedLateMs.p99} max ${idle.firedLateMs.max} ms`,
    );
    const loadedCount = timeoutsAt(0.3);
    const loadedResumeRate = Math.max(10, Math.round(0.8 * rate - (loadedCount * 1000) / windowMs));
    const loaded = await runLateness(observer, producer, {
      prefix: rpPrefix,
      count: loadedCount,
      windowMs,
      setupPerSec: tp.setup.rpWorkersPerSec,
      idTag: 'tml',
      load: {
        workers: await suspendedFor(loadedResumeRate, 'lld'),
        ratePerSec: loadedResumeRate,
        via: 'producer',
      },
      child: tp.rpChild,
      log,
    });
    log(
      `lateness loaded (${loadedResumeRate} resumes/s + ${loadedCount} timeouts): p50 ${loaded.firedLateMs.p50} ` +
        `p99 ${loaded.firedLateMs.p99} max ${loaded.firedLateMs.max} ms; resume latency p99 ${loaded.load?.latencyMs.p99} ms`,
    );
    const floodCount = timeoutsAt(0.1);
    const floodRate = Math.round(1.5 * rate);
    const flood = await runLateness(observer, producer, {
      prefix: rpPrefix,
      count: floodCount,
      windowMs,
      setupPerSec: tp.setup.rpWorkersPerSec,
      idTag: 'tmf',
      load: { workers: await suspendedFor(floodRate, 'fld'), ratePerSec: floodRate, via: 'bulk' },
      child: tp.rpChild,
      log,
    });
    log(
      `lateness under a flood (${floodRate} resumes/s offered + ${floodCount} timeouts): p50 ${flood.firedLateMs.p50} ` +
        `p99 ${flood.firedLateMs.p99} max ${flood.firedLateMs.max} ms`,
    );
    await tp.rpChild.stop();
    // The scale phase starts from an empty Redis, so its memory and speed owe nothing to the
    // ~1 GB the earlier phases left behind.
    await observer.flushall();

    // 7-8: memory and scaling, one prefix and one consumer per N, measured interleaved.
    const scale = await runScale(observer, {
      url,
      prefix: 'bsc',
      points: cfg.scalePoints,
      perRep: cfg.scalePerRep,
      reps: cfg.scaleReps,
      warmup: cfg.warmup,
      concurrency: cfg.concurrency,
      rpEnv: RP_ENV,
      log,
    });

    // Where the consumer's time goes.
    const profile = cfg.profile
      ? await runProfile(observer, createTracked(producers, url, 'bpf'), {
          url,
          prefix: 'bpf',
          concurrency: cfg.concurrency,
          count: cfg.profileCount,
          warmup: cfg.warmup,
          dir: RESULTS_DIR,
          rpEnv: RP_ENV,
          log,
        })
      : null;

    const first = scale.points[0];
    const last = scale.points[scale.points.length - 1];
    const largest = last ?? null;
    const pick = (p: Percentiles) => p;
    const partial: Omit<BenchResults, 'targets'> = {
      generatedAt: new Date().toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      durationSec: (Date.now() - started) / 1000,
      machine: machineInfo(),
      config: {
        quick: cfg.quick,
        concurrency: cfg.concurrency,
        perRound: cfg.perRound,
        rounds: cfg.rounds,
        warmup: cfg.warmup,
        warmupRounds: cfg.warmupRounds,
        latencySeconds: cfg.latencySeconds,
        timeouts: cfg.timeouts,
        timeoutWindowSeconds: cfg.timeoutWindowSeconds,
        scalePoints: cfg.scalePoints,
        scalePerRep: cfg.scalePerRep,
        scaleReps: cfg.scaleReps,
        profile: cfg.profile,
        profileCount: cfg.profileCount,
        aof: cfg.aof,
        hz: serverHz,
      },
      plainBullmqJobsPerSec: tp.plain.perSec,
      handRolledResumesPerSec: tp.handRolled.perSec,
      resumesPerSec: tp.resumeProcessor.perSec,
      ratios: {
        // Median over rounds of the same-round ratio: a neighbour that steals the CPU during one
        // system's slot moves one round's ratio, not the result.
        resumeOverPlain: median(tp.ratios.perRoundRpOverPlain),
        resumeOverHandRolled: median(tp.ratios.perRoundRpOverHandRolled),
        aggregateResumeOverPlain: tp.ratios.rpOverPlain,
        aggregateResumeOverHandRolled: tp.ratios.rpOverHandRolled,
        perRoundResumeOverPlain: tp.ratios.perRoundRpOverPlain,
        perRoundResumeOverHandRolled: tp.ratios.perRoundRpOverHandRolled,
      },
      latencyMs: pick(latency.latencyMs),
      latencyRun: {
        targetRatePerSec: half,
        offeredPerSec: latency.offeredPerSec,
        sent: latency.sent,
        errors: latency.errors,
        missing: latency.missing,
        cpu: latency.cpu,
        consumerEventLoopDelayMs: latency.consumerEventLoopDelayMs,
        sendLagMs: latency.sendLagMs,
        timeline: latency.timeline,
        forwarder: references.forwarder,
        handRolled: references.handRolled,
      },
      timeoutLatenessMs: { idle: lateness(idle), loaded: lateness(loaded), flood: lateness(flood) },
      loadedRun: {
        resumeRatePerSec: loadedResumeRate,
        timeoutRatePerSec: (loadedCount * 1000) / windowMs,
        offeredOverCapacity: (loadedResumeRate + (loadedCount * 1000) / windowMs) / rate,
        resumeLatencyMs: loaded.load?.latencyMs ?? pick(latency.latencyMs),
        timeline: loaded.load?.timeline ?? [],
      },
      floodRun: {
        resumeRatePerSec: floodRate,
        offeredResumesPerSec: flood.flood?.offeredPerSec ?? Number.NaN,
        timeoutRatePerSec: (floodCount * 1000) / windowMs,
        offeredOverCapacity: (flood.flood?.offeredPerSec ?? floodRate) / rate,
        idleTimeoutRatePerSec: (idleCount * 1000) / windowMs,
      },
      bytesPerSuspendedWorker: largest?.bytesPerWorker ?? Number.NaN,
      bytesPerSuspendedWorkerWithTranscript: largest?.bytesPerWorkerWithTranscript ?? Number.NaN,
      transcriptBytes: scale.transcriptBytes,
      memoryBreakdown: scale.memoryBreakdown,
      roundTripsPerResume: tp.resumeProcessor.roundTripsPerJob,
      commandsPerResume: tp.resumeProcessor.commandsPerJob,
      cost: { plain: tp.plain, handRolled: tp.handRolled, resumeProcessor: tp.resumeProcessor },
      scaling: scale.points,
      scalingThroughput100kOver1k:
        first && last && first !== last ? last.medianRepResumesPerSec / first.medianRepResumesPerSec : null,
      setupWorkersPerSec: tp.setup.rpWorkersPerSec,
      profile: profile
        ? {
            busyMs: profile.busyMs,
            idleMs: profile.idleMs,
            byOrigin: profile.byOrigin,
            topFunctions: profile.topFunctions,
            activities: profile.activities,
            resumes: profile.resumes,
            resumesPerSec: profile.resumesPerSec,
          }
        : null,
    };
    const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
    mkdirSync(dirname(cfg.out), { recursive: true });
    writeFileSync(cfg.out, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(CHART, chartFor(results));
    if (cfg.writeDocs) writeDocs(DOCS, renderMarkdown(results, relative(dirname(DOCS), CHART)));
    log(`wrote ${cfg.out}, ${CHART}${cfg.writeDocs ? `, ${DOCS}` : ''}`);
    console.log(`\n${consoleTable(results)}`);
  } finally {
    for (const c of children) c.kill();
    await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
    await observer.quit().catch(() => observer.disconnect());
    await server?.stop();
  }
}

/** `--list`: list-page latency alone (bench/results/list.json; docs/benchmarks.md quotes it). */
async function listOnly(cfg: ReturnType<typeof parseBenchArgs>): Promise<void> {
  const points = await runListBench({ sizes: cfg.listSizes, calls: cfg.quick ? 50 : 200, log });
  const out = cfg.out === 'bench/results/latest.json' ? join(RESULTS_DIR, 'list.json') : cfg.out;
  const meta = {
    generatedAt: new Date().toISOString(),
    machine: machineInfo(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    durationSec: (Date.now() - started) / 1000,
  };
  writeFileSync(out, `${JSON.stringify({ ...meta, points }, null, 2)}\n`);
  log(`wrote ${out}`);
  console.log('');
  for (const p of points)
    console.log(
      `N=${String(p.suspended).padEnd(8)} ${p.query.padEnd(44)} p50 ${p.p50Ms} ms  p99 ${p.p99Ms} ms  max ${p.maxMs} ms  (${p.itemsPerPage} items)`,
    );
}

/** `--cluster`: the cluster comparison alone (bench/results/cluster.json, docs/scaling.md). */
async function clusterOnly(cfg: ReturnType<typeof parseBenchArgs>): Promise<void> {
  const result = await runClusterBench({
    partitions: cfg.clusterPartitions,
    concurrency: cfg.concurrency,
    perRound: cfg.quick ? 500 : 3000,
    rounds: cfg.quick ? 2 : 3,
    warmup: cfg.quick ? 300 : 2000,
    rpEnv: RP_ENV,
    log,
  });
  const meta = {
    generatedAt: new Date().toISOString(),
    machine: machineInfo(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    durationSec: (Date.now() - started) / 1000,
    concurrency: cfg.concurrency,
  };
  const out = cfg.out === 'bench/results/latest.json' ? join(RESULTS_DIR, 'cluster.json') : cfg.out;
  writeFileSync(out, `${JSON.stringify({ ...meta, ...result }, null, 2)}\n`);
  if (cfg.writeDocs) writeDocs(SCALING_DOCS, renderClusterMarkdown(result, meta));
  log(`wrote ${out}${cfg.writeDocs ? `, ${SCALING_DOCS}` : ''}`);
  console.log(`\n${clusterConsoleTable(result)}`);
}

function createTracked(list: ReturnType<typeof createProducer>[], url: string, prefix: string) {
  const p = createProducer({ connection: url, prefix });
  list.push(p);
  return p;
}

function chartFor(r: BenchResults): string {
  const idle = r.timeoutLatenessMs.idle;
  const loaded = r.timeoutLatenessMs.loaded;
  const flood = r.timeoutLatenessMs.flood;
  return renderChart({
    title: 'resume-processor benchmark',
    subtitle:
      `${r.generatedAt.slice(0, 10)} · ${r.machine.cpus} × ${r.machine.cpuModel} · Node ${r.machine.node} · ` +
      `redis ${r.machine.redisServer} · C = ${r.config.concurrency} · one consumer process`,
    throughput: [
      { label: 'plain BullMQ (no-op)', value: r.plainBullmqJobsPerSec, group: 'baseline' },
      { label: 'hand-rolled resume', value: r.handRolledResumesPerSec, group: 'baseline' },
      {
        label: 'resume-processor',
        value: r.resumesPerSec,
        group: 'rp',
        note: `(${r.ratios.resumeOverPlain.toFixed(2)}× plain, ${r.ratios.resumeOverHandRolled.toFixed(2)}× hand-rolled)`,
      },
      ...r.scaling.map((p) => ({
        label: `rp, ${p.suspendedWorkers.toLocaleString('en-US')} suspended`,
        value: p.medianRepResumesPerSec,
        group: 'scale',
      })),
    ],
    latency: [
      { label: 'resume→respawn p50', value: r.latencyMs.p50, group: 'latency' },
      { label: 'resume→respawn p95', value: r.latencyMs.p95, group: 'latency' },
      { label: 'resume→respawn p99', value: r.latencyMs.p99, target: 15, group: 'latency' },
      { label: 'timeout late p50, idle', value: idle.p50, group: 'idle' },
      { label: 'timeout late p99, idle', value: idle.p99, target: 50, group: 'idle' },
      { label: 'timeout late max, idle', value: idle.max, group: 'idle' },
      { label: 'timeout late p50, loaded', value: loaded.p50, group: 'loaded' },
      { label: 'timeout late p99, loaded', value: loaded.p99, target: 100, group: 'loaded' },
      { label: 'timeout late max, loaded', value: loaded.max, group: 'loaded' },
      { label: 'timeout late p50, flood', value: flood.p50, group: 'flood' },
      { label: 'timeout late p99, flood', value: flood.p99, target: 250, group: 'flood' },
      { label: 'timeout late max, flood', value: flood.max, group: 'flood' },
    ],
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
