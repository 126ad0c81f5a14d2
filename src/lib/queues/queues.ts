// Queue factories. One BullMQ prefix per deployment (RESUME_PREFIX), three queues.

import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobDefaults, QUEUE_NAMES } from './catalog.js';

export interface QueueSet {
  resume: Queue;
  timeout: Queue;
  tasks: Queue;
  close(): Promise<void>;
}

/**
 * `onError` receives connection errors; without a listener BullMQ prints each reconnect attempt to
 * the console. The connection's own errors surface on the calls that fail, so a no-op is fine.
 */
export function createQueues(
  connection: Redis,
  prefix: string,
  onError: (err: Error) => void = () => {},
): QueueSet {
  const make = (name: keyof typeof QUEUE_NAMES) => {
    const queue = new Queue(QUEUE_NAMES[name], { connection, prefix, defaultJobOptions: jobDefaults[name] });
    queue.on('error', onError);
    return queue;
  };
  const set = { resume: make('resume'), timeout: make('timeout'), tasks: make('tasks') };
  return {
    ...set,
    async close() {
      await Promise.all([set.resume.close(), set.timeout.close(), set.tasks.close()]);
    },
  };
}
