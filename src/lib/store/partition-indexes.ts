// The partitions' indexes (DESIGN §5): the deadline, pending and trigger indexes the reconciler,
// the timeout waker and event delivery read, the status and reason indexes listings page through,
// and the reconciler's lease. Every entry is written by the commit script with the record it
// indexes (worker-store.ts); what is here reads them, or repairs one the record does not back.

import type { WorkerStatus } from '../policy/types.js';
import { QUEUE_NAMES } from '../queues/catalog.js';
import { allPartitions, type KeySpace } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

export interface TriggerBinding {
  workerId: string;
  epoch: number;
}

/** An index a listing can read (see WorkerStore.indexKey). */
export type ListIndex =
  | { kind: 'status'; status: WorkerStatus }
  | { kind: 'reason'; reason: string }
  | { kind: 'deadline' };

/** A worker's place in an index. */
export interface IndexEntry {
  id: string;
  score: number;
}

/** A job quarantined as poison: it stays in its queue's failed set; the worker keeps its state. */
export interface QuarantinedJob {
  queue: string;
  jobId: string;
  workerId: string;
  /** How many times a consumer died running it. */
  deaths: number;
  /** When it was quarantined (ms). */
  atMs: number;
}

export class PartitionIndexes {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: KeySpace,
  ) {}

  /**
   * The index a listing reads, in partition `p`: workers of a status (score: when they entered
   * it; a suspended worker's suspended_at), suspended workers of one reason (score: suspended_at),
   * or armed timeouts (score: deadline).
   */
  private indexKey(p: number, index: ListIndex): string {
    if (index.kind === 'status') return this.keys.status(p, index.status);
    if (index.kind === 'reason') return this.keys.reason(p, index.reason);
    return this.keys.deadlines(p);
  }

  /**
   * One page of an index in partition `p`, in (score, id) order: entries with a score in
   * [min, max] after `after`, at most `limit`. O(log N + limit) (plus the ties at `after`'s score).
   */
  async page(
    p: number,
    index: ListIndex,
    range: { min: number; max: number; after: IndexEntry | null; limit: number },
  ): Promise<IndexEntry[]> {
    const bound = (n: number) =>
      n === Number.POSITIVE_INFINITY ? '+inf' : n === Number.NEGATIVE_INFINITY ? '-inf' : n;
    const flat = await this.redis.rpPage(
      this.indexKey(p, index),
      bound(range.min),
      bound(range.max),
      range.after?.score ?? '',
      range.after?.id ?? '',
      range.limit,
    );
    return pairs(flat).map(([id, score]) => ({ id, score: Number(score) }));
  }

  /** Workers whose current suspension waits for events of `topic`, over every partition. */
  async triggerBindings(topic: string): Promise<TriggerBinding[]> {
    const maps = await Promise.all(
      allPartitions(this.keys).map((p) => this.redis.hgetall(this.keys.trigger(p, topic))),
    );
    return maps.flatMap((m) =>
      Object.entries(m).map(([workerId, epoch]) => ({ workerId, epoch: Number(epoch) })),
    );
  }

  /** Armed timeouts of partition `p` due at or before `ms`: worker id and deadline. */
  async deadlinesDue(p: number, ms: number, limit: number): Promise<{ workerId: string; dueAtMs: number }[]> {
    const flat = await this.redis.zrangebyscore(
      this.keys.deadlines(p),
      '-inf',
      ms,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    return pairs(flat).map(([workerId, score]) => ({ workerId, dueAtMs: Number(score) }));
  }

  /** Deadlines of partition `p` in [fromMs, toMs], in order. */
  async deadlinesBetween(p: number, fromMs: number, toMs: number, limit: number): Promise<number[]> {
    const flat = await this.redis.zrangebyscore(
      this.keys.deadlines(p),
      fromMs,
      toMs,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    return pairs(flat).map(([, score]) => Number(score));
  }

  /**
   * Wakes partition `p`'s timeout workers now, the way a job add does (BullMQ's "a job is ready"
   * marker): a worker blocked until the next delayed job would otherwise notice it only at Redis's
   * next timer tick (up to 100 ms late at the default `hz 10`).
   */
  async wakeTimeoutWorkers(p: number): Promise<void> {
    await this.redis.zadd(this.keys.queueKey(p, QUEUE_NAMES.timeout, 'marker'), 0, '0');
  }

  async countArmedTimeouts(): Promise<number> {
    const counts = await Promise.all(
      allPartitions(this.keys).map((p) => this.redis.zcard(this.keys.deadlines(p))),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Repairs a deadline entry the record does not back (defensive: commits keep them in step). */
  async dropDeadline(id: string): Promise<void> {
    await this.redis.zrem(this.keys.deadlines(this.keys.partitionOf(id)), id);
  }

  /** Puts back the deadline the record holds, over a wrong score. */
  async repairDeadline(id: string, deadlineMs: number): Promise<void> {
    await this.redis.zadd(this.keys.deadlines(this.keys.partitionOf(id)), 'XX', deadlineMs, id);
  }

  /**
   * Records a job quarantined as poison (its consumer died `deaths` times running it). One entry per
   * job: a job quarantined again (its consumer died between the entry and the failure, and it was
   * redelivered) keeps its first time and gets its latest death count. Entries older than `keptMs`
   * (the failed set's retention) are dropped on the way.
   */
  async quarantine(entry: QuarantinedJob, keptMs: number): Promise<void> {
    const key = this.keys.quarantine(this.keys.partitionOf(entry.workerId));
    const deathsKey = `${key}:deaths`;
    const expired = await this.redis.zrangebyscore(key, '-inf', entry.atMs - keptMs);
    const tx = this.redis.multi();
    if (expired.length > 0) tx.zrem(key, ...expired).hdel(deathsKey, ...expired.map(jobOf));
    const member = JSON.stringify([entry.queue, entry.jobId, entry.workerId]);
    await tx.zadd(key, 'NX', entry.atMs, member).hset(deathsKey, jobOf(member), entry.deaths).exec();
  }

  /** The quarantined jobs of every partition, oldest first (at most `limit`). */
  async quarantined(limit: number): Promise<QuarantinedJob[]> {
    const lists = await Promise.all(
      allPartitions(this.keys).map(async (p) => {
        const key = this.keys.quarantine(p);
        const flat = await this.redis.zrange(key, 0, limit - 1, 'WITHSCORES');
        const members = pairs(flat);
        const deaths =
          members.length > 0
            ? await this.redis.hmget(`${key}:deaths`, ...members.map(([m]) => jobOf(m)))
            : [];
        return members.map(([member, score], i) => ({ member, score, deaths: deaths[i] ?? null }));
      }),
    );
    const out: QuarantinedJob[] = [];
    for (const { member, score, deaths } of lists.flat()) {
      // An entry written before the death count moved to its own hash carries it as a 4th element.
      const [queue, jobId, workerId, old] = JSON.parse(member) as [string, string, string, number?];
      out.push({
        queue,
        jobId,
        workerId,
        deaths: deaths === null ? (old ?? 0) : Number(deaths),
        atMs: Number(score),
      });
    }
    return out.sort((a, b) => a.atMs - b.atMs).slice(0, limit);
  }

  /** Commits of partition `p` whose outbox was not settled by `ms`: their committer may be gone. */
  pendingSince(p: number, ms: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.pending(p), '-inf', ms, 'LIMIT', 0, limit);
  }

  async countPending(): Promise<number> {
    const counts = await Promise.all(
      allPartitions(this.keys).map((p) => this.redis.zcard(this.keys.pending(p))),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async takeLease(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.rpTakeLease(this.keys.reconcilerLease, owner, ttlMs)) === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.redis.rpReleaseLease(this.keys.reconcilerLease, owner);
  }

  /** Partition `p`'s index keys (diagnostics: memory). */
  indexKeys(
    p: number,
    reason = '',
  ): { suspended: string; reason: string; deadlines: string; pending: string } {
    return {
      suspended: this.keys.status(p, 'suspended'),
      reason: this.keys.reason(p, reason),
      deadlines: this.keys.deadlines(p),
      pending: this.keys.pending(p),
    };
  }
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/** A quarantine entry's job, "queue job-id": the field of its death count. */
function jobOf(member: string): string {
  const [queue, jobId] = JSON.parse(member) as [string, string];
  return `${queue} ${jobId}`;
}
