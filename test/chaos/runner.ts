// Runs scenarios one after another; a scenario that throws is reported as an error, not a crash.

import { SCENARIOS } from './scenarios/index.js';
import type { RunContext, ScenarioResult, Size } from './types.js';

export interface RunOptions {
  size: Size;
  seed: number;
  only?: string[] | undefined;
  stalledIntervalMs?: number | undefined;
  log(message: string): void;
}

export async function runScenarios(opts: RunOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    if (opts.only && !opts.only.includes(scenario.name)) continue;
    results.push(await runOne(scenario.name, opts));
  }
  return results;
}

export async function runOne(name: string, opts: RunOptions): Promise<ScenarioResult> {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario)
    throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const ctx: RunContext = {
    size: opts.size,
    seed: opts.seed,
    stalledIntervalMs: opts.stalledIntervalMs,
    log: opts.log,
  };
  const started = Date.now();
  opts.log(`scenario ${scenario.name} (${opts.size}, seed ${opts.seed}): ${scenario.title}`);
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
