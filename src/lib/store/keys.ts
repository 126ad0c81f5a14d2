// The Redis key layout, and the only place that names a key. A deployment has P partitions
// (RESUME_PARTITIONS, fixed for its lifetime); worker `id` lives in partition fnv1a(id) mod P, whose
// tag `{<prefix>:<p>}` starts every key of that worker: its document, its lock, its idempotency
// records, the index entries its commits move, and the BullMQ queues its jobs go through. One commit
// therefore touches one hash slot, on one Redis or on a Redis Cluster.

export const MAX_PARTITIONS = 1024;

export interface KeySpace {
  readonly prefix: string;
  readonly partitions: number;
  partitionOf(workerId: string): number;
  /** The BullMQ prefix of partition `p`'s queues (its keys are `<tag>:<queue>:...`). */
  queuePrefix(p: number): string;
  doc(workerId: string): string;
  lock(workerId: string): string;
  idempotency(workerId: string, keyHash: string): string;
  /** Early resumes kept for a running worker's next suspension (hash: job id -> entry, `last`). */
  inbox(workerId: string): string;
  /** Workers of a status (zset: worker id -> ms it entered that status; suspended: suspended_at_ms). */
  status(p: number, status: string): string;
  /** Suspended workers parked with one reason (zset: worker id -> suspended_at_ms). */
  reason(p: number, reason: string): string;
  /** The reasons that have (or lately had) a reason index in partition `p` (set of reason texts). */
  reasons(p: number): string;
  deadlines(p: number): string;
  pending(p: number): string;
  /**
   * Jobs quarantined as poison (zset: JSON [queue, job id, worker id] -> ms); their death counts in
   * the hash `<this key>:deaths` ("queue job-id" -> deaths).
   */
  quarantine(p: number): string;
  trigger(p: number, topic: string): string;
  /**
   * The fleet's metric totals (hash: counter and histogram bucket -> value), added to by every
   * consumer's periodic flush and read by `serve`'s /metrics. A tag of its own: one slot, one key.
   */
  metrics: string;
  /** One lease for the whole deployment (a single-key command: any slot will do). */
  reconcilerLease: string;
  /**
   * A key of partition `p`'s BullMQ queue, in BullMQ's own layout `<prefix>:<queue>:<suffix>` (what
   * `Queue.toKey` returns): the commit script removes an ended suspension's delayed timeout job.
   */
  queueKey(p: number, queue: string, suffix: string): string;
}

/** FNV-1a over the UTF-16 code units: fast, stable across processes and versions, well spread. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function keySpace(prefix: string, partitions = 1): KeySpace {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    throw new RangeError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${partitions}`);
  const tag = (p: number) => `{${prefix}:${p}}`;
  const partitionOf = (id: string) => (partitions === 1 ? 0 : fnv1a(id) % partitions);
  const of = (id: string) => tag(partitionOf(id));
  return {
    prefix,
    partitions,
    partitionOf,
    queuePrefix: tag,
    doc: (id) => `${of(id)}:w:${id}`,
    lock: (id) => `${of(id)}:lock:${id}`,
    idempotency: (id, keyHash) => `${of(id)}:idem:${id}:${keyHash}`,
    inbox: (id) => `${of(id)}:inbox:${id}`,
    status: (p, status) => `${tag(p)}:since:${status}`,
    reason: (p, reason) => `${tag(p)}:reason:${reasonKeyPart(reason)}`,
    reasons: (p) => `${tag(p)}:reasons`,
    deadlines: (p) => `${tag(p)}:deadlines`,
    pending: (p) => `${tag(p)}:pending`,
    quarantine: (p) => `${tag(p)}:quarantine`,
    trigger: (p, topic) => `${tag(p)}:trigger:${topic}`,
    metrics: `{${prefix}}:metrics`,
    reconcilerLease: `${tag(0)}:reconciler`,
    queueKey: (p, queue, suffix) => `${tag(p)}:${queue}:${suffix}`,
  };
}

/**
 * A reason as part of a key: itself when short and plain, else a digest of it (reasons are free
 * text; a key stays short and free of separators either way). Stable across processes.
 */
export function reasonKeyPart(reason: string): string {
  if (/^[A-Za-z0-9 _.,;!?'()/-]{0,48}$/.test(reason)) return reason;
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `#${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/** 0 .. P-1, for the fan-out of listings, counts and event lookups. */
export const allPartitions = (keys: KeySpace): number[] =>
  Array.from({ length: keys.partitions }, (_, p) => p);
