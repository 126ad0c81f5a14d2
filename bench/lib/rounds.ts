// One measured throughput round of a queue-driven system. The queue is paused while the round's
// jobs are added (not timed), then resumed: t0 is the resume call, t1 is the largest finishedOn in
// the completed set (the worker's own clock, same machine), so neither polling nor the adding is in
// the measurement. Around the round we snapshot the child's client-side counters and CPU, and the
// server's commandstats and CPU.

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BenchChild } from './child.js';
import { hostBusyMs } from './host-cpu.js';
import { delta, type ServerDelta, snapshot } from './redis-info.js';
import {
  byRedisCommand,
  type CommandCounts,
  countsByConnection,
  diffCounts,
  sumCounts,
} from './round-trips.js';
import { sleep } from './stats.js';

export interface MeasuredSystem {
  name: string;
  child: BenchChild;
  /** The parent's handle on the measured queue; paused between rounds. */
  queue: Queue;
  prefix: string;
  /** Adds `count` jobs to the (paused) queue. */
  enqueue(count: number): Promise<void>;
  /** Key of a list that must grow by one per job (the tasks wait list for respawns). */
  respawnList?: string;
}

export interface RoundResult {
  system: string;
  jobs: number;
  ms: number;
  perSec: number;
  failed: number;
  respawns: number | null;
  client: CommandCounts;
  server: ServerDelta;
  consumerCpuMs: number;
  redisCpuMs: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** CPU ms the rest of the machine used during the round, beyond this child and Redis (null off Linux). */
  otherCpuMs: number | null;
}

const keysOf = (sys: MeasuredSystem) => ({
  completed: sys.queue.toKey('completed'),
  failed: sys.queue.toKey('failed'),
});

export async function measureRound(
  observer: Redis,
  sys: MeasuredSystem,
  count: number,
  timeoutMs = 300_000,
): Promise<RoundResult> {
  const keys = keysOf(sys);
  await sys.enqueue(count);
  const [baseDone, baseFailed, baseRespawns] = await Promise.all([
    observer.zcard(keys.completed),
    observer.zcard(keys.failed),
    sys.respawnList ? observer.llen(sys.respawnList) : Promise.resolve(0),
  ]);
  const hostBefore = hostBusyMs();
  const childBefore = await sys.child.stats();
  const parentBefore = sumCounts(countsByConnection());
  const serverBefore = await snapshot(observer);
  const t0 = Date.now();
  await sys.queue.resume();
  let done = 0;
  let failed = 0;
  for (;;) {
    const [c, f] = await Promise.all([observer.zcard(keys.completed), observer.zcard(keys.failed)]);
    done = c - baseDone;
    failed = f - baseFailed;
    if (done + failed >= count) break;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `${sys.name}: only ${done}/${count} jobs finished in ${timeoutMs} ms (${failed} failed)`,
      );
    await sleep(done + failed > count * 0.9 ? 2 : 10);
  }
  const last = await observer.zrevrange(keys.completed, 0, 0, 'WITHSCORES');
  const t1 = Number(last[1] ?? Date.now());
  const serverAfter = await snapshot(observer);
  const parentAfter = sumCounts(countsByConnection());
  const childAfter = await sys.child.stats();
  const hostAfter = hostBusyMs();
  await sys.queue.pause();
  const respawns = sys.respawnList ? (await observer.llen(sys.respawnList)) - baseRespawns : null;
  const client = sumCounts(childAfter.redis);
  const clientBefore = sumCounts(childBefore.redis);
  const ms = Math.max(1, t1 - t0);
  const consumerCpuMs =
    (childAfter.cpuUserUs + childAfter.cpuSystemUs - childBefore.cpuUserUs - childBefore.cpuSystemUs) / 1000;
  const redisCpuMs = delta(serverBefore, serverAfter).cpuMs;
  return {
    system: sys.name,
    jobs: done,
    ms,
    perSec: (done / ms) * 1000,
    failed,
    respawns,
    client: diffCounts(client, clientBefore),
    server: delta(serverBefore, serverAfter, byRedisCommand(diffCounts(parentAfter, parentBefore))),
    consumerCpuMs,
    redisCpuMs,
    otherCpuMs:
      hostBefore !== null && hostAfter !== null
        ? Math.max(0, hostAfter - hostBefore - consumerCpuMs - redisCpuMs)
        : null,
    eventLoopDelayMs: childAfter.eventLoopDelayMs,
  };
}
