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

export function createQueues(connection: Redis, prefix: string): QueueSet {
  const make = (name: keyof typeof QUEUE_NAMES) =>
    new Queue(QUEUE_NAMES[name], { connection, prefix, defaultJobOptions: jobDefaults[name] });
  const set = { resume: make('resume'), timeout: make('timeout'), tasks: make('tasks') };
  return {
    ...set,
    async close() {
      await Promise.all([set.resume.close(), set.timeout.close(), set.tasks.close()]);
    },
  };
}
