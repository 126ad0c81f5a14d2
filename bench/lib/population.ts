// Suspended workers made through the real producer API: registerWorker + suspend with a timeout
// condition, so every record, index entry, deadline entry and delayed timeout job is exactly what
// production writes. Run with many calls in flight; this is setup and is never timed as a result.

import { jobIds } from '../../src/lib/policy/ids.js';
import type { JsonObject } from '../../src/lib/policy/types.js';
import type { Producer } from '../../src/producers/types.js';
import { forEachConcurrent } from './pool.js';
import { FAR_TIMEOUT_MS, SMALL_TRANSCRIPT } from './workload.js';

/** The reason every bench worker is suspended with (one reason index holds them all). */
export const SUSPEND_REASON = 'waiting for review';

export interface SuspendedWorker {
  id: string;
  epoch: number;
  timeoutJobId: string;
  dueAtMs: number;
}

export interface PopulationOptions {
  /** Absolute due time of worker i's timeout; default: FAR_TIMEOUT_MS from now. */
  dueAtMs?: (index: number) => number;
  concurrency?: number;
}

export async function createSuspendedWorkers(
  producer: Producer,
  ids: readonly string[],
  opts: PopulationOptions = {},
): Promise<SuspendedWorker[]> {
  const out: SuspendedWorker[] = new Array(ids.length);
  await forEachConcurrent(ids, opts.concurrency ?? 128, async (id, i) => {
    await producer.registerWorker({
      id,
      name: `bench worker ${i}`,
      task: 'review the pull request and report the risks',
      mode: 'sub_agent',
      transcript: SMALL_TRANSCRIPT,
    });
    const timeout: JsonObject = opts.dueAtMs
      ? { deadline: opts.dueAtMs(i), on_timeout: 'resume_with_summary' }
      : { duration_ms: FAR_TIMEOUT_MS, on_timeout: 'resume_with_summary' };
    const s = await producer.suspend(id, {
      reason: SUSPEND_REASON,
      initiator: 'self',
      conditions: { timeout },
    });
    const susp = s.suspension;
    if (!susp || susp.deadline_ms === undefined)
      throw new Error(`worker ${id} was not suspended with a timeout`);
    out[i] = {
      id,
      epoch: susp.epoch,
      timeoutJobId: jobIds.timeout(id, susp.epoch),
      dueAtMs: susp.deadline_ms,
    };
  });
  return out;
}
