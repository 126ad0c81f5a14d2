// Scenario: clock skew. The race workload with one consumer whose clock runs 5 s ahead and one 5 s
// behind (TEST_CLOCK_SKEW_MS shifts Date.now, which BullMQ uses to promote delayed jobs). The
// consumer 5 s ahead takes timeout jobs 5 s early; a timeout is checked against Redis's clock (read
// with the worker's lock) and waits the difference out, so none may apply before its deadline by
// Redis's clock (bound: 0 ms). Probe workers with timeouts are watched from here (this host's clock
// is Redis's: same machine) to measure it directly; the ledger checks the planned timeouts by the
// events' times, which the consumers stamp with Redis's clock.

import { parkProbes, probeRespawns, watchProbes } from '../probes.js';
import { percentile, sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { ANY_TARGET, check, type Scenario } from '../types.js';
import { type Fault, runLoadScenario } from './load.js';

const SKEW_MS = 5000;
/** A timeout later than this after its deadline counts as not applied (lost). */
const LATE_BOUND_MS = 10_000;

function skewFault(probes: number): Fault {
  return {
    slotEnv: (slot) =>
      slot === 0
        ? { TEST_CLOCK_SKEW_MS: String(SKEW_MS) }
        : slot === 1
          ? { TEST_CLOCK_SKEW_MS: String(-SKEW_MS) }
          : undefined,
    async run(env, _driving, rng, driver) {
      while (Date.now() < driver.driveStart) await sleep(50);
      const ids = Array.from({ length: probes }, (_, i) => `skew-probe-${i}`);
      const parked = await parkProbes(env, ids, () => ({
        timeout: { duration_ms: rng.int(1500, 6000), on_timeout: 'resume_with_summary' },
      }));
      const seen = await watchProbes(env, ids, 6000 + LATE_BOUND_MS + 2000);
      const respawns = await probeRespawns(env, ids);
      const early: string[] = [];
      const lateness: number[] = [];
      for (const id of ids) {
        const deadline = parked.get(id)?.deadlineMs;
        const at = seen.get(id);
        if (deadline === undefined || at === undefined) continue;
        lateness.push(at - deadline);
        if (at < deadline) early.push(`${id}: out of its suspension ${deadline - at} ms before its deadline`);
      }
      const missing = ids.filter((id) => !seen.has(id));
      const tooLate = lateness.filter((ms) => ms > LATE_BOUND_MS).length;
      return {
        figures: {
          skewMs: { ahead: SKEW_MS, behind: -SKEW_MS },
          probes,
          probeLatenessMs: {
            p50: percentile(lateness, 50),
            p99: percentile(lateness, 99),
            max: lateness.length ? Math.max(...lateness) : null,
          },
        },
        checks: () => [
          check(
            'probe-timeouts-not-early',
            early.length === 0,
            `no probe timeout applied before its deadline by Redis's clock (${early.length} did; bound 0 ms)`,
            early,
          ),
          check(
            'probe-timeouts-applied',
            missing.length === 0 && tooLate === 0,
            `every probe timeout applied within ${LATE_BOUND_MS} ms of its deadline (${missing.length} not seen, ${tooLate} later)`,
            missing,
          ),
          check(
            'probe-respawned-once',
            ids.every((id) => respawns.get(id) === 1),
            `each probe has exactly one respawn job`,
            ids.filter((id) => respawns.get(id) !== 1).map((id) => `${id}: ${respawns.get(id) ?? 0}`),
          ),
        ],
      };
    },
  };
}

export const clockSkew: Scenario = {
  name: 'clock-skew',
  title: 'races with one consumer 5 s ahead and one 5 s behind Redis',
  targets: ANY_TARGET,
  run: (ctx) =>
    runLoadScenario(
      'clock-skew',
      clockSkew.title,
      ctx,
      loadSize(ctx.size, {}, ctx.stalledIntervalMs),
      skewFault(ctx.size === 'full' ? 100 : 30),
    ),
};
