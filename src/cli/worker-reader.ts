// The producer's `getWorker` for `status`, without the rest of a producer: a read needs the store
// and one connection, not BullMQ's queues or the tracing API, which are most of what a producer
// costs to load. `status` is what scripts call in a loop, so its cold start is the one that counts
// (docs/cli.md). Same validation, same errors (RP-INVALID-INPUT, RP-REDIS-UNAVAILABLE) as the producer.

import { summarize } from '../lib/policy/summary.js';
import type { WorkerSummary } from '../lib/policy/types.js';
import { WorkerIdSchema } from '../lib/queues/catalog.js';
import { type ConnectionSpec, closeConnection, connect, describeConnection } from '../lib/redis.js';
import { keySpace } from '../lib/store/keys.js';
import { WorkerStore } from '../lib/store/worker-store.js';
import { isTransportError, redisUnavailable } from '../producers/transport-errors.js';
import { parseInput } from '../producers/validation.js';

export interface WorkerReader {
  getWorker(workerId: string): Promise<WorkerSummary | null>;
  disconnect(): Promise<void>;
}

export function createWorkerReader(opts: {
  connection: ConnectionSpec;
  prefix: string;
  partitions: number;
}): WorkerReader {
  const redis = connect(opts.connection, 'producer');
  // As the CLI's producer: the read fails with RP-REDIS-UNAVAILABLE, which says it all; no
  // unhandled error event from ioredis on stderr besides.
  redis.on('error', () => undefined);
  const store = new WorkerStore({ redis, keys: keySpace(opts.prefix, opts.partitions) });
  return {
    async getWorker(workerId) {
      const id = parseInput(WorkerIdSchema, workerId, 'workerId');
      try {
        const snapshot = await store.read(id);
        return snapshot ? summarize(snapshot.record) : null;
      } catch (err) {
        throw isTransportError(err) ? redisUnavailable(describeConnection(opts.connection), err) : err;
      }
    },
    disconnect: () => closeConnection(redis),
  };
}
