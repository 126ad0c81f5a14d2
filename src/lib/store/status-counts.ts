// Workers per status for the dashboard's overview: one ZCARD of each status index per partition
// (the index a listing pages through), summed over the partitions.

import { WORKER_STATUSES, type WorkerStatus } from '../policy/types.js';
import type { RedisClient } from '../redis.js';
import { allPartitions, type KeySpace } from './keys.js';

export async function countByStatus(
  redis: RedisClient,
  keys: KeySpace,
): Promise<Record<WorkerStatus, number>> {
  const counts = Object.fromEntries(WORKER_STATUSES.map((s) => [s, 0])) as Record<WorkerStatus, number>;
  await Promise.all(
    allPartitions(keys).flatMap((p) =>
      WORKER_STATUSES.map(async (status) => {
        counts[status] += await redis.zcard(keys.status(p, status));
      }),
    ),
  );
  return counts;
}
