// Queue factories. Each partition has its own three queues, under the partition's tag as BullMQ
// prefix, so a resume's queue keys share the hash slot of its worker's keys. Queues are typed by
// the job catalog and made on first use (a deployment may have many partitions).

import { type Job, Queue, type Telemetry } from 'bullmq';
import type { RedisClient } from '../redis.js';
import type { KeySpace } from '../store/keys.js';
import { type JobCatalog, jobDefaults, QUEUE_NAMES, type QueueName } from './catalog.js';

export type CatalogQueue<Q extends QueueName> = Queue<
  JobCatalog[Q]['data'],
  JobCatalog[Q]['result'],
  JobCatalog[Q]['name']
>;

/** A job of queue `Q`, typed as the catalog says (what a CatalogQueue<Q> returns). */
export type CatalogJob<Q extends QueueName> = Job<
  JobCatalog[Q]['data'],
  JobCatalog[Q]['result'],
  JobCatalog[Q]['name']
>;

export interface PartitionQueues {
  partition: number;
  resume: CatalogQueue<'resume'>;
  timeout: CatalogQueue<'timeout'>;
  tasks: CatalogQueue<'tasks'>;
}

export class QueueSet {
  private readonly made = new Map<number, PartitionQueues>();

  /**
   * `onError` receives connection errors; without a listener BullMQ prints each reconnect attempt
   * to the console. The connection's own errors surface on the calls that fail, so a no-op is fine.
   */
  constructor(
    private readonly connection: RedisClient,
    readonly keys: KeySpace,
    private readonly onError: (err: Error) => void = () => {},
    /** BullMQ's `telemetry` (its spans on our queues), given only while tracing is on. */
    private readonly tracing: { telemetry?: Telemetry } = {},
  ) {}

  partition(p: number): PartitionQueues {
    const existing = this.made.get(p);
    if (existing) return existing;
    const prefix = this.keys.queuePrefix(p);
    const make = <Q extends QueueName>(name: Q): CatalogQueue<Q> => {
      const queue: CatalogQueue<Q> = new Queue(QUEUE_NAMES[name], {
        connection: this.connection,
        prefix,
        defaultJobOptions: jobDefaults[name],
        ...this.tracing,
      });
      queue.on('error', this.onError);
      return queue;
    };
    const set = { partition: p, resume: make('resume'), timeout: make('timeout'), tasks: make('tasks') };
    this.made.set(p, set);
    return set;
  }

  of(workerId: string): PartitionQueues {
    return this.partition(this.keys.partitionOf(workerId));
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.made.values()].flatMap((q) => [q.resume.close(), q.timeout.close(), q.tasks.close()]),
    );
    this.made.clear();
  }
}
