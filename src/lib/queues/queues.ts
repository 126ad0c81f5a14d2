// Queue factories. Each partition has its own three queues, under the partition's tag as BullMQ
// prefix, so a resume's queue keys share the hash slot of its worker's keys. Queues are typed by
// the job catalog and made on first use (a deployment may have many partitions).

import { Job, Queue, type RedisClient } from 'bullmq';
import type { Redis } from 'ioredis';
import type { KeySpace } from '../store/keys.js';
import {
  type JobCatalog,
  jobDefaults,
  QUEUE_NAMES,
  type QueueName,
  type RespawnJob,
  type TimeoutJob,
} from './catalog.js';

export type CatalogQueue<Q extends QueueName> = Queue<
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
    private readonly connection: Redis,
    readonly keys: KeySpace,
    private readonly onError: (err: Error) => void = () => {},
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

  /** BullMQ's client over the queues' connection (the store's too). */
  async client(workerId: string): Promise<RedisClient> {
    return this.of(workerId).tasks.getBackend().client;
  }

  /**
   * Arms a timeout through `client`. A job id that exists already is not added again (finished
   * jobs are kept a day). The add is written to the connection before this returns (BullMQ writes
   * an add's script before its first await), so a command sent next on the same connection runs
   * after it.
   */
  sendTimeout(client: RedisClient, job: TimeoutJob, jobId: string, delay: number): Promise<string> {
    const queue = this.of(job.workerId).timeout;
    return new Job(queue, 'timeout', job, { ...queue.defaultJobOptions, jobId, delay }, jobId).addJob(client);
  }

  /** Adds a respawn for the runtime through `client`, once per job id, written before this returns. */
  sendRespawn(client: RedisClient, job: RespawnJob, jobId: string): Promise<string> {
    const queue = this.of(job.workerId).tasks;
    return new Job(queue, 'respawn', job, { ...queue.defaultJobOptions, jobId }, jobId).addJob(client);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.made.values()].flatMap((q) => [q.resume.close(), q.timeout.close(), q.tasks.close()]),
    );
    this.made.clear();
  }
}
