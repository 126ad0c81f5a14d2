// Runs scenarios one after another; a scenario that throws is reported as an error, not a crash.

import { SCENARIOS } from './scenarios/index.js';
import type { ChaosTarget, RunContext, Scenario, ScenarioResult, Size } from './types.js';

export interface RunOptions {
  size: Size;
  seed: number;
  only?: string[] | undefined;
  stalledIntervalMs?: number | undefined;
  /** One redis-server (default) or a private 3-master Redis Cluster per scenario environment. */
  target?: ChaosTarget | undefined;
  log(message: string): void;
}

/**
 * The scenarios `only` names on `target` (all that can run there when `only` is not given). Throws
 * for an unknown name, and for a named scenario that cannot run on the target, saying why.
 */
export function selectScenarios(target: ChaosTarget, only?: readonly string[]): Scenario[] {
  if (!only) return SCENARIOS.filter((s) => s.targets.includes(target));
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0)
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  const chosen = SCENARIOS.filter((s) => only.includes(s.name));
  const unable = chosen.filter((s) => !s.targets.includes(target));
  if (unable.length > 0)
    throw new Error(
      `${unable.map((s) => `${s.name} cannot run on the ${target} target: ${s.serverOnly ?? `it runs on ${s.targets.join(', ')} only`}`).join('; ')}. ` +
        `On the ${target}: ${SCENARIOS.filter((s) => s.targets.includes(target))
          .map((s) => s.name)
          .join(', ')}`,
    );
  return chosen;
}

export async function runScenarios(opts: RunOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of selectScenarios(opts.target ?? 'server', opts.only))
    results.push(await runOne(scenario.name, opts));
  return results;
}

export async function runOne(name: string, opts: RunOptions): Promise<ScenarioResult> {
  const target = opts.target ?? 'server';
  const [scenario] = selectScenarios(target, [name]);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const ctx: RunContext = {
    size: opts.size,
    seed: opts.seed,
    stalledIntervalMs: opts.stalledIntervalMs,
    target,
    log: opts.log,
  };
  const started = Date.now();
  opts.log(`scenario ${scenario.name} (${opts.size}, ${target}, seed ${opts.seed}): ${scenario.title}`);
  try {
    const result = await scenario.run(ctx);
    opts.log(`scenario ${scenario.name}: ${result.ok ? 'passed' : 'FAILED'} in ${result.durationMs} ms`);
    return result;
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    opts.log(`scenario ${scenario.name}: ERROR ${message}`);
    return {
      name: scenario.name,
      title: scenario.title,
      ok: false,
      durationMs: Date.now() - started,
      params: {},
      figures: {},
      checks: [],
      error: message,
    };
  }
}
