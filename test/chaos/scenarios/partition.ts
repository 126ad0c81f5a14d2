// Scenario: a network partition. One more consumer reaches Redis through a loopback TCP proxy
// (test/support/tcp-proxy.ts) that stops forwarding in both directions for 15 s (6 s reduced) while
// the race workload runs, 15 ms after a burst of resumes so that it holds some of them: its sockets
// stay open and its writes wait in the buffers, as on a real link that went away. Its job locks and
// worker locks lapse, the others take its jobs over, and after the heal its late writes reach Redis,
// where the fencing refuses them (counted by its own fenced-commits metric). Then it has to serve
// by itself: the other consumers are paused (SIGSTOP) and a round of probe workers must be resumed
// by it alone.

import { type AddressInfo, createServer } from 'node:net';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { parkProbes, probeRespawns, watchProbes } from '../probes.js';
import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { check, type Scenario, SERVER_ONLY } from '../types.js';
import { type Fault, runLoadScenario } from './load.js';

const SOLO_WITHIN_MS = 30_000;

function partitionFault(cutMs: number, probes: number): Fault {
  return {
    async run(env, _driving, _rng, driver) {
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: env.redis.port });
      try {
        const slot = env.fleet.slots.length;
        // Its own metrics port: its fenced commits are read from its counter after the heal.
        const metricsPort = await freePort();
        const cutOff = await env.fleet.spawn(slot, {
          REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
          METRICS_PORT: String(metricsPort),
        });
        // A burst of resumes for probe workers, then the cut 15 ms later: it holds some of them
        // (taken, locked, maybe committing) when its link goes, while the drive runs as well.
        const burst = Array.from({ length: probes }, (_, i) => `partition-burst-${i}`);
        const ids = Array.from({ length: probes }, (_, i) => `partition-probe-${i}`);
        await parkProbes(env, [...burst, ...ids]);
        while (Date.now() < driver.driveStart + 1000) await sleep(50);
        await Promise.all(burst.map((id) => env.producer.resume(id, { burst: true })));
        await sleep(15);
        const cutAt = Date.now();
        proxy.cut();
        await sleep(cutMs);
        proxy.heal();
        const healedAt = Date.now();
        const burstSeen = await watchProbes(env, burst, SOLO_WITHIN_MS);

        // It serves by itself: the others paused, a probe round must be resumed by it.
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
        const respawns = await probeRespawns(env, [...burst, ...ids]);
        const fencedCommits = await scrapeCounter(metricsPort, 'resume_processor_fenced_commits_total');
        // It stops cleanly too (the proxy goes with the scenario's end; the others finish the load).
        const aliveAfterHeal = cutOff.alive;
        const stopStart = Date.now();
        await cutOff.stop();
        const exit = await cutOff.exited;
        const stopMs = Date.now() - stopStart;
        const soloMs = seen.size > 0 ? Math.max(...seen.values()) - soloStart : null;
        return {
          figures: {
            partitionMs: healedAt - cutAt,
            fencedCommits,
            cutOffConsumerLog: Object.fromEntries(env.logs.bySource.get(cutOff.name) ?? []),
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
              'late-commits-fenced',
              (fencedCommits ?? 0) > 0,
              `the cut-off consumer counted ${fencedCommits ?? 'no'} fenced commits (resume_processor_fenced_commits_total on its metrics port): late writes that lost their compare-and-set`,
              [],
              'warn',
            ),
            check(
              'partitioned-consumer-serves-alone',
              seen.size === ids.length,
              `with the others paused, it resumed ${seen.size} of ${ids.length} probes within ${SOLO_WITHIN_MS} ms`,
              ids.filter((id) => !seen.has(id)),
            ),
            check(
              'burst-resumed',
              burstSeen.size === burst.length,
              `the ${burst.length} workers resumed just before the cut were all resumed (${burstSeen.size}), whoever held them`,
              burst.filter((id) => !burstSeen.has(id)),
            ),
            check(
              'probe-respawned-once',
              [...burst, ...ids].every((id) => respawns.get(id) === 1),
              `each burst and probe worker has exactly one respawn job (${[...respawns.values()].reduce((a, b) => a + b, 0)} for ${burst.length + ids.length})`,
              [...burst, ...ids]
                .filter((id) => respawns.get(id) !== 1)
                .map((id) => `${id}: ${respawns.get(id) ?? 0}`),
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
  targets: SERVER_ONLY,
  serverOnly:
    'its TCP proxy sits in front of one server; a cluster client connects to the addresses the cluster ' +
    'announces (CLUSTER SLOTS), not to a proxy in front of a seed node, and sending one consumer through ' +
    "proxies would need ioredis's natMap, which the consumer's configuration does not expose",
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A counter's value (summed over its labels) from a consumer's /metrics; null when unreadable. */
async function scrapeCounter(port: number, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      .reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  } catch {
    return null;
  }
}
