// What the metrics read from and add to Redis: the partitions' gauges, read from the indexes with
// counting commands only (ZCARD, ZCOUNT, one ZRANGE of the oldest entry; no scan), and the fleet's
// counter totals, one hash every consumer's periodic flush adds its deltas to (one MULTI of
// HINCRBY/HINCRBYFLOAT on one key) and `serve` reads at scrape time (HGETALL).

import type { KeySpace } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** One partition's gauges at one time. */
export interface PartitionGauges {
  /** Suspended workers per reason (the reasons set, each reason index counted). */
  byReason: Map<string, number>;
  /** Suspended workers in all (the status index). */
  suspended: number;
  /** When the longest-suspended worker was suspended (ms), or null when none is. */
  oldestSuspendedAtMs: number | null;
  /** Armed timeouts due before `overdueBeforeMs`. */
  overdue: number;
  /** Quarantined (poison) jobs recorded since `quarantinedSinceMs`. */
  quarantined: number;
}

export class MetricReadings {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: KeySpace,
  ) {}

  /**
   * Partition `p`'s gauges: one pipeline of counting commands, then one ZCARD per reason. A reason
   * whose index is gone (no worker suspended with it any more) leaves the reasons set on the way.
   */
  async partitionGauges(
    p: number,
    at: { overdueBeforeMs: number; quarantinedSinceMs: number },
  ): Promise<PartitionGauges> {
    const suspendedKey = this.keys.status(p, 'suspended');
    const replies = await this.redis
      .pipeline()
      .smembers(this.keys.reasons(p))
      .zcard(suspendedKey)
      .zrange(suspendedKey, 0, 0, 'WITHSCORES')
      .zcount(this.keys.deadlines(p), '-inf', `(${at.overdueBeforeMs}`)
      .zcount(this.keys.quarantine(p), at.quarantinedSinceMs, '+inf')
      .exec();
    const [reasons, suspended, oldest, overdue, quarantined] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [string[], number, string[], number, number];
    const byReason = new Map<string, number>();
    if (reasons.length > 0) {
      const counted = reasons.reduce((pipe, r) => pipe.zcard(this.keys.reason(p, r)), this.redis.pipeline());
      const counts = (await counted.exec()) ?? [];
      const gone: string[] = [];
      reasons.forEach((reason, i) => {
        const [err, n] = counts[i] ?? [null, 0];
        if (err) throw err;
        if (Number(n) > 0) byReason.set(reason, Number(n));
        else gone.push(reason);
      });
      await Promise.all(
        gone.map((r) => this.redis.rpPruneReason(this.keys.reasons(p), this.keys.reason(p, r), r)),
      );
    }
    return {
      byReason,
      suspended,
      oldestSuspendedAtMs: oldest.length >= 2 ? Number(oldest[1]) : null,
      overdue,
      quarantined,
    };
  }

  /**
   * Adds one flush of deltas (series -> amount) to the fleet totals in one MULTI: counts (whole
   * numbers) with HINCRBY, a histogram's `_sum` with HINCRBYFLOAT.
   */
  async addTotals(deltas: ReadonlyMap<string, number>): Promise<void> {
    if (deltas.size === 0) return;
    const key = this.keys.metrics;
    const tx = this.redis.multi();
    // A histogram's sum is a float field: HINCRBY on it would fail even with a whole delta.
    for (const [series, amount] of deltas) {
      if (isSum(series)) tx.hincrbyfloat(key, series, amount);
      else tx.hincrby(key, series, Math.round(amount));
    }
    const replies = await tx.exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  /** The fleet totals: series -> value, as every consumer's flushes added them up. */
  async totals(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.metrics);
  }
}

const isSum = (series: string) => (series.split('{')[0] ?? '').endsWith('_sum');
