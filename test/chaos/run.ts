// `npm run chaos`: runs the battery (full size by default), prints the JSON report and a table,
// and exits non-zero when any check fails.
//   npm run chaos -- [--size full|reduced] [--only races,kill9] [--seed N] [--out report.json]
//                    [--stall-ms N]  (consumers' STALLED_INTERVAL_MS in the load scenarios)
//                    [--cluster]     (each scenario on a private 3-master Redis Cluster; only the
//                                     scenarios that can run there: see each Scenario's `targets`)

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { redisServerAvailable } from '../../src/lib/redis-server.js';
import { type RunReport, table } from './report.js';
import { runScenarios, selectScenarios } from './runner.js';
import type { ChaosTarget, Size } from './types.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    only: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'stall-ms': { type: 'string' },
    cluster: { type: 'boolean', default: false },
  },
});

if (values.size !== 'full' && values.size !== 'reduced') {
  console.error(`--size must be full or reduced, got "${values.size}"`);
  process.exit(2);
}
if (!redisServerAvailable()) {
  console.error(
    'redis-server is not on PATH: the chaos battery starts its own servers (apt-get install redis-server)',
  );
  process.exit(2);
}
// Exit through process.exit so the exit hooks kill the redis-servers and consumers we started.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`[chaos] ${signal}: stopping`);
    process.exit(130);
  });

const size: Size = values.size;
const seed = values.seed ? Number(values.seed) : Date.now() % 1_000_000;
const only = values.only?.split(',').map((s) => s.trim());
const target: ChaosTarget = values.cluster ? 'cluster' : 'server';
try {
  selectScenarios(target, only);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const started = Date.now();
const commit = gitDescribe();
const stalledIntervalMs = values['stall-ms'] ? Number(values['stall-ms']) : undefined;
const scenarios = await runScenarios({
  size,
  seed,
  only,
  stalledIntervalMs,
  target,
  log: (m) => console.error(`[chaos] ${m}`),
});
const report: RunReport = {
  ok: scenarios.every((s) => s.ok && !s.error),
  size,
  seed,
  target,
  stalledIntervalMs: stalledIntervalMs ?? null,
  startedAt: new Date(started).toISOString(),
  durationMs: Date.now() - started,
  commit,
  host: {
    cpus: cpus().length,
    node: process.version,
    redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  },
  scenarios,
};
const json = JSON.stringify(report, null, 2);
if (values.out) writeFileSync(values.out, `${json}\n`);
console.log(json);
console.log(`\n${table(report)}`);
process.exit(report.ok ? 0 : 1);

function gitDescribe(): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim();
  return `${head.stdout.trim()}${dirty ? ' (src modified)' : ''}`;
}
