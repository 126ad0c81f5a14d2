// Scenario: PreResume hooks under faults. The race workload while probe workers' hooks misbehave in
// every consumer: one throws, one never settles (cut at HOOK_TIMEOUT_MS), the first time a process
// is asked about it, and one freezes the first process that runs it (SIGSTOP) inside the hook,
// which this fault thaws (SIGCONT) only after the worker lock's TTL has passed: another consumer
// takes the job over and resumes the worker, and the frozen holder's late commit is fenced by the
// job's lock. Each probe must be resumed exactly
// once in the end (the hook failures are retried), its timeout armed until then.

import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobIds } from '../../../src/lib/policy/ids.js';
import { parkProbes, probeRespawns, watchProbes } from '../probes.js';
import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { ANY_TARGET, check, type Scenario } from '../types.js';
import { type Fault, runLoadScenario } from './load.js';

const HOOK_TIMEOUT_MS = 1000;
const THAW_AFTER_MS = 6000;
const PROBE_TIMEOUT_MS = 600_000;

function hookFault(each: number): Fault {
  const group = (kind: string) => Array.from({ length: each }, (_, i) => `hook-${kind}-${i}`);
  const throwing = group('throw');
  const hanging = group('hang');
  const freezing = ['hook-freeze-0'];
  const ids = [...throwing, ...hanging, ...freezing];
  const freezeOnce = join(tmpdir(), `rp-hook-freeze-${randomUUID()}`);
  return {
    slotEnv: () => ({
      TEST_THROW_IN_HOOK_OF: throwing.join(','),
      TEST_HANG_IN_HOOK_OF: hanging.join(','),
      TEST_STOP_IN_HOOK_OF: freezing[0] as string,
      // One freeze in the fleet: a hook that froze every consumer in turn would be a poison job.
      TEST_STOP_ONCE_FILE: freezeOnce,
      HOOK_TIMEOUT_MS: String(HOOK_TIMEOUT_MS),
    }),
    async run(env, _driving, _rng, driver) {
      while (Date.now() < driver.driveStart + 500) await sleep(50);
      const parked = await parkProbes(env, ids, () => ({ timeout: { duration_ms: PROBE_TIMEOUT_MS } }));
      // Thaws a process frozen in its hook once the lock it held has lapsed.
      const frozenSince = new Map<number, number>();
      let thaws = 0;
      let watching = true;
      const thawer = (async () => {
        while (watching) {
          for (const p of env.fleet.slots) {
            if (!p?.alive) continue;
            if (p.state() !== 'T') {
              frozenSince.delete(p.pid);
              continue;
            }
            const since = frozenSince.get(p.pid) ?? Date.now();
            frozenSince.set(p.pid, since);
            if (Date.now() - since >= THAW_AFTER_MS) {
              p.signal('SIGCONT');
              frozenSince.delete(p.pid);
              thaws += 1;
            }
          }
          await sleep(100);
        }
      })();
      let seen: Map<string, number>;
      let notArmed: string[] = [];
      let waitingAtSample = 0;
      try {
        await Promise.all(ids.map((id) => env.producer.resume(id, 'after a faulty hook')));
        // While a probe is not resumed yet, its timeout must still be armed.
        await sleep(HOOK_TIMEOUT_MS / 2);
        const early = await Promise.all(
          ids.map(async (id) => ({
            id,
            status: (await env.producer.getWorker(id))?.status,
            timeoutJob: await env.queues
              .of(id)
              .timeout.getJobState(jobIds.timeout(id, parked.get(id)?.epoch ?? -1)),
          })),
        );
        notArmed = early
          .filter((w) => w.status !== 'running' && !(w.status === 'suspended' && w.timeoutJob === 'delayed'))
          .map((w) => `${w.id}: ${w.status}, timeout job ${w.timeoutJob}`);
        waitingAtSample = early.filter((w) => w.status === 'suspended').length;
        seen = await watchProbes(env, ids, 90_000);
      } finally {
        watching = false;
        await thawer;
        // A holder still frozen (the others resumed its probe before THAW_AFTER_MS) is thawed now.
        for (const p of env.fleet.slots)
          if (p?.alive && p.state() === 'T') {
            p.signal('SIGCONT');
            thaws += 1;
          }
        rmSync(freezeOnce, { force: true });
      }
      const respawns = await probeRespawns(env, ids);
      const workers = await Promise.all(ids.map((id) => env.producer.getWorker(id)));
      const wrong = ids.filter(
        (id, i) =>
          workers[i]?.status !== 'running' || workers[i]?.version !== (parked.get(id)?.epoch ?? 0) + 1,
      );
      return {
        figures: {
          probes: ids.length,
          hookTimeoutMs: HOOK_TIMEOUT_MS,
          frozenHoldersThawed: thaws,
          // The thawed holder's commit refused by the job lock (its lease check may stop it first).
          takenOverJobsLogged: env.logs.countMatching(/job taken over by another consumer/),
          hookFailuresLogged: env.logs.countMatching(/hook/i),
        },
        checks: () => [
          check(
            'hook-probes-resumed-once',
            seen.size === ids.length && wrong.length === 0 && ids.every((id) => respawns.get(id) === 1),
            `every probe whose hook threw, hung or froze its process was resumed exactly once (${seen.size}/${ids.length} resumed, ${wrong.length} in an unexpected state)`,
            [
              ...wrong,
              ...ids
                .filter((id) => respawns.get(id) !== 1)
                .map((id) => `${id}: ${respawns.get(id) ?? 0} respawns`),
            ],
          ),
          check(
            'holder-frozen',
            thaws >= 1,
            `${thaws} consumer(s) frozen in the hook past the lock TTL and thawed`,
          ),
          check(
            'timeout-armed-until-resumed',
            notArmed.length === 0,
            `${HOOK_TIMEOUT_MS / 2} ms after the requests, each probe was resumed or still suspended with its timeout job delayed (${waitingAtSample} waiting, ${notArmed.length} neither)`,
            notArmed,
          ),
        ],
      };
    },
  };
}

export const hookFaults: Scenario = {
  name: 'hook-faults',
  title:
    'races while PreResume hooks throw, hang past HOOK_TIMEOUT_MS, or freeze their process past the lock TTL',
  targets: ANY_TARGET,
  run: (ctx) =>
    runLoadScenario(
      'hook-faults',
      hookFaults.title,
      ctx,
      loadSize(ctx.size, {}, ctx.stalledIntervalMs),
      hookFault(ctx.size === 'full' ? 6 : 3),
    ),
};
