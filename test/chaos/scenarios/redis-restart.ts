// Scenario 3: Redis goes away mid-drive and comes back on the same port from its AOF (everysec):
// (a) SHUTDOWN (clean, AOF flushed), (b) SIGKILL (no goodbye). Consumers, the runtime and the
// producer reconnect by themselves; all work completes.

import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { check, type Scenario, SERVER_ONLY } from '../types.js';
import { type Fault, runLoadScenario } from './load.js';
import { activeJobs, finishedAfter, firstFinishAfter, outageRecovery } from './recovery.js';

export function redisOutage(mode: 'shutdown' | 'sigkill', afterMs: number, downMs: number): Fault {
  return {
    async run(env) {
      await sleep(afterMs);
      const active = await activeJobs(env);
      const downAt = Date.now();
      if (mode === 'shutdown') await env.redis.shutdown();
      else await env.redis.kill('SIGKILL');
      await sleep(downMs);
      await env.redis.restart();
      const upAt = Date.now();
      return {
        figures: { outage: { mode, downMs: upAt - downAt, activeAtOutage: active.length } },
        moreFigures: (ledger) => ({
          ...outageRecovery(ledger, env.logs, active, downAt, upAt),
        }),
        checks: (ledger) => [
          check(
            'in-flight-finished-after-restart',
            finishedAfter(ledger, active, upAt).ms !== null,
            `all ${active.length} jobs in flight at the outage finished after the restart`,
          ),
          check(
            'work-resumed-after-restart',
            firstFinishAfter(ledger, upAt) !== null,
            'consumers processed jobs again after Redis came back',
          ),
        ],
      };
    },
  };
}

const restartScenario = (name: string, mode: 'shutdown' | 'sigkill', title: string): Scenario => ({
  name,
  title,
  targets: SERVER_ONLY,
  serverOnly:
    'it stops and restarts the one server from its AOF; a cluster loses a server by failing over to a ' +
    'replica, which test/chaos/failover-run.ts covers (docs/reliability.md §5)',
  run: (ctx) => {
    const size = loadSize(ctx.size, {}, ctx.stalledIntervalMs);
    return runLoadScenario(name, title, ctx, size, redisOutage(mode, size.driveMs * 0.4, 3000));
  },
});

export const redisShutdown = restartScenario(
  'redis-shutdown',
  'shutdown',
  'Redis SHUTDOWN mid-drive, restarted from its AOF (everysec) 3 s later',
);
export const redisSigkill = restartScenario(
  'redis-sigkill',
  'sigkill',
  'Redis SIGKILLed mid-drive, restarted from its AOF (everysec) 3 s later',
);
