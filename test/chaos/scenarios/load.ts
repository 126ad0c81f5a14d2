// The shared shape of the load scenarios (races, kill -9, Redis restart): start an environment,
// register and suspend, drive the timeline while a fault runs, wait for quiescence, check the ledger.

import { Driver } from '../driver.js';
import { type ChaosEnv, type ConsumerSettings, ChaosEnv as Env } from '../env.js';
import { buildLedger, type Ledger } from '../ledger.js';
import { quiesce } from '../quiesce.js';
import { Rng } from '../rng.js';
import { type Check, check, type Figure, type RunContext, type ScenarioResult } from '../types.js';
import { DEFAULT_RATES, makePlans, type WorkloadParams } from '../workload.js';

export interface LoadSize {
  suspensions: number;
  driveMs: number;
  consumers: number;
  settings: ConsumerSettings;
  quiesceTimeoutMs: number;
}

export interface FaultOutcome {
  figures: Record<string, Figure>;
  /** Checks that need the ledger (e.g. recovery times read from job finish times). */
  checks?: (ledger: Ledger) => Check[];
  moreFigures?: (ledger: Ledger) => Record<string, Figure>;
  /** Jobs the fault made fail on purpose (quarantined poison jobs): the ledger's failed-set check skips them. */
  expectedFailedJobs?: readonly string[];
}

export interface Fault {
  /** A consumer slot's own environment (a skewed clock, a Redis URL through a proxy). */
  slotEnv?(slot: number): Record<string, string> | undefined;
  /** Runs while the driver drives; must return once `driving()` turns false. */
  run(env: ChaosEnv, driving: () => boolean, rng: Rng, driver: Driver): Promise<FaultOutcome>;
}

export const lateAfterMs = (s: ConsumerSettings) => Math.max(2000, s.stalledIntervalMs * 2);

export async function runLoadScenario(
  name: string,
  title: string,
  ctx: RunContext,
  size: LoadSize,
  fault?: Fault,
  rates: Partial<typeof DEFAULT_RATES> = {},
): Promise<ScenarioResult> {
  const started = Date.now();
  const rng = new Rng(ctx.seed);
  const params: WorkloadParams = {
    ...DEFAULT_RATES,
    ...rates,
    suspensions: size.suspensions,
    driveMs: size.driveMs,
    lateAfterMs: lateAfterMs(size.settings),
  };
  const plans = makePlans(name, params, rng);
  let driver: Driver | undefined;
  const env = await Env.create({
    name,
    target: ctx.target,
    consumers: size.settings,
    onRespawn: (p) => driver?.onRespawn(p) ?? Promise.resolve(),
  });
  driver = new Driver(env, plans);
  try {
    await env.fleet.start(size.consumers, (slot) => fault?.slotEnv?.(slot));
    env.sink.start();
    ctx.log(`${name}: ${size.consumers} consumers up; registering and suspending ${plans.length} workers`);
    await driver.setup();
    const statsBefore = await commandStats(env);
    ctx.log(`${name}: setup done in ${Date.now() - started} ms; driving for ${size.driveMs} ms`);
    driver.start();
    let driving = true;
    const faultRun = fault?.run(env, () => driving, rng, driver);
    await driver.drained();
    driving = false;
    const faultOutcome = await faultRun;
    const statsAfter = await commandStats(env);
    ctx.log(`${name}: drive done; waiting for quiescence`);
    const q = await quiesce(env, {
      workerIds: plans.map((p) => p.id),
      idle: () => driver?.idle ?? true,
      timeoutMs: size.quiesceTimeoutMs,
    });
    ctx.log(`${name}: quiescent=${q.ok} after ${q.waitedMs} ms; reading the ledger`);
    const ledger = await buildLedger({
      env,
      plans,
      requests: driver.requests,
      driveStart: driver.driveStart,
      expectedFailed: new Set(faultOutcome?.expectedFailedJobs ?? []),
    });
    const effective = Number(ledger.figures.effectiveResumes);
    const checks: Check[] = [
      check('quiescent', q.ok, `reached quiescence in ${q.waitedMs} ms (last: ${q.last})`),
      ...ledger.checks,
      ...(faultOutcome?.checks?.(ledger) ?? []),
      check(
        'driver-actions-ok',
        driver.failures.length === 0,
        `every planned producer call got a definite answer (${driver.failures.length} did not)`,
        driver.failures,
      ),
      consumersAlive(env),
    ];
    const figures: Record<string, Figure> = {
      ...ledger.figures,
      ...(faultOutcome?.figures ?? {}),
      ...(faultOutcome?.moreFigures?.(ledger) ?? {}),
      producerErrors: producerErrorFigures(driver),
      resuspendsWithLostReply: driver.lostReplies.length,
      redisCommandsDuringDrive: commandDelta(statsBefore, statsAfter, effective),
      quiesceMs: q.waitedMs,
    };
    return result(
      name,
      title,
      started,
      {
        ...size.settings,
        ...paramsFigure(params),
        consumers: size.consumers,
        target: ctx.target,
        partitions: env.keys.partitions,
      },
      figures,
      checks,
    );
  } finally {
    await env.close();
  }
}

