// Probe workers: a few workers outside the load plan that a fault parks and watches itself (when a
// timeout fires, whether a consumer that healed serves alone, what a poison job leaves behind). The
// ledger checks the planned workers; a fault checks its probes and reports them as its own checks.

import type { JsonObject } from '../../src/lib/policy/types.js';
import type { ChaosEnv } from './env.js';
import { sleep } from './rng.js';

/** Registers and suspends `ids`, each with the conditions `conditionsOf` gives (none: wait for a request). */
export async function parkProbes(
  env: ChaosEnv,
  ids: readonly string[],
  conditionsOf: (id: string, i: number) => JsonObject | undefined = () => undefined,
): Promise<Map<string, { epoch: number; deadlineMs: number | undefined }>> {
  const out = new Map<string, { epoch: number; deadlineMs: number | undefined }>();
  await Promise.all(
    ids.map(async (id, i) => {
      await env.producer.registerWorker({ id, name: id, task: 'probe' });
      const conditions = conditionsOf(id, i);
      const s = await env.producer.suspend(id, { reason: 'probe', ...(conditions ? { conditions } : {}) });
      out.set(id, { epoch: s.suspension?.epoch ?? -1, deadlineMs: s.suspension?.deadline_ms });
    }),
  );
  return out;
}

/**
 * Polls the probes until each one left its suspension (status no longer `suspended`) or `withinMs`
 * passed; returns id -> the first time it was seen out (this host's clock, which is Redis's: both
 * run on this machine). A poll round every `everyMs` bounds how late a change is seen.
 */
export async function watchProbes(
  env: ChaosEnv,
  ids: readonly string[],
  withinMs: number,
  everyMs = 25,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const until = Date.now() + withinMs;
  while (seen.size < ids.length && Date.now() < until) {
    const open = ids.filter((id) => !seen.has(id));
    const workers = await Promise.all(open.map((id) => env.producer.getWorker(id)));
    const at = Date.now();
    workers.forEach((w, i) => {
      if (w && w.status !== 'suspended') seen.set(open[i] as string, at);
    });
    if (seen.size < ids.length) await sleep(everyMs);
  }
  return seen;
}

/** Respawn jobs of the probes' workers in the `tasks` queues (id -> count). */
export async function probeRespawns(env: ChaosEnv, ids: readonly string[]): Promise<Map<string, number>> {
  const mine = new Set(ids);
  const out = new Map<string, number>();
  for (const q of env.partitions()) {
    const jobs = await q.tasks.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'], 0, -1);
    for (const job of jobs) {
      const m = job?.id ? /^respawn-(.+)-(\d+)$/.exec(job.id) : null;
      const id = m?.[1];
      if (id && mine.has(id)) out.set(id, (out.get(id) ?? 0) + 1);
    }
  }
  return out;
}
