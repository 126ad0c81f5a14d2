// Quiescence: the point after a drive where nothing is left to do, so the ledger can be read.

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
    const [resume, timeout, tasks, pending, overdue] = await Promise.all([
      env.queues.resume.getJobCounts(...UNFINISHED),
      env.queues.timeout.getJobCounts('waiting', 'active', 'prioritized'),
      env.queues.tasks.getJobCounts('waiting', 'active', 'prioritized'),
      env.admin.zcard(env.store.keys.pending),
      env.admin.zcount(env.store.keys.deadlines, '-inf', now),
    ]);
    const dueTimeouts = (await env.queues.timeout.getJobs(['delayed'], 0, -1)).filter(
      (j) => j && j.timestamp + j.delay < now + 1000,
    ).length;
    const outboxes = await countOutboxes(env, opts.workerIds);
    const busy = {
      driver: opts.idle() ? 0 : 1,
      resume: sum(resume),
      timeout: sum(timeout) + dueTimeouts,
      tasks: sum(tasks),
      pending,
      overdue,
      outboxes,
    };
    last = JSON.stringify(busy);
    stable = sum(busy) === 0 ? stable + 1 : 0;
    if (stable >= 3) return { ok: true, waitedMs: Date.now() - started, last };
    await sleep(300);
  }
  return { ok: false, waitedMs: Date.now() - started, last };
}

async function countOutboxes(env: ChaosEnv, ids: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const pipe = env.admin.pipeline();
    for (const id of ids.slice(i, i + 1000)) pipe.hexists(env.store.keys.worker(id), 'ob');
    for (const [, v] of (await pipe.exec()) ?? []) n += Number(v ?? 0);
  }
  return n;
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
