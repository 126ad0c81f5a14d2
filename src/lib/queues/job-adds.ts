// The jobs a commit or a request enqueues, as data: queue, id, name, payload and options, serialized
// the way BullMQ stores them. The store's scripts add them in the same step as the change that
// implies them (store/lua/includes/add-job.lua); pure, no Redis.

import { jobIds } from '../policy/ids.js';
import { respawnInitiator } from '../policy/resume.js';
import type { Effect, WorkerRecord } from '../policy/types.js';
import type { JobCatalog, QueueName, RespawnJob, ResumeJob, TimeoutJob } from './catalog.js';

export interface JobAdd<Q extends QueueName = QueueName> {
  queue: Q;
  id: string;
  name: JobCatalog[Q]['name'];
  /** The payload as BullMQ stores it (JSON). */
  data: string;
  /** The job options as BullMQ stores them (JSON: the job id, the delay, BullMQ's attempts). */
  opts: string;
  /** 0: ready now; else the job is delayed that long from the add's timestamp. */
  delayMs: number;
}

function jobAdd<Q extends QueueName>(
  queue: Q,
  name: JobCatalog[Q]['name'],
  id: string,
  data: JobCatalog[Q]['data'],
  delayMs = 0,
): JobAdd<Q> {
  const opts = delayMs > 0 ? { jobId: id, delay: delayMs, attempts: 0 } : { jobId: id, attempts: 0 };
  return { queue, id, name, data: JSON.stringify(data), opts: JSON.stringify(opts), delayMs };
}

/** A resume request on the worker's partition's `resume` queue (delayed: an early resume kept). */
export const resumeRequestAdd = (jobId: string, job: ResumeJob, delayMs = 0): JobAdd<'resume'> =>
  jobAdd('resume', 'resume', jobId, job, delayMs);

/**
 * The jobs of a committed record's effects: its respawn for the runtime (`respawn-<id>-<version>`)
 * and its suspension's delayed timeout (`timeout-<id>-<epoch>`, due at the deadline; due now when
 * the deadline has passed). PostResume has no job: the consumer runs the hooks.
 */
export function effectJobs(record: WorkerRecord, effects: readonly Effect[], nowMs: number): JobAdd[] {
  const adds: JobAdd[] = [];
  for (const effect of effects) {
    switch (effect.kind) {
      case 'armTimeout': {
        const data: TimeoutJob = {
          workerId: record.id,
          epoch: effect.epoch,
          ...(effect.rev ? { rev: effect.rev } : {}),
        };
        const id = jobIds.timeout(record.id, effect.epoch, effect.rev ?? 0);
        adds.push(jobAdd('timeout', 'timeout', id, data, Math.max(0, effect.dueAtMs - nowMs)));
        break;
      }
      case 'respawn': {
        const data: RespawnJob = {
          workerId: record.id,
          version: record.version,
          initiator: respawnInitiator(record),
          ...(effect.traceparent ? { traceparent: effect.traceparent } : {}),
        };
        adds.push(jobAdd('tasks', 'respawn', jobIds.respawn(record.id, record.version), data));
        break;
      }
      case 'postResume':
        break;
      default: {
        const unknown: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
      }
    }
  }
  return adds;
}

/** Effects a script cannot run: they stay in the outbox for the consumer. */
export const processEffects = (effects: readonly Effect[]): Effect[] =>
  effects.filter((e) => e.kind === 'postResume');
