// Scenario 5: a consumer SIGKILLs itself at a named step (RP_FAULTS=crash:<step>) while it is the
// only consumer; then a healthy consumer starts. The work must be finished exactly once by it (a
// redelivery) or by the reconciler. Each case runs in its own environment; cases run a few at a time.

import { FAULT_POINTS } from '../../../src/lib/faults.js';
import { Driver } from '../driver.js';
import { ChaosEnv, type ConsumerSettings } from '../env.js';
import { buildLedger } from '../ledger.js';
import { until } from '../processes.js';
import { quiesce } from '../quiesce.js';
import {
  ANY_TARGET,
  type ChaosTarget,
  type Check,
  check,
  type Figure,
  type Scenario,
  type ScenarioResult,
  type Size,
} from '../types.js';
import type { CyclePlan, WorkerPlan } from '../workload.js';
import { consumersAlive, result } from './load.js';

const SETTINGS: ConsumerSettings = {
  concurrency: 4,
  lockTtlMs: 1000,
  stalledIntervalMs: 1000,
  reconcileIntervalMs: 300,
};

export interface CrashCase {
  name: string;
  point: string;
  /** resume: operator resumes; timeout-resume / timeout-fail: the timeout fires with that action. */
  path: 'resume' | 'timeout-resume' | 'timeout-fail';
  /** Close each worker after the crash, before anyone recovers the work. */
  closeBeforeRecovery?: boolean;
}

// Every step a consumer can be killed at lies on the resume path.
const RESUME_POINTS: readonly string[] = FAULT_POINTS;

export function crashCases(size: Size): CrashCase[] {
  const cases: CrashCase[] = RESUME_POINTS.map((point) => ({
    name: `resume/${point}`,
    point,
    path: 'resume',
  }));
  const timeoutPoints = size === 'full' ? ['after-lock', 'after-commit', 'before-ack'] : ['after-commit'];
  for (const point of timeoutPoints)
    cases.push({ name: `timeout-resume/${point}`, point, path: 'timeout-resume' });
  for (const point of size === 'full' ? ['after-lock', 'after-commit', 'before-ack'] : ['after-commit'])
    cases.push({ name: `timeout-fail/${point}`, point, path: 'timeout-fail' });
  cases.push({
    name: 'resume/after-commit+close',
    point: 'after-commit',
    path: 'resume',
    closeBeforeRecovery: true,
  });
  return cases;
}

async function runCase(
  c: CrashCase,
  target: ChaosTarget,
): Promise<{ checks: Check[]; figures: Record<string, Figure> }> {
  const env = await ChaosEnv.create({ name: `crash-${c.path}`, target, consumers: SETTINGS });
  try {
    const victim = await env.fleet.spawn(0, { RP_FAULTS: `crash:${c.point}`, CONSUMER_CONCURRENCY: '2' });
    victim.expectedExit = true; // it kills itself on purpose
    env.sink.start();
    const id = (i: number) => `crash-${c.point}-w${i}`;
    const plans: WorkerPlan[] = Array.from({ length: 3 }, (_, i): WorkerPlan => {
      const cycle: CyclePlan =
        c.path === 'resume'
          ? {
              cycle: 1,
              // Closed right after the crash: a job the victim never took loses to the close.
              kind: c.closeBeforeRecovery ? 'close' : 'resume',
              conditions: { timeout: { duration_ms: 600_000 } },
              resumeAtMs: 0,
              jitterMs: 0,
              input: `go ${id(i)}`,
              duplicates: [],
              keyed: false,
            }
          : {
              cycle: 1,
              kind: 'timeout',
              conditions: {
                timeout: {
                  duration_ms: 300,
                  on_timeout: c.path === 'timeout-fail' ? 'fail' : 'resume_with_summary',
                },
              },
              resumeAtMs: null,
              jitterMs: 0,
              input: '',
              duplicates: [],
              keyed: false,
            };
      return { id: id(i), cycles: [cycle] };
    });
    const driver = new Driver(env, plans, 4);
    await driver.setup();
    driver.start();
    const exit = await Promise.race([victim.exited, until(() => false, 20_000).then(() => null)]);
    await driver.drained();
    if (c.closeBeforeRecovery) for (const p of plans) await env.producer.close(p.id);
    const crashedAt = Date.now();
    await env.fleet.spawn(1);
    const q = await quiesce(env, {
      workerIds: plans.map((p) => p.id),
      idle: () => driver.idle,
      timeoutMs: 30_000,
    });
    const ledger = await buildLedger({
      env,
      plans,
      requests: driver.requests,
      driveStart: driver.driveStart,
    });
    const checks: Check[] = [
      check(
        'victim-died-at-point',
        exit?.signal === 'SIGKILL',
        `the victim SIGKILLed itself at ${c.point} (${exit ? `exit ${exit.code} ${exit.signal}` : 'still alive after 20 s'})`,
      ),
      check('quiescent', q.ok, `reached quiescence in ${q.waitedMs} ms (last: ${q.last})`),
      ...ledger.checks,
      consumersAlive(env),
    ];
    return {
      checks: checks.map((k) => ({ ...k, id: `${c.name}: ${k.id}` })),
      figures: {
        recoveredInMs: q.ok ? q.waitedMs : null,
        effectiveResumes: ledger.figures.effectiveResumes ?? null,
        respawnJobs: ledger.figures.respawnJobs ?? null,
        timeoutsFired: (ledger.figures.timeouts as Record<string, Figure> | undefined)?.fired ?? null,
        redeliveries: ledger.figures.redeliveries ?? null,
        reconcilerOutboxesFinished: ledger.figures.reconcilerOutboxesFinished ?? null,
        sinceCrashMs: Date.now() - crashedAt,
      },
    };
  } finally {
    await env.close();
  }
}

export const crashPoints: Scenario = {
  name: 'crash-points',
  title: 'a consumer killed at each named step; the work is finished exactly once',
  targets: ANY_TARGET,
  async run(ctx): Promise<ScenarioResult> {
    const started = Date.now();
    const cases = crashCases(ctx.size);
    const checks: Check[] = [];
    const perCase: Record<string, Figure> = {};
    const width = 3;
    for (let i = 0; i < cases.length; i += width) {
      const slice = cases.slice(i, i + width);
      ctx.log(`crash-points: ${slice.map((c) => c.name).join(', ')}`);
      // allSettled: a case that throws must not leave its neighbours' environments running.
      const outs = await Promise.allSettled(slice.map((c) => runCase(c, ctx.target)));
      for (const [j, o] of outs.entries()) {
        if (o.status === 'rejected') throw o.reason;
        checks.push(...o.value.checks);
        perCase[slice[j]?.name ?? `case ${i + j}`] = o.value.figures;
      }
    }
    const sumOf = (key: string) =>
      Object.values(perCase).reduce<number>((n, f) => n + Number((f as Record<string, Figure>)[key] ?? 0), 0);
    return result(
      'crash-points',
      crashPoints.title,
      started,
      { cases: cases.map((c) => c.name), ...SETTINGS },
      {
        crashes: cases.length,
        suspensions: cases.length * 3,
        effectiveResumes: sumOf('effectiveResumes'),
        respawnJobs: sumOf('respawnJobs'),
        redeliveries: sumOf('redeliveries'),
        reconcilerOutboxesFinished: sumOf('reconcilerOutboxesFinished'),
        perCase,
      },
      checks,
    );
  },
};
