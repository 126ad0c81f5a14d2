// Scenario: poison jobs. The race workload while a few probe workers' resumes (two by request, one
// by its timeout) end the consumer process that runs them: every consumer's PreResume hook calls
// process.exit for those workers (TEST_EXIT_ON_RESUME_OF). A supervisor here restarts each consumer
// that dies, as systemd or Kubernetes would. After POISON_JOB_DEATHS (3) deaths a poison job is
// quarantined (failed with RP-POISON-JOB, listed) and never run again; its worker keeps its state;
// the planned workers' resumes go on with the ledger's checks (the quarantined jobs are the only
// failed jobs allowed).

import { jobIds } from '../../../src/lib/policy/ids.js';
import { parkProbes } from '../probes.js';
import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { ANY_TARGET, check, type Scenario } from '../types.js';
import { type Fault, runLoadScenario } from './load.js';

const DEATHS = 3;
const QUARANTINE_WITHIN_MS = 120_000;

function poisonFault(byRequest: number): Fault {
  const requestIds = Array.from({ length: byRequest }, (_, i) => `poison-r${i}`);
  const timeoutId = 'poison-t0';
  const ids = [...requestIds, timeoutId];
  return {
    slotEnv: () => ({ TEST_EXIT_ON_RESUME_OF: ids.join(','), POISON_JOB_DEATHS: String(DEATHS) }),
    async run(env, driving, _rng, driver) {
      const exits: { slot: number; code: number | null }[] = [];
      let supervising = true;
      const supervisor = (async () => {
        while (supervising) {
          for (const [slot, p] of env.fleet.slots.entries()) {
            if (!p || p.alive || p.expectedExit) continue;
            const { code } = await p.exited;
            if (code !== 7) continue; // anything else is a crash: consumers-alive reports it
            p.expectedExit = true;
            exits.push({ slot, code });
            await env.fleet.spawn(slot).catch(() => {});
          }
          await sleep(100);
        }
      })();
      try {
        while (Date.now() < driver.driveStart + 1000) await sleep(50);
        const parked = await parkProbes(env, ids, (id) =>
          id === timeoutId
            ? { timeout: { duration_ms: 1500, on_timeout: 'resume_with_summary' } }
            : undefined,
        );
        const tickets = await Promise.all(
          requestIds.map((id) => env.producer.resume(id, 'this kills the consumer')),
        );
        const poisonJobs = [
          ...tickets.map((t) => ({ queue: 'resume', jobId: t.jobId, workerId: t.workerId })),
          {
            queue: 'timeout',
            jobId: jobIds.timeout(timeoutId, parked.get(timeoutId)?.epoch ?? -1),
            workerId: timeoutId,
          },
        ];
        const started = Date.now();
        let quarantined = await env.producer.listQuarantined();
        const all = () => poisonJobs.every((j) => quarantined.some((q) => q.jobId === j.jobId));
        while ((!all() || driving()) && Date.now() - started < QUARANTINE_WITHIN_MS) {
          await sleep(250);
          quarantined = await env.producer.listQuarantined();
        }
        const quarantinedAfterMs = Date.now() - started;
        // No more deaths once they are quarantined, although the reconciler sees the overdue timeout.
        const deathsAtQuarantine = exits.length;
        await sleep(3000);
        const workers = await Promise.all(ids.map((id) => env.producer.getWorker(id)));
        const states = await Promise.all(
          poisonJobs.map((j) => env.queues.of(j.workerId)[j.queue as 'resume' | 'timeout'].getJob(j.jobId)),
        );
        const notQuarantined = poisonJobs.filter((j) => !quarantined.some((q) => q.jobId === j.jobId));
        const notFailed = poisonJobs.filter(
          (_j, i) =>
            !states[i]?.failedReason?.includes('RP-POISON-JOB') || states[i]?.finishedOn === undefined,
        );
        const changed = ids.filter(
          (id, i) => workers[i]?.status !== 'suspended' || workers[i]?.version !== parked.get(id)?.epoch,
        );
        // An operator decides: here, closing them (their quarantined timeout leaves no deadline behind).
        await Promise.all(ids.map((id) => env.producer.close(id)));
        return {
          expectedFailedJobs: poisonJobs.map((j) => j.jobId),
          figures: {
            poisonJobs: poisonJobs.length,
            consumerDeaths: exits.length,
            quarantinedAfterMs,
            deathsPerJob: Object.fromEntries(quarantined.map((q) => [q.jobId, q.deaths])),
          },
          checks: () => [
            check(
              'poison-quarantined',
              notQuarantined.length === 0 && notFailed.length === 0,
              `each poison job quarantined and failed with RP-POISON-JOB within ${QUARANTINE_WITHIN_MS} ms (${notQuarantined.length} not listed, ${notFailed.length} not failed)`,
              [...notQuarantined, ...notFailed].map((j) => `${j.queue} ${j.jobId}`),
            ),
            check(
              'poison-deaths-bounded',
              exits.length >= DEATHS &&
                exits.length <= poisonJobs.length * DEATHS &&
                exits.length === deathsAtQuarantine,
              `${exits.length} consumer deaths for ${poisonJobs.length} poison jobs (at most ${DEATHS} each), none after the quarantine`,
            ),
            check(
              'poison-worker-kept',
              changed.length === 0,
              `each poison job's worker is still in the suspension it had (${changed.length} changed)`,
              changed,
            ),
          ],
        };
      } finally {
        supervising = false;
        await supervisor;
      }
    },
  };
}

export const poison: Scenario = {
  name: 'poison',
  title: 'races while three poison jobs kill each consumer that runs them, until quarantined',
  targets: ANY_TARGET,
  run: (ctx) =>
    runLoadScenario(
      'poison',
      poison.title,
      ctx,
      loadSize(ctx.size, {}, ctx.stalledIntervalMs),
      poisonFault(2),
    ),
};
