// The chaos battery at reduced size, one test per scenario, inside `npm test`. `npm run chaos`
// runs the same scenarios at full size. A failing check fails its test unless it is a known,
// documented engine bug (known-issues.ts), which is reported instead. A few scenarios also run on
// the cluster target (a private 3-master Redis Cluster, partitions over every master); `npm run
// chaos -- --cluster` runs all that can.

import { describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../../src/lib/redis-server.js';
import { knownIssues } from './known-issues.js';
import { runOne, selectScenarios } from './runner.js';
import { SCENARIOS } from './scenarios/index.js';
import type { ChaosTarget, ScenarioResult } from './types.js';

const seed = Number(process.env.CHAOS_SEED ?? 20_251_125);
const log = process.env.CHAOS_LOG ? (m: string) => console.info(`[chaos] ${m}`) : () => {};

/** On the cluster in CI: the plain race workload and the kills (the rest run by `--cluster`). */
const CLUSTER_SUBSET = ['races', 'kill9'];

/** The scenario's checks passed (a listed open finding excepted); returns its result for more checks. */
async function expectPasses(name: string, target: ChaosTarget): Promise<ScenarioResult> {
  const result = await runOne(name, { size: 'reduced', seed, target, log });
  expect(result.error).toBeUndefined();
  const failing = result.checks.filter((c) => !c.ok && c.severity === 'fail');
  const known = failing.filter((c) => knownIssues(name, c).length > 0);
  for (const c of known)
    console.warn(
      `[chaos] ${name}: known issue ${knownIssues(name, c)
        .map((k) => k.id)
        .join('+')} still open: ${c.id}: ${c.detail}`,
    );
  const unexpected = failing
    .filter((c) => knownIssues(name, c).length === 0)
    .map((c) => `${c.id}: ${c.detail}${c.examples ? ` e.g. ${c.examples.join(' | ')}` : ''}`);
  expect(unexpected).toEqual([]);
  expect(result.checks.length).toBeGreaterThan(3);
  return result;
}

describe.skipIf(!redisServerAvailable())('chaos battery (reduced size)', () => {
  it.each(SCENARIOS.map((s) => s.name))(
    '%s',
    async (name) => {
      await expectPasses(name, 'server');
    },
    240_000,
  );
});

describe.skipIf(!redisServerAvailable())('chaos battery on a Redis Cluster (reduced size)', () => {
  it.each(CLUSTER_SUBSET)(
    '%s on the cluster',
    async (name) => {
      const result = await expectPasses(name, 'cluster');
      // The deployment really spread over the three masters: each ran part of the drive's commands.
      expect(result.params.partitions).toBe(6);
      const perServer = (result.figures.redisCommandsDuringDrive as { perServer?: number[] } | null)
        ?.perServer;
      expect(perServer).toHaveLength(3);
      for (const n of perServer ?? []) expect(n).toBeGreaterThan(1000);
    },
    240_000,
  );
});

describe('scenario targets', () => {
  it('refuses a server-only scenario on the cluster, saying why', () => {
    expect(() => selectScenarios('cluster', ['races', 'redis-sigkill'])).toThrow(
      /redis-sigkill cannot run on the cluster target: it stops and restarts the one server.*failover-run\.ts/,
    );
    expect(selectScenarios('cluster').map((s) => s.name)).not.toContain('partition');
    expect(selectScenarios('server').length).toBe(SCENARIOS.length);
  });
});
