// Worker state in Redis, and every key that holds it (DESIGN §5). One Lua script per commit does
// the version compare-and-set, writes the changed fields, appends the event, moves the indexes,
// enqueues the jobs the change implies and ends the request (lock, idempotency outcome); only
// PostResume hooks are left in an outbox, which `settle` clears after them. Nothing outside
// src/lib/store/ names a key; callers use these methods. Scripts are loaded once per connection
// (defineCommand).

import type { Outbox, WorkerRecord } from '../policy/types.js';
import { effectJobs, type JobAdd } from '../queues/job-adds.js';
import { dataNodes, type RedisClient } from '../redis.js';
import { type CommitChange, commitCall } from './commit-call.js';
import { type DurabilityOptions, ReplicaWait } from './durability.js';
import { type Inbox, Inboxes, parseInbox } from './inbox.js';
import { jobCalls } from './job-call.js';
import type { KeySpace } from './keys.js';
import { MetricReadings } from './metric-readings.js';
import { PartitionIndexes } from './partition-indexes.js';
import { decodeRecord, EVENTS_FIELD, type Fields, splitDocument } from './record-codec.js';
import { type ScriptedRedis, withScripts } from './scripts.js';

/** A record as read, with its stored fields: a commit sends only what differs from them. */
export interface Snapshot {
  record: WorkerRecord;
  fields: Fields;
}

export type CommitResult =
  | { ok: true; outbox: Outbox | null }
  | {
      ok: false;
      currentVersion: number | null;
      currentStatus: string | null;
      /** The job making the change is no longer this consumer's (its lock is not the token). */
      jobLost?: true;
    };

export interface StoredEvent {
  type: string;
  version: number;
  atMs: number;
  data: unknown;
}

export interface WorkerStoreOptions {
  /** Reads, commits (with their job adds), settles. */
  redis: RedisClient;
  keys: KeySpace;
  /** Lifecycle events kept per worker (default 32). */
  eventsKept?: number;
  /** 'replicated': commits, settles and enqueues wait for a replica (WAIT) before they return. */
  durability?: DurabilityOptions;
}

export class WorkerStore {
  readonly keys: KeySpace;
  private readonly redis: ScriptedRedis;
  private readonly eventsKept: number;
  private readonly replicated: ReplicaWait;
  /** The partitions' indexes: deadlines, pending marks, trigger bindings, listing pages, the lease. */
  readonly indexes: PartitionIndexes;
  /** The workers' inboxes of early resumes (kept, expired; read with the record by `readWithInbox`). */
  readonly inbox: Inboxes;
  /** The metrics' gauges read from the indexes, and the fleet's counter totals. */
  readonly metrics: MetricReadings;

  constructor(opts: WorkerStoreOptions) {
    this.redis = withScripts(opts.redis);
    this.keys = opts.keys;
    this.eventsKept = opts.eventsKept ?? 32;
    this.replicated = new ReplicaWait(opts.durability);
    this.indexes = new PartitionIndexes(this.redis, this.keys);
    this.inbox = new Inboxes(this.redis, this.keys, this.replicated);
    this.metrics = new MetricReadings(this.redis, this.keys);
  }

  async read(id: string): Promise<Snapshot | null> {
    return toSnapshot(id, await this.redis.get(this.keys.doc(id)));
  }

  /** The record and an idempotency record of the same worker, in one command (same slot). */
  async readWithIdempotency(id: string, keyHash: string): Promise<[Snapshot | null, string | null]> {
    const [doc, idem] = await this.redis.mget(this.keys.doc(id), this.keys.idempotency(id, keyHash));
    return [toSnapshot(id, doc ?? null), idem ?? null];
  }

  /** The record and the worker's inbox of early resumes, in one round trip (same slot). */
  async readWithInbox(id: string): Promise<[Snapshot | null, Inbox]> {
    const replies = await this.redis.multi().get(this.keys.doc(id)).hgetall(this.keys.inbox(id)).exec();
    const [docReply, inboxReply] = replies ?? [];
    if (docReply?.[0]) throw docReply[0];
    if (inboxReply?.[0]) throw inboxReply[0];
    const doc = (docReply?.[1] as string | null) ?? null;
    return [toSnapshot(id, doc), parseInbox((inboxReply?.[1] ?? {}) as Record<string, string>)];
  }

