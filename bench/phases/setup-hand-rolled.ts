// Suspended workers for the hand-rolled baseline: the very same record documents the producer
// would build (the pure policy's newWorkerRecord + decideSuspend, same transcript), stored as one
// JSON string per worker, each with a delayed timeout job. Pipelined: this is setup, not measured.

import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseResumeConditions } from '../../src/lib/policy/conditions.js';
import { nowFrom } from '../../src/lib/policy/decision.js';
import { decideSuspend } from '../../src/lib/policy/suspend.js';
import type { Transcript } from '../../src/lib/policy/types.js';
import { newWorkerRecord } from '../../src/lib/policy/worker-record.js';
import { handRolledKeys } from '../lib/hand-rolled-keys.js';
import { FAR_TIMEOUT_MS, SMALL_TRANSCRIPT } from '../lib/workload.js';

const BATCH = 500;

export async function createHandRolledWorkers(
  redis: Redis,
  timeoutQueue: Queue,
  prefix: string,
  ids: readonly string[],
): Promise<void> {
  const keys = handRolledKeys(prefix);
  const raw = { timeout: { duration_ms: FAR_TIMEOUT_MS, on_timeout: 'resume_with_summary' } };
  const conditions = parseResumeConditions(raw);
  for (let start = 0; start < ids.length; start += BATCH) {
    const batch = ids.slice(start, start + BATCH);
    const now = nowFrom(Date.now());
    const pipe = redis.pipeline();
    const timeouts: Parameters<Queue['addBulk']>[0] = [];
    batch.forEach((id, j) => {
      const record = newWorkerRecord(
        {
          id,
          name: `bench worker ${start + j}`,
          task: 'review the pull request and report the risks',
          mode: 'sub_agent',
          config: null,
          transcript: SMALL_TRANSCRIPT as Transcript,
          parentWorkerId: null,
        },
        now,
      );
      const decision = decideSuspend(
        record,
        id,
        {
          reason: 'waiting for review',
          initiator: 'self',
          rawConditions: raw,
          conditions,
          triggerUnique: randomUUID().replace(/-/g, ''),
        },
        now,
      );
      if (decision.kind !== 'commit') throw new Error(`could not suspend ${id}`);
      const s = decision.next.suspension;
      pipe.set(keys.worker(id), JSON.stringify(decision.next));
      timeouts.push({
        name: 'timeout',
        data: { workerId: id, epoch: s?.epoch, dueAtMs: s?.deadline_ms },
        opts: { jobId: s?.timeout_job_id, delay: FAR_TIMEOUT_MS },
      });
    });
    await pipe.exec();
    await timeoutQueue.addBulk(timeouts);
  }
}
