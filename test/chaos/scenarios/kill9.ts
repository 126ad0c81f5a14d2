// Scenario 2: the race workload while a consumer working on a job is SIGKILLed every 2 s and
// restarted.
// Its jobs stall; BullMQ hands them to another consumer after its lock (S) expires and a stall check
// runs (at most 2S); repeated stalls never fail a job (maxStalledCount = 1e6).

import type { ChaosEnv } from '../env.js';
import type { ConsumerProcess } from '../processes.js';
import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { ANY_TARGET, check, type Scenario } from '../types.js';
import type { Fault } from './load.js';
import { runLoadScenario } from './load.js';
import { type ActiveJob, activeJobsAt, finishedAfter, summarize } from './recovery.js';

interface InFlight extends ActiveJob {
  token: string | null;
  /** The pid of the consumer working on it: BullMQ's processedBy, which consumers set to host:pid. */
  pid: number | null;
}

interface Kill {
  at: number;
  pid: number;
  active: string[];
  /** Of those, the jobs the victim itself was working on. */
  held: number;
  /** ms until every job in flight at the kill was finished or held by another consumer; null: never. */
  pickup: Promise<number | null>;
}

/** BullMQ's lock key of an active job (its value is the token of the consumer working on it). */
const jobLock = (env: ChaosEnv, j: ActiveJob) => env.keys.queueKey(j.partition, j.queue, `${j.id}:lock`);

const jobHash = (env: ChaosEnv, j: ActiveJob) => env.keys.queueKey(j.partition, j.queue, j.id);

async function inFlight(env: ChaosEnv): Promise<InFlight[]> {
  const jobs = await activeJobsAt(env);
  return Promise.all(
    jobs.map(async (j) => {
      const [token, processedBy] = await Promise.all([
        env.admin.get(jobLock(env, j)),
        env.admin.hget(jobHash(env, j), 'pb'),
      ]);
      const pid = Number(processedBy?.split(':').pop());
      return { ...j, token, pid: Number.isInteger(pid) ? pid : null };
    }),
  );
}

/**
 * Polls the jobs in flight at a kill until each one is picked up again: finished, moved to delayed by
 * a consumer that found the worker locked, or active under another consumer's lock token. Jobs of
 * the consumers that survived qualify at once; the victim's wait for lock expiry + a stall check.
 */
async function watchPickup(
  env: ChaosEnv,
  jobs: InFlight[],
  from: number,
  limitMs: number,
): Promise<number | null> {
  const open = new Map(jobs.map((j) => [j.key, j]));
  let last = from;
  // One round looks at every open job at once, then waits 100 ms: the observer's own load stays small
  // (job after job without a pause kept Redis and the harness busy on a 2-core machine).
  while (open.size > 0 && Date.now() - from < limitMs) {
    const round = [...open.values()];
    const seen = await Promise.all(
      round.map((j) =>
        Promise.all([
          env.queues.partition(j.partition)[j.queue].getJobState(j.id),
          env.admin.get(jobLock(env, j)),
        ]),
      ),
    );
    const at = Date.now();
    round.forEach((j, i) => {
      const [state, token] = seen[i] ?? ['active', j.token];
      const pickedUp =
        (state !== 'active' && state !== 'waiting' && state !== 'prioritized') ||
        (state === 'active' && token !== null && token !== j.token);
      if (!pickedUp) return;
      open.delete(j.key);
      last = at;
    });
    if (open.size > 0) await sleep(100);
  }
  return open.size > 0 ? null : last - from;
}

export function killEvery(everyMs: number, boundMs: number): Fault {
  return {
    async run(env, driving, rng) {
      const kills: Kill[] = [];
      const restarts: Promise<unknown>[] = [];
      while (driving()) {
        await sleep(everyMs);
        if (!driving()) break;
        const ready = env.fleet.slots
          .map((p, slot) => ({ p, slot }))
          .filter(
            (x): x is { p: ConsumerProcess; slot: number } => !!x.p?.alive && x.p.readyAt !== undefined,
          );
        if (ready.length === 0) continue;
        // Kill a consumer that is working on something (waiting up to 1 s for one): a kill of an
        // idle consumer proves little, and with several consumers a random pick often is one.
        const holding = (jobs: InFlight[]) => ready.filter((x) => jobs.some((j) => j.pid === x.p.pid));
        let jobs = await inFlight(env);
        for (let tries = 0; holding(jobs).length === 0 && tries < 50; tries++) {
          await sleep(20);
          jobs = await inFlight(env);
        }
        const busyConsumers = holding(jobs);
        const { p, slot } = rng.pick(busyConsumers.length > 0 ? busyConsumers : ready);
        const at = Date.now();
        p.signal('SIGKILL');
        kills.push({
          at,
          pid: p.pid,
          active: jobs.map((j) => j.key),
          held: jobs.filter((j) => j.pid === p.pid).length,
          pickup: watchPickup(env, jobs, at, 60_000),
        });
        restarts.push(p.exited.then(() => env.fleet.spawn(slot)));
      }
      await Promise.all(restarts);
      const pickups = await Promise.all(kills.map((k) => k.pickup));
      const busy = kills
        .map((k, i) => ({ k, pickup: pickups[i] ?? null }))
        .filter((x) => x.k.active.length > 0);
      return {
        figures: {
          kills: kills.length,
          killIntervalMs: everyMs,
          killsWithWorkInFlight: busy.length,
          inFlightAtKills: kills.reduce((n, k) => n + k.active.length, 0),
          killsOfConsumersHoldingWork: kills.filter((k) => k.held > 0).length,
          heldByVictimsAtKills: kills.reduce((n, k) => n + k.held, 0),
          // Time until every job in flight at a kill was taken over (checked against the bound).
          recoveryMs: summarize(busy.map((x) => x.pickup)),
        },
        moreFigures: (ledger) => ({
          // Time until those jobs had finished (a job handed to a consumer killed next counts twice).
          finishedAfterKillMs: summarize(busy.map((x) => finishedAfter(ledger, x.k.active, x.k.at).ms)),
        }),
        checks: () => {
          const slow = busy
            .filter((x) => x.pickup === null || x.pickup > boundMs)
            .map(
              (x) =>
                `kill of pid ${x.k.pid} at ${new Date(x.k.at).toISOString()}: picked up after ${x.pickup ?? 'never'} ms`,
            );
          return [
            check(
              'kills-happened',
              kills.length > 0,
              `${kills.length} consumers SIGKILLed, ${busy.length} with work in flight`,
            ),
            check(
              'victims-held-work',
              kills.filter((k) => k.held > 0).length * 2 >= kills.length,
              `${kills.filter((k) => k.held > 0).length} of ${kills.length} killed consumers were working on a job (their ${kills.reduce((n, k) => n + k.held, 0)} jobs had to be taken over)`,
            ),
            check(
              'pickup-after-kill',
              slow.length === 0,
              `every job in flight at a kill was taken over within ${boundMs} ms (${slow.length} kills slower)`,
              slow,
            ),
          ];
        },
      };
    },
  };
}

export const kill9: Scenario = {
  name: 'kill9',
  title: 'races while a consumer working on a job is SIGKILLed every 2 s and restarted',
  targets: ANY_TARGET,
  run: (ctx) => {
    const size = loadSize(ctx.size, {}, ctx.stalledIntervalMs);
    // The bar: a killed consumer's jobs are taken over within 10 s.
    return runLoadScenario('kill9', kill9.title, ctx, size, killEvery(2000, 10_000));
  },
};
