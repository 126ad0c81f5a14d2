// Quiescence: the point after a drive where nothing is left to do, so the ledger can be read.

import { allPartitions } from '../../src/lib/store/keys.js';
import type { ChaosEnv } from './env.js';
import { UNFINISHED } from './facts.js';
import { sleep } from './rng.js';

export interface QuiesceOptions {
  workerIds: readonly string[];
  idle: () => boolean;
  timeoutMs: number;
}

/**
 * Waits until nothing is left to do: the driver is idle, no resume/timeout job is pending or due
 * soon, no commit awaits its outbox, no deadline is overdue, and every outbox is cleared.
 */
export async function quiesce(
  env: ChaosEnv,
  opts: QuiesceOptions,
): Promise<{ ok: boolean; waitedMs: number; last: string }> {
  const started = Date.now();
  let last = '';
  let stable = 0;
  while (Date.now() - started < opts.timeoutMs) {
    const now = Date.now();
    const parts = env.partitions();
    const [resume, timeout, tasks, pending, overdue, delayed] = await Promise.all([
      Promise.all(parts.map((q) => q.resume.getJobCounts(...UNFINISHED))),
      Promise.all(parts.map((q) => q.timeout.getJobCounts('waiting', 'active', 'prioritized'))),
      Promise.all(parts.map((q) => q.tasks.getJobCounts('waiting', 'active', 'prioritized'))),
      env.store.indexes.countPending(),
      Promise.all(allPartitions(env.keys).map((p) => env.admin.zcount(env.keys.deadlines(p), '-inf', now))),
      Promise.all(parts.map((q) => q.timeout.getJobs(['delayed'], 0, -1))),
    ]);
    const dueTimeouts = delayed.flat().filter((j) => j && j.timestamp + j.delay < now + 1000).length;
    const outboxes = await countOutboxes(env, opts.workerIds);
    const busy = {
      driver: opts.idle() ? 0 : 1,
      resume: sumAll(resume),
      timeout: sumAll(timeout) + dueTimeouts,
      tasks: sumAll(tasks),
      pending,
      overdue: overdue.reduce((a, b) => a + b, 0),
      outboxes,
    };
    last = JSON.stringify(busy);
    stable = sum(busy) === 0 ? stable + 1 : 0;
    if (stable >= 3) return { ok: true, waitedMs: Date.now() - started, last };
    await sleep(300);
  }
  return { ok: false, waitedMs: Date.now() - started, last };
}

/** Records still holding an outbox (`record.outbox`): effects not settled yet. */
async function countOutboxes(env: ChaosEnv, ids: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 1000)
    for (const snapshot of await env.store.readMany(ids.slice(i, i + 1000)))
      if (snapshot?.record.outbox) n += 1;
  return n;
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const sumAll = (list: Record<string, number>[]) => list.reduce((n, o) => n + sum(o), 0);
