// A job add's part of a script call (add-job.lua): its 7 keys in BullMQ's layout of the partition's
// queue, and its 5 arguments. Pure.

import type { QueueName } from '../queues/catalog.js';
import type { JobAdd } from '../queues/job-adds.js';
import type { KeySpace } from './keys.js';
import type { ScriptArgs } from './scripts.js';

const JOB_KEYS = ['wait', 'delayed', 'active', 'meta', 'events', 'marker'] as const;

/** The 7 keys of job `id` of partition `p`'s `queue`, in the order add-job.lua reads them. */
export function jobKeys(keys: KeySpace, p: number, queue: QueueName, id: string): string[] {
  return [keys.queueKey(p, queue, id), ...JOB_KEYS.map((k) => keys.queueKey(p, queue, k))];
}

export const jobCallKeys = (keys: KeySpace, p: number, add: JobAdd): string[] =>
  jobKeys(keys, p, add.queue, add.id);

export const jobCallArgs = (add: JobAdd): ScriptArgs => [add.id, add.name, add.data, add.opts, add.delayMs];

/** The keys and arguments of several adds, in the order the script reads them. */
export function jobCalls(
  keys: KeySpace,
  p: number,
  adds: readonly JobAdd[],
): { count: number; keys: string[]; args: ScriptArgs } {
  return {
    count: adds.length,
    keys: adds.flatMap((a) => jobCallKeys(keys, p, a)),
    args: adds.flatMap(jobCallArgs),
  };
}
