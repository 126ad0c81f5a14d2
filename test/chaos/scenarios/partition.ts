// Scenario: a network partition. One more consumer reaches Redis through a loopback TCP proxy
// (test/support/tcp-proxy.ts) that stops forwarding in both directions for 15 s (6 s reduced) while
// the race workload runs: its sockets stay open and its writes wait in the buffers, as on a real
// link that went away. Its job locks and worker locks lapse, the others take its jobs over, and
// after the heal its late writes reach Redis, where the fencing refuses them. Then it has to serve
// by itself: the other consumers are paused (SIGSTOP) and a round of probe workers must be resumed
// by it alone.

import { startTcpProxy } from '../../support/tcp-proxy.js';
import { parkProbes, probeRespawns, watchProbes } from '../probes.js';
import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { check, type Scenario } from '../types.js';
import { type Fault, runLoadScenario } from './load.js';

const SOLO_WITHIN_MS = 30_000;

function partitionFault(cutMs: number, probes: number): Fault {
  return {
    async run(env, _driving, _rng, driver) {
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: env.redis.port });
      try {
        const slot = env.fleet.slots.length;
        const cutOff = await env.fleet.spawn(slot, {
          REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        });
        // Let it take work, then cut it off while it holds jobs and locks.
        while (Date.now() < driver.driveStart + 1500) await sleep(50);
        const cutAt = Date.now();
        proxy.cut();
        await sleep(cutMs);
        proxy.heal();
        const healedAt = Date.now();

        // It serves by itself: the others paused, a probe round must be resumed by it.
        const ids = Array.from({ length: probes }, (_, i) => `partition-probe-${i}`);
        await parkProbes(env, ids);
        await sleep(2000);
        const others = env.fleet.slots.filter((p) => p && p !== cutOff && p.alive);
        for (const p of others) p?.signal('SIGSTOP');
        const soloStart = Date.now();
        let seen: Map<string, number>;
        try {
          await Promise.all(ids.map((id) => env.producer.resume(id, { probe: true })));
          seen = await watchProbes(env, ids, SOLO_WITHIN_MS);
        } finally {
          for (const p of others) p?.signal('SIGCONT');
        }
        const respawns = await probeRespawns(env, ids);
        // It stops cleanly too (the proxy goes with the scenario's end; the others finish the load).
        const aliveAfterHeal = cutOff.alive;
        const stopStart = Date.now();
        await cutOff.stop();
        const exit = await cutOff.exited;
        const stopMs = Date.now() - stopStart;
        const fenced = env.logs.bySource.get(cutOff.name);
        const fencedCommits = [...(fenced ?? new Map<string, number>())]
          .filter(([msg]) => /fenced/i.test(msg))
          .reduce((n, [, c]) => n + c, 0);
        const soloMs = seen.size > 0 ? Math.max(...seen.values()) - soloStart : null;
        return {
          figures: {
            partitionMs: healedAt - cutAt,
            fencedLateWritesLogged: fencedCommits,
            probes,
            soloResumedMs: soloMs,
          },
          checks: () => [
            check(
              'partitioned-consumer-alive',
              aliveAfterHeal && exit.code === 0,
              `the consumer cut off for ${healedAt - cutAt} ms ran on after the heal and stopped cleanly on SIGTERM (exit ${exit.code ?? exit.signal} after ${stopMs} ms)`,
            ),
            check(
              'partitioned-consumer-serves-alone',
              seen.size === ids.length,
              `with the others paused, it resumed ${seen.size} of ${ids.length} probes within ${SOLO_WITHIN_MS} ms`,
              ids.filter((id) => !seen.has(id)),
            ),
            check(
              'probe-respawned-once',
              ids.every((id) => respawns.get(id) === 1),
              `each probe has exactly one respawn job (${[...respawns.values()].reduce((a, b) => a + b, 0)} for ${ids.length})`,
              ids.filter((id) => respawns.get(id) !== 1).map((id) => `${id}: ${respawns.get(id) ?? 0}`),
            ),
          ],
        };
      } finally {
        await proxy.close();
      }
    },
  };
}

export const partition: Scenario = {
  name: 'partition',
  title: 'races while one consumer is cut off from Redis by a partition (15 s), then serves alone',
  run: (ctx) => {
    const size = loadSize(ctx.size, {}, ctx.stalledIntervalMs);
    const cutMs = ctx.size === 'full' ? 15_000 : 6000;
    return runLoadScenario(
      'partition',
      partition.title,
      ctx,
      size,
      partitionFault(cutMs, ctx.size === 'full' ? 40 : 12),
    );
  },
};