export function consumersAlive(env: ChaosEnv): Check {
  const crashed = env.fleet.crashed();
  return check(
    'consumers-alive',
    crashed.length === 0,
    `no consumer process exited on its own (${crashed.length} did)`,
    crashed.map((p) => `${p.name} pid ${p.pid}`),
  );
}

export function producerErrorFigures(driver: Driver): Figure {
  const byName: Record<string, number> = {};
  for (const e of driver.errors)
    byName[`${e.name}${e.code ? ` ${e.code}` : ''}`] =
      (byName[`${e.name}${e.code ? ` ${e.code}` : ''}`] ?? 0) + 1;
  return {
    count: driver.errors.length,
    maxTimeToFailMs: driver.errors.length ? Math.max(...driver.errors.map((e) => e.elapsedMs)) : null,
    byError: byName,
  };
}

/** INFO commandstats as command -> calls, one map per server that holds data (every master of a cluster). */
export async function commandStats(env: ChaosEnv): Promise<Map<string, number>[]> {
  return Promise.all(
    env.dataNodes().map(async (node) => {
      const out = new Map<string, number>();
      for (const m of (await node.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
        out.set(m[1] ?? '', Number(m[2]));
      return out;
    }),
  );
}

const sumMaps = (maps: readonly Map<string, number>[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, n] of m) out.set(k, (out.get(k) ?? 0) + n);
  return out;
};

/** Commands Redis ran during the drive (all clients, background work included), per effective resume. */
function commandDelta(
  beforeByServer: Map<string, number>[],
  afterByServer: Map<string, number>[],
  resumes: number,
): Figure {
  const before = sumMaps(beforeByServer);
  const after = sumMaps(afterByServer);
  const delta = [...after]
    .map(([cmd, n]) => [cmd, n - (before.get(cmd) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = delta.reduce((n, [, d]) => n + d, 0);
  // A Redis restart resets the counters: then the figure means nothing.
  if (delta.length === 0 || [...before].some(([cmd, n]) => (after.get(cmd) ?? 0) < n)) return null;
  const totalOf = (m: Map<string, number> | undefined) => [...(m ?? [])].reduce((n, [, c]) => n + c, 0);
  return {
    total,
    // On a cluster: how the drive's commands spread over the masters (each serves some partitions).
    perServer: afterByServer.map((m, i) => totalOf(m) - totalOf(beforeByServer[i])),
    perEffectiveResume: resumes > 0 ? Math.round(total / resumes) : null,
    top: Object.fromEntries(delta.slice(0, 8)),
  };
}

function paramsFigure(p: WorkloadParams): Record<string, Figure> {
  return {
    suspensions: p.suspensions,
    driveMs: p.driveMs,
    duplicateRate: p.duplicateRate,
    raceTimeoutRate: p.raceTimeoutRate,
    raceJitterMs: p.raceJitterMs,
    triggerRate: p.triggerRate,
    closeRate: p.closeRate,
    suspendRaceRate: p.suspendRaceRate,
    resuspendRate: p.resuspendRate,
  };
}

export function result(
  name: string,
  title: string,
  started: number,
  params: Record<string, Figure>,
  figures: Record<string, Figure>,
  checks: Check[],
): ScenarioResult {
  return {
    name,
    title,
    ok: checks.every((c) => c.ok || c.severity === 'warn'),
    durationMs: Date.now() - started,
    params,
    figures,
    checks,
  };
}