  /**
   * Takes the worker's lock (kept in its partition) and reads the record, and the idempotency
   * record when asked, in one script, with Redis's clock at the read. null when another holder has
   * the lock.
   */
  async lockAndRead(
    id: string,
    lockValue: string,
    ttlMs: number,
    keyHash?: string,
  ): Promise<{ snapshot: Snapshot | null; idempotency: string | null; serverMs: number } | null> {
    const keys = [this.keys.lock(id), this.keys.doc(id)];
    if (keyHash !== undefined) keys.push(this.keys.idempotency(id, keyHash));
    const reply = await this.redis.rpLockRead(keys.length, ...keys, lockValue, ttlMs);
    if (reply[0] === 0) return null;
    return {
      snapshot: toSnapshot(id, reply[1] ?? null),
      idempotency: reply[2] ?? null,
      serverMs: timeMs(reply[3], reply[4]),
    };
  }

  /** The key of a worker's lock (also the Redlock resource name with a quorum). */
  lockKey(id: string): string {
    return this.keys.lock(id);
  }

  async extendLock(id: string, lockValue: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.rpExtendLock(this.keys.lock(id), lockValue, ttlMs)) === 1;
  }

  /** Releases the lock if `lockValue` still holds it. */
  releaseLock(id: string, lockValue: string): Promise<number> {
    return this.redis.rpReleaseLock(this.keys.lock(id), lockValue);
  }

  async readMany(ids: readonly string[]): Promise<(Snapshot | null)[]> {
    if (ids.length === 0) return [];
    // One MGET per partition: a multi-key command must stay in one hash slot on a cluster.
    const byPartition = new Map<number, number[]>();
    ids.forEach((id, i) => {
      const p = this.keys.partitionOf(id);
      byPartition.set(p, [...(byPartition.get(p) ?? []), i]);
    });
    const out: (Snapshot | null)[] = new Array(ids.length).fill(null);
    await Promise.all(
      [...byPartition.values()].map(async (indexes) => {
        for (let from = 0; from < indexes.length; from += 500) {
          const chunk = indexes.slice(from, from + 500);
          const docs = await this.redis.mget(...chunk.map((i) => this.keys.doc(ids[i] as string)));
          chunk.forEach((i, j) => {
            out[i] = toSnapshot(ids[i] as string, docs[j] ?? null);
          });
        }
      }),
    );
    return out;
  }

  /** Redis's own clock (TIME), in ms: the reference a timeout's deadline is checked against. */
  async serverTimeMs(): Promise<number> {
    const [seconds = 0, micros = 0] = await this.redis.time();
    return timeMs(seconds, micros);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.doc(id))) === 1;
  }

  /**
   * Writes `next` only if the stored version is still the one `prev` was read at (no `prev`: the
   * worker must not exist). With effects, the outbox and the pending mark are written too.
   */
  async commit(prev: Snapshot | null, next: WorkerRecord, change: CommitChange): Promise<CommitResult> {
    const call = commitCall(this.keys, prev, next, change, this.eventsKept);
    const [ok, version, status] = await this.replicated.write(
      this.redis,
      'commit',
      this.keys.doc(next.id),
      (r) => r.rpCommit(call.keys.length, ...call.keys, ...call.args),
    );
    const outbox = call.outbox;
    if (ok === 1) return { ok: true, outbox };
    return {
      ok: false,
      currentVersion: version < 0 ? null : version,
      currentStatus: status || null,
      ...(ok === -1 ? { jobLost: true as const } : {}),
    };
  }

  /**
   * Clears the outbox `record` holds (once its PostResume hooks ran) and its pending mark, while the
   * record is still at the outbox's version; with `lockValue`, the same script releases the worker's
   * lock. Jobs an outbox still names (written before commits enqueued their own) are added first.
   * Resolves 1 when settled, 0 when the record moved on or holds no outbox.
   */
  settle(record: WorkerRecord, outbox: Outbox, lockValue: string | null, nowMs: number): Promise<number> {
    return this.settleCall(
      record.id,
      outbox.version,
      lockValue,
      effectJobs(record, outbox.effects, nowMs),
      nowMs,
    );
  }

  private settleCall(
    id: string,
    version: number,
    lockValue: string | null,
    adds: readonly JobAdd[],
    nowMs: number,
  ): Promise<number> {
    const p = this.keys.partitionOf(id);
    const jobs = jobCalls(this.keys, p, adds);
    const keys = [this.keys.doc(id), this.keys.lock(id), this.keys.pending(p), ...jobs.keys];
    return this.replicated.write(this.redis, 'settle', this.keys.doc(id), (r) =>
      r.rpSettle(keys.length, ...keys, version, id, lockValue ?? '', nowMs, jobs.count, ...jobs.args),
    );
  }

  /**
   * Adds a request job for worker `id` if the worker exists, in one script (the job goes on the
   * worker's partition's queue). 'added', 'exists' (a job with that id is there already) or
   * 'no-worker' (nothing added).
   */
  async enqueue(id: string, add: JobAdd, nowMs: number): Promise<'added' | 'exists' | 'no-worker'> {
    const jobs = jobCalls(this.keys, this.keys.partitionOf(id), [add]);
    const keys = [this.keys.doc(id), ...jobs.keys];
    const reply = await this.replicated.write(this.redis, 'enqueue', this.keys.doc(id), (r) =>
      r.rpEnqueue(keys.length, ...keys, nowMs, ...jobs.args),
    );
    return reply === 1 ? 'added' : reply === 0 ? 'exists' : 'no-worker';
  }

  /** Drops the pending mark of a worker whose outbox is gone (the reconciler's cleanup). */
  async clearPendingMark(id: string): Promise<void> {
    await this.settleCall(id, -1, null, [], 0);
  }

  /** The stored first outcome of an idempotency key (raw JSON), or null. */
  idempotencyRecord(id: string, keyHash: string): Promise<string | null> {
    return this.redis.get(this.keys.idempotency(id, keyHash));
  }

  /** Keeps the first outcome of a key (NX: a later writer never overwrites what callers saw). */
  rememberIdempotency(id: string, keyHash: string, value: string, ttlMs: number): Promise<'OK' | null> {
    return this.redis.set(this.keys.idempotency(id, keyHash), value, 'PX', ttlMs, 'NX');
  }

  /** The worker's lifecycle events, oldest first (the last `eventsKept` of them). */
  async events(id: string): Promise<StoredEvent[]> {
    const doc = await this.redis.get(this.keys.doc(id));
    const log = doc ? splitDocument(doc).get(EVENTS_FIELD) : undefined;
    if (!log) return [];
    return log.split('\n').map((line) => {
      const [type, version, atMs, data] = JSON.parse(line) as [string, number, number, unknown?];
      return { type, version, atMs, data: data ?? {} };
    });
  }

  /**
   * Deletes every key of this deployment: its workers, indexes and queues (all under its partition
   * tags). For the demo and tests on a shared Redis; never called by the engine.
   */
  async purge(): Promise<number> {
    let deleted = 0;
    // Every server that holds data (each master of a cluster), and one UNLINK per key: the keys a
    // scan returns span many slots.
    for (const node of dataNodes(this.redis)) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `{${this.keys.prefix}:*}:*`, 'COUNT', 1000);
        cursor = next;
        const counts = await Promise.all(found.map((key) => node.unlink(key)));
        deleted += counts.reduce((a, b) => a + b, 0);
      } while (cursor !== '0');
    }
    return deleted;
  }

  /** Every key that holds something of this worker (diagnostics: memory, chaos checks). */
  workerKeys(id: string): { doc: string; lock: string } {
    return { doc: this.keys.doc(id), lock: this.keys.lock(id) };
  }
}

/** A TIME reply in ms. */
const timeMs = (seconds: string | number, micros: string | number) =>
  Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);

function toSnapshot(id: string, doc: string | null): Snapshot | null {
  if (doc === null) return null;
  const fields = splitDocument(doc);
  return { record: decodeRecord(id, fields), fields };
}
