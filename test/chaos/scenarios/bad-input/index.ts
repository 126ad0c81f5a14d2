// Scenario 6: bad input. fast-check throws random and adversarial values at every producer method and
// at raw queue payloads. Every call answers with a valid result or a typed error with a code; a
// refusal changes nothing (records, events, indexes, queues); a malformed job fails once, is kept in
// the failed set, and touches nothing; no process crashes. Last, a property over what suspend accepts:
// an accepted timeout must be able to fire (a suspension it cannot end would strand the worker).

import { ChaosEnv, type ConsumerSettings } from '../../env.js';
import { type Check, check, type Figure, type Scenario, SERVER_ONLY } from '../../types.js';
import { consumersAlive, result } from '../load.js';
import { acceptedTimeoutsFire } from './accepted-timeouts.js';
import { producerMethods, type Tally } from './producer-methods.js';
import { rawPayloads } from './raw-payloads.js';

const SETTINGS: ConsumerSettings = {
  concurrency: 8,
  lockTtlMs: 2000,
  stalledIntervalMs: 2000,
  reconcileIntervalMs: 500,
};

export const badInput: Scenario = {
  name: 'bad-input',
  title: 'property-based random and adversarial input to every producer method and raw queue payloads',
  targets: SERVER_ONLY,
  serverOnly:
    'its state snapshots read keys of several partitions and DBSIZE in one pipeline, which a cluster ' +
    'refuses across hash slots; what it checks (refusals before any write, malformed jobs failing) does not depend on the target',
  async run(ctx) {
    const started = Date.now();
    const runs = ctx.size === 'full' ? 600 : 60;
    const rawCount = ctx.size === 'full' ? 600 : 80;
    const liveCount = ctx.size === 'full' ? 200 : 40;
    const crashes: string[] = [];
    const onCrash = (err: unknown) => crashes.push(String(err).slice(0, 200));
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const a = await ChaosEnv.create({ name: 'bad-a', consumers: SETTINGS });
    let tallies: Record<string, Tally>;
    try {
      ctx.log(`bad-input: ${runs} runs per producer method`);
      tallies = await producerMethods(a, runs, ctx.seed);
    } finally {
      await a.close();
    }
    const b = await ChaosEnv.create({ name: 'bad-b', consumers: SETTINGS });
    try {
      await b.fleet.start(2);
      ctx.log(`bad-input: ${rawCount} + ${Math.ceil(rawCount / 2)} raw payloads`);
      const raw = await rawPayloads(b, rawCount, ctx.seed);
      ctx.log(`bad-input: ${liveCount} suspends with adversarial timeout inputs`);
      const live = await acceptedTimeoutsFire(b, liveCount, ctx.seed);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      const all = Object.values(tallies);
      const flat = (f: (t: Tally) => string[]) => all.flatMap(f);
      const checks: Check[] = [
        check(
          'producer-answers-typed',
          flat((t) => t.untyped).length === 0 && flat((t) => t.badResult).length === 0,
          `${all.reduce((n, t) => n + t.calls, 0)} calls: each got a valid result or a typed error with a code (${flat((t) => t.untyped).length} untyped errors, ${flat((t) => t.badResult).length} malformed results)`,
          [...flat((t) => t.untyped), ...flat((t) => t.badResult)],
        ),
        check(
          'producer-refusals-change-nothing',
          flat((t) => t.changedOnRefusal).length === 0,
          `a refused call changed no record, event stream, index or queue (${flat((t) => t.changedOnRefusal).length} did)`,
          flat((t) => t.changedOnRefusal),
        ),
        check(
          'raw-jobs-fail-cleanly',
          raw.problems.length === 0,
          `${raw.invalid} malformed payloads failed once (non-retryable, RP-INVALID-JOB naming the problem) and ${raw.valid} valid ones completed; fixtures untouched (${raw.problems.length} problems)`,
          raw.problems,
        ),
        check(
          'raw-jobs-kept-for-inspection',
          raw.keptFailed === raw.invalid,
          `${raw.keptFailed}/${raw.invalid} malformed jobs are in the failed set`,
        ),
        check(
          'accepted-timeouts-can-fire',
          live.stranded.length === 0,
          `${live.accepted}/${live.tried} adversarial timeout conditions accepted by suspend; ${live.stranded.length} left the worker suspended with nothing armed after the deadline`,
          live.stranded,
        ),
        check(
          'refused-suspends-change-nothing',
          live.refusalChanged.length === 0 && live.untyped.length === 0,
          `${live.refused} refused suspends left their worker running at version 1 with a typed error (${live.refusalChanged.length + live.untyped.length} did not)`,
          [...live.refusalChanged, ...live.untyped],
        ),
        check(
          'no-crash-no-pollution',
          crashes.length === 0 && ({} as Record<string, unknown>).polluted === undefined,
          `harness saw ${crashes.length} uncaught errors; Object.prototype unpolluted`,
          crashes,
        ),
        consumersAlive(b),
      ];
      const figures: Record<string, Figure> = {
        producerCalls: all.reduce((n, t) => n + t.calls, 0),
        perMethod: Object.fromEntries(
          Object.entries(tallies).map(([m, t]) => [
            m,
            { calls: t.calls, valid: t.valid, typedErrors: t.typed },
          ]),
        ),
        rawJobs: { added: raw.added, malformed: raw.invalid, failedOnce: raw.failedOnce, valid: raw.valid },
        adversarialTimeouts: {
          tried: live.tried,
          accepted: live.accepted,
          refused: live.refused,
          stranded: live.stranded.length,
        },
      };
      return result(
        'bad-input',
        badInput.title,
        started,
        { runsPerMethod: runs, rawCount, liveCount },
        figures,
        checks,
      );
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      await b.close();
    }
  },
};
