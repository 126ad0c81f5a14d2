// `npm run soak`: ten minutes at half capacity with a consumer SIGKILLed every 30 s and a timeout
// flow (docs/reliability.md §11). First a burst of one request per worker measures what this
// machine's consumers drain (the capacity); then the pump sends half of that for the run. The
// consumer in slot 0 is never killed: its resident memory is the leak probe; slots 1.. take the
// kills in turn. Redis memory, the consumer's RSS and Redis's client count are sampled; growth is
// judged from the end of the warm-up. At the end: quiescence, then one respawn per ended suspension.
//   npm run soak -- [--minutes 10] [--warmup-minutes 2] [--kill-every-s 30] [--workers 600]
//                   [--consumers 3] [--keep-completed 1000] [--rate N] [--input] [--seed N] [--out report.json]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { redisServerAvailable } from '../../src/lib/redis-server.js';
import { ChaosEnv } from '../chaos/env.js';
import { quiesce } from '../chaos/quiesce.js';
import { Rng, sleep } from '../chaos/rng.js';
import { type Check, check } from '../chaos/types.js';
import { SOAK_RATES, SoakDriver } from './fleet-driver.js';
import { growth, historyBytes, processRssBytes, redisFigures, type Sample } from './samples.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'warmup-minutes': { type: 'string', default: '2' },
    'kill-every-s': { type: 'string', default: '30' },
    workers: { type: 'string', default: '600' },
    consumers: { type: 'string', default: '3' },
    'keep-completed': { type: 'string', default: '1000' },
    rate: { type: 'string' },
    input: { type: 'boolean', default: false },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
});
const num = (name: keyof typeof values) => Number(values[name]);
const minutes = num('minutes');
const warmupMs = num('warmup-minutes') * 60_000;
const killEveryMs = num('kill-every-s') * 1000;
const consumers = num('consumers');
const keepCompleted = num('keep-completed');
const seed = values.seed ? Number(values.seed) : Date.now() % 1_000_000;
if (!redisServerAvailable()) {
  console.error('redis-server is not on PATH (apt-get install redis-server)');
  process.exit(2);
}
if (consumers < 2 || warmupMs >= minutes * 60_000) {
  console.error('need --consumers >= 2 (slot 0 is never killed) and a warm-up shorter than the run');
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const log = (m: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

const rng = new Rng(seed);
const ids = Array.from({ length: num('workers') }, (_, i) => `soak-${i}`);
let driver: SoakDriver | undefined;
const env = await ChaosEnv.create({
  name: 'soak',
  consumers: { concurrency: 16, lockTtlMs: 2500, stalledIntervalMs: 2500, reconcileIntervalMs: 1000 },
  onRespawn: (p) => driver?.onRespawn(p) ?? Promise.resolve(),
  consumerEnv: { KEEP_COMPLETED_JOBS: String(keepCompleted), LOG_LEVEL: 'warn' },
  keepRespawns: keepCompleted,
});
driver = new SoakDriver(env, ids, rng, { ...SOAK_RATES, input: values.input ? { soak: true } : undefined });
const d = driver;
const started = Date.now();
try {
  await env.fleet.start(consumers);
  env.sink.start();
  await d.register();
  await d.suspendAll();
  const burstMs = await d.burst();
  const capacity = Math.round((ids.length / burstMs) * 1000);
  const rate = values.rate ? Number(values.rate) : Math.round(capacity / 2);
  log(
    `capacity ${capacity} resumes/s (${ids.length} in ${burstMs} ms); pumping ${rate}/s for ${minutes} min`,
  );

  // The steady phase: cycle, pump, kill, sample.
  d.startCycling();
  const steadyStart = Date.now();
  const steadyEnd = steadyStart + minutes * 60_000;
  const samples: Sample[] = [];
  const preKillClients: { t: number; clients: number }[] = [];
  const kills: { t: number; slot: number; readyAfterMs: number }[] = [];
  const restartFailures: string[] = [];
  const sample = async () => {
    const probe = env.fleet.slots[0];
    samples.push({
      t: Date.now() - steadyStart,
      ...(await redisFigures(env.admin)),
      historyBytes: await historyBytes(env.store, ids),
      probeRssBytes: probe?.alive ? processRssBytes(probe.pid) : null,
      respawns: d.respawnCount,
      requests: d.requests,
    });
  };
  const pumping = d.pump(rate, () => Date.now() >= steadyEnd);
  // A kill every killEveryMs on the clock (a restart that takes long does not push the next one
  // back), of slots 1.. in turn; a slot whose replacement is not ready yet is passed over.
  const killing = (async () => {
    const restarts: Promise<unknown>[] = [];
    let slot = 1;
    for (let k = 1; steadyStart + k * killEveryMs < steadyEnd; k++) {
      await sleep(Math.max(0, steadyStart + k * killEveryMs - Date.now()));
      preKillClients.push({ t: Date.now() - steadyStart, clients: (await redisFigures(env.admin)).clients });
      const victim = Array.from(
        { length: consumers - 1 },
        (_, i) => 1 + ((slot - 1 + i) % (consumers - 1)),
      ).find((s) => env.fleet.slots[s]?.alive && env.fleet.slots[s]?.readyAt !== undefined);
      if (victim === undefined) continue;
      slot = victim + 1 < consumers ? victim + 1 : 1;
      restarts.push(
        env.fleet.killAndRestart(victim).then(
          (r) => {
            kills.push({ t: r.killedAt - steadyStart, slot: victim, readyAfterMs: r.readyAfterMs });
          },
          (err: unknown) => restartFailures.push((err as Error).message.slice(0, 300)),
        ),
      );
    }
    await Promise.all(restarts);
  })();
  while (Date.now() < steadyEnd) {
    await sample();
    const last = samples[samples.length - 1] as Sample;
    if (samples.length % 6 === 1)
      log(
        `t=${Math.round(last.t / 1000)} s respawns ${last.respawns} redis ${mb(last.redisUsedBytes)} MB (history ${mb(last.historyBytes)} MB) rss(c0) ${mb(last.probeRssBytes)} MB clients ${last.clients}`,
      );
    await sleep(5000);
  }
  await pumping;
  await killing;
  d.cycling = false;
  await d.drained();
  log('steady phase over; waiting for quiescence');
  const q = await quiesce(env, { workerIds: ids, idle: () => d.idle, timeoutMs: 180_000 });

  // The ledger: one respawn per ended suspension.
  const records = await Promise.all(ids.map((id) => env.store.read(id)));
  let lost = 0;
  let doubled = 0;
  let suspendedAtEnd = 0;
  let timeoutLeftArmed = 0;
  const examples: string[] = [];
  ids.forEach((id, i) => {
    const r = records[i]?.record;
    const t = d.tally.get(id);
    if (!r || !t) return;
    const stillSuspended = r.status === 'suspended' ? 1 : 0;
    suspendedAtEnd += stillSuspended;
    if (stillSuspended && r.suspension?.deadline_ms != null) timeoutLeftArmed += 1;
    const expected = t.suspends - stillSuspended;
    if (t.respawns.size < expected) lost += expected - t.respawns.size;
    if (t.respawns.size > expected) doubled += t.respawns.size - expected;
    if (t.respawns.size !== expected && examples.length < 5)
      examples.push(`${id}: ${t.suspends} suspends, ${t.respawns.size} respawns, status ${r.status}`);
  });
  const failed = await Promise.all(
    env.partitions().flatMap((p) => [p.resume.getFailedCount(), p.timeout.getFailedCount()]),
  );
  const failedJobs = failed.reduce((a, b) => a + b, 0);
  const windowMs = 90_000;
  // Every applied resume input is appended to its worker's history (Harn's semantics: the history
  // is kept whole), so Redis grows by what the workload asks it to keep; the bar is on the rest.
  const redisGrowth = growth(samples, (s) => s.redisUsedBytes - s.historyBytes, warmupMs, windowMs);
  const rawRedisGrowth = growth(samples, (s) => s.redisUsedBytes, warmupMs, windowMs);
  const historyGrowth = growth(samples, (s) => s.historyBytes, warmupMs, windowMs);
  const rssGrowth = growth(samples, (s) => s.probeRssBytes, warmupMs, windowMs);
  const clientsMeasured = preKillClients.filter((c) => c.t >= warmupMs).map((c) => c.clients);
  const half = Math.floor(clientsMeasured.length / 2);
  const firstHalfMax = Math.max(...clientsMeasured.slice(0, half));
  const lastHalfMax = Math.max(...clientsMeasured.slice(half));
  const suspends = [...d.tally.values()].reduce((n, t) => n + t.suspends, 0);
  const checks: Check[] = [
    check('quiescent', q.ok, `reached quiescence in ${q.waitedMs} ms (last: ${q.last})`),
    check('no-lost', lost === 0, `every ended suspension respawned its worker (${lost} missing)`, examples),
    check('no-doubled', doubled === 0, `no suspension respawned twice (${doubled} extra)`, examples),
    check('timeouts-applied', timeoutLeftArmed === 0, `no armed timeout left behind (${timeoutLeftArmed})`),
    check('no-failed-jobs', failedJobs === 0, `no resume or timeout job failed (${failedJobs})`),
    check(
      'producer-answers',
      d.errors.length === 0,
      `every producer call answered (${d.errors.length} errors)`,
      d.errors,
    ),
    check(
      'restarts-ok',
      restartFailures.length === 0,
      `every killed consumer's replacement started (${restartFailures.length} did not)`,
      restartFailures,
    ),
    check(
      'consumers-alive',
      env.fleet.crashed().length === 0,
      `no consumer exited on its own (${env.fleet.crashed().length})`,
    ),
    check(
      'kills',
      kills.length >= Math.floor((minutes * 60_000) / killEveryMs) - 1,
      `${kills.length} consumers SIGKILLed and restarted`,
    ),
    check(
      'redis-memory-flat',
      (redisGrowth?.growthPct ?? 100) <= 5,
      `Redis used_memory less the workers' history, growth after the warm-up ${redisGrowth?.growthPct}% (bar 5%); with the history ${rawRedisGrowth?.growthPct}%`,
    ),
    check(
      'consumer-rss-flat',
      (rssGrowth?.growthPct ?? 100) <= 5,
      `RSS growth of the never-killed consumer after the warm-up ${rssGrowth?.growthPct}% (bar 5%)`,
    ),
    check(
      'connections-stable',
      clientsMeasured.length >= 2 && lastHalfMax <= firstHalfMax,
      `Redis clients before each kill: first half max ${firstHalfMax}, last half max ${lastHalfMax}`,
    ),
  ];
  const report = {
    ok: checks.every((c) => c.ok),
    seed,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    params: {
      minutes,
      warmupMs,
      killEveryMs,
      workers: ids.length,
      consumers,
      keepCompleted,
      rate,
      input: values.input,
    },
    figures: {
      capacityPerSecond: capacity,
      achievedPerSecond: Math.round((d.respawnCount / (steadyEnd - steadyStart)) * 1000),
      requests: d.requests,
      duplicates: d.duplicates,
      suspends,
      timeoutSuspends: d.timeoutSuspends,
      respawns: d.respawnCount,
      redeliveredRespawns: env.sink.redelivered(),
      suspendedAtEnd,
      starvedTicks: d.starved,
      kills: kills.length,
      killReadyAfterMs: kills.map((k) => k.readyAfterMs),
      redisUsedMemoryLessHistory: redisGrowth,
      redisUsedMemory: rawRedisGrowth,
      historyBytes: historyGrowth,
      probeConsumerRss: rssGrowth,
      clientsBeforeKills: clientsMeasured,
      quiesceMs: q.waitedMs,
      jobFailuresLogged: env.logs.count('job failed'),
    },
    checks,
    samples,
  };
  const json = JSON.stringify(report, null, 2);
  if (values.out) writeFileSync(values.out, `${json}\n`);
  const { samples: _omitted, ...summary } = report;
  console.log(JSON.stringify(summary, null, 2));
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.id}: ${c.detail}`);
  await env.close();
  process.exit(report.ok ? 0 : 1);
} catch (err) {
  console.error(err);
  await env.close().catch(() => {});
  process.exit(1);
}

function mb(bytes: number | null): string {
  return bytes === null ? '?' : (bytes / 2 ** 20).toFixed(1);
}
