// Workers per status for the dashboard's overview: one ZCARD of each status index per partition
// (the index a listing pages through), summed over the partitions.

import { WORKER_STATUSES, type WorkerStatus } from '../policy/types.js';
import type { RedisClient } from '../redis.js';
import { allPartitions, type KeySpace } from './keys.js';

export async function countByStatus(
  redis: RedisClient,
  keys: KeySpace,
): Promise<Record<WorkerStatus, number>> {
  const perPartition = await Promise.all(
    allPartitions(keys).map((p) => Promise.all(WORKER_STATUSES.map((s) => redis.zcard(keys.status(p, s))))),
  );
  const counts = Object.fromEntries(WORKER_STATUSES.map((s) => [s, 0])) as Record<WorkerStatus, number>;
  for (const row of perPartition) for (const [i, s] of WORKER_STATUSES.entries()) counts[s] += row[i] ?? 0;
  return counts;
}
