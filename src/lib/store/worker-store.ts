// Worker state in Redis, and every key that holds it (DESIGN §5). One Lua script per commit does
// the version compare-and-set, writes the changed fields, appends the event, moves the indexes and
// records the outbox; `settle` clears the outbox after the effects. Nothing outside src/lib/store/
// names a key; callers use these methods. Scripts are loaded once per connection (defineCommand).

import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { LifecycleEvent } from '../policy/decision.js';
import { jobIds } from '../policy/ids.js';
import type { Effect, Outbox, WorkerRecord, WorkerStatus } from '../policy/types.js';
import { QUEUE_NAMES } from '../queues/catalog.js';
import { allPartitions, type KeySpace } from './keys.js';
import {
  decodeRecord,
  diffFields,
  EVENTS_FIELD,
  encodeNext,
  type Fields,
  NAME_END,
  SEGMENT,
  splitDocument,
} from './record-codec.js';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), 'utf8');
const SCRIPTS = {
  rpCommit: { lua: lua('commit.lua') },
  rpSettle: { lua: lua('settle.lua') },
  rpLockRead: { lua: lua('lock-read.lua') },
  rpExtendLock: { numberOfKeys: 1, lua: lua('extend-lock-1.lua') },
  rpReleaseLock: { numberOfKeys: 1, lua: lua('release-lock-1.lua') },
  rpTakeLease: { numberOfKeys: 1, lua: lua('take-lease-1.lua') },
  rpReleaseLease: { numberOfKeys: 1, lua: lua('release-lease-1.lua') },
} as const;

type ScriptArgs = (string | number)[];
interface ScriptedRedis extends Redis {
  rpCommit(numberOfKeys: number, ...args: ScriptArgs): Promise<[number, number, string?]>;
  rpSettle(numberOfKeys: number, ...args: ScriptArgs): Promise<number[]>;
  rpLockRead(numberOfKeys: number, ...args: ScriptArgs): Promise<[0] | [1, string | null, string | null]>;
  rpExtendLock(...args: ScriptArgs): Promise<number>;
  rpReleaseLock(...args: ScriptArgs): Promise<number>;
  rpTakeLease(...args: ScriptArgs): Promise<number>;
  rpReleaseLease(...args: ScriptArgs): Promise<number>;
}

function withScripts(redis: Redis): ScriptedRedis {
  for (const [name, def] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, def);
  }
  return redis as ScriptedRedis;
}

/** A record as read, with its stored fields: a commit sends only what differs from them. */
export interface Snapshot {
  record: WorkerRecord;
  fields: Fields;
}

export type CommitResult =
  | { ok: true; outbox: Outbox | null }
  | { ok: false; currentVersion: number | null; currentStatus: string | null };

export interface StoredEvent {
  type: string;
  version: number;
  atMs: number;
  data: unknown;
}

export interface TriggerBinding {
  workerId: string;
  epoch: number;
}

export interface WorkerStoreOptions {
  /**
   * Reads, commits, settles. The effects must go out on this same connection (the queues'), so a
   * settle sent after them reaches Redis after them.
   */
  redis: Redis;
  keys: KeySpace;
  /** Lifecycle events kept per worker (default 32). */
  eventsKept?: number;
}

/** Settles of one partition waiting for the next tick (one script for all of them). */
interface SettleBatch {
  keys: string[];
  args: ScriptArgs;
  waiting: { resolve(reply: number): void; reject(err: unknown): void }[];
}

/** Items per settle script at most (a larger turn sends more than one). */
const MAX_SETTLE_BATCH = 256;

export class WorkerStore {
  readonly keys: KeySpace;
  private readonly redis: ScriptedRedis;
  private readonly eventsKept: number;
  private readonly settles = new Map<number, SettleBatch>();
  private settleScheduled = false;

  constructor(opts: WorkerStoreOptions) {
    this.redis = withScripts(opts.redis);
    this.keys = opts.keys;
    this.eventsKept = opts.eventsKept ?? 32;
  }

  async read(id: string): Promise<Snapshot | null> {
    return toSnapshot(id, await this.redis.get(this.keys.doc(id)));
  }

  /** The record and an idempotency record of the same worker, in one command (same slot). */
  async readWithIdempotency(id: string, keyHash: string): Promise<[Snapshot | null, string | null]> {
    const [doc, idem] = await this.redis.mget(this.keys.doc(id), this.keys.idempotency(id, keyHash));
    return [toSnapshot(id, doc ?? null), idem ?? null];
  }

  /**
   * Takes the worker's lock (kept in its partition) and reads the record, and the idempotency
   * record when asked, in one script. null when another holder has the lock.
   */
  async lockAndRead(
    id: string,
    lockValue: string,
    ttlMs: number,
    keyHash?: string,
  ): Promise<{ snapshot: Snapshot | null; idempotency: string | null } | null> {
    const keys = [this.keys.lock(id), this.keys.doc(id)];
    if (keyHash !== undefined) keys.push(this.keys.idempotency(id, keyHash));
    const reply = await this.redis.rpLockRead(keys.length, ...keys, lockValue, ttlMs);
    if (reply[0] === 0) return null;
    return { snapshot: toSnapshot(id, reply[1] ?? null), idempotency: reply[2] ?? null };
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
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.get(this.keys.doc(id));
    const replies = (await pipe.exec()) ?? [];
    return replies.map(([err, doc], i) => {
      if (err) throw err;
      return toSnapshot(ids[i] ?? '', (doc as string | null) ?? null);
    });
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.doc(id))) === 1;
  }

  /**
   * Writes `next` only if the stored version is still the one `prev` was read at (no `prev`: the
   * worker must not exist). With effects, the outbox and the pending mark are written too.
   */
  async commit(
    prev: Snapshot | null,
    next: WorkerRecord,
    change: { effects: Effect[]; event: LifecycleEvent; requestId: string; nowMs: number },
  ): Promise<CommitResult> {
    const outbox: Outbox | null =
      change.effects.length > 0
        ? { version: next.version, requestId: change.requestId, effects: change.effects }
        : null;
    const fields = encodeNext(prev, next, outbox);
    const { set, del } = diffFields(prev?.fields ?? null, fields);
    const id = next.id;
    const p = this.keys.partitionOf(id);
    const before = prev?.record ?? null;
    const from = bindings(before);
    const to = bindings(next);
    const drop = from.topics.filter((t) => !to.topics.includes(t));
    const add = to.epoch === from.epoch ? to.topics.filter((t) => !from.topics.includes(t)) : to.topics;
    const endedTimeout = endedTimeoutJob(before, next);
    const keys = [
      this.keys.doc(id),
      this.keys.status(p, before?.status ?? next.status),
      this.keys.status(p, next.status),
      this.keys.deadlines(p),
      this.keys.pending(p),
      ...(endedTimeout
        ? [
            this.keys.queueKey(p, QUEUE_NAMES.timeout, 'delayed'),
            this.keys.queueKey(p, QUEUE_NAMES.timeout, endedTimeout),
            this.keys.queueKey(p, QUEUE_NAMES.timeout, `${endedTimeout}:logs`),
          ]
        : []),
      ...drop.map((t) => this.keys.trigger(p, t)),
      ...add.map((t) => this.keys.trigger(p, t)),
    ];
    const event = JSON.stringify(
      change.event.data
        ? [change.event.type, next.version, change.nowMs, change.event.data]
        : [change.event.type, next.version, change.nowMs],
    );
    const [ok, version, status] = await this.redis.rpCommit(
      keys.length,
      ...keys,
      prev ? String(prev.record.version) : '',
      String(next.version),
      next.status,
      id,
      event,
      this.eventsKept,
      deadlineChange(before, next),
      outbox ? change.nowMs : '',
      drop.length,
      add.length,
      to.epoch ?? '',
      endedTimeout ?? '',
      set.map(([name, value]) => name + NAME_END + value).join(SEGMENT),
      del.join(SEGMENT),
    );
    if (ok === 1) return { ok: true, outbox };
    return { ok: false, currentVersion: version < 0 ? null : version, currentStatus: status || null };
  }

  /**
   * Clears the outbox written at `version` and its pending mark; with `lockValue`, the same script
   * releases the worker's lock. Sent on the effects' connection, after them. With `effects`, it
   * first checks that the jobs they add exist, and answers -1 without changing anything when one
   * does not: sent right behind the adds, without waiting for them, it settles only what is done.
   *
   * The settles asked for within one turn of the job queue (the resumes whose commits came back in
   * one batch of replies) go out as one script per partition on the next tick.
   */
  settle(
    id: string,
    version: number,
    lockValue: string | null = null,
    effects: readonly Effect[] = [],
  ): Promise<number> {
    const p = this.keys.partitionOf(id);
    const jobs: string[] = [];
    for (const effect of effects) {
      if (effect.kind === 'respawn')
        jobs.push(this.keys.queueKey(p, QUEUE_NAMES.tasks, jobIds.respawn(id, version)));
      else if (effect.kind === 'armTimeout')
        jobs.push(this.keys.queueKey(p, QUEUE_NAMES.timeout, jobIds.timeout(id, effect.epoch)));
    }
    let batch = this.settles.get(p);
    if (!batch) {
      batch = { keys: [this.keys.pending(p)], args: [], waiting: [] };
      this.settles.set(p, batch);
      if (!this.settleScheduled) {
        this.settleScheduled = true;
        process.nextTick(() => this.sendSettles());
      }
    }
    batch.keys.push(this.keys.doc(id), this.keys.lock(id), ...jobs);
    batch.args.push(version, id, lockValue ?? '', jobs.length);
    const reply = new Promise<number>((resolve, reject) => batch.waiting.push({ resolve, reject }));
    if (batch.waiting.length >= MAX_SETTLE_BATCH) {
      this.settles.delete(p);
      this.sendSettle(batch);
    }
    return reply;
  }

  private sendSettles(): void {
    this.settleScheduled = false;
    const batches = [...this.settles.values()];
    this.settles.clear();
    for (const batch of batches) this.sendSettle(batch);
  }

  private sendSettle(batch: SettleBatch): void {
    this.redis.rpSettle(batch.keys.length, ...batch.keys, batch.waiting.length, ...batch.args).then(
      (replies) => {
        batch.waiting.forEach((w, i) => {
          w.resolve(Number(replies[i]));
        });
      },
      (err: unknown) => {
        for (const w of batch.waiting) w.reject(err);
      },
    );
  }

  /** Drops the pending mark of a worker whose outbox is gone (the reconciler's cleanup). */
  async clearPendingMark(id: string): Promise<void> {
    await this.settle(id, -1);
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

  async idsWithStatus(status: WorkerStatus): Promise<string[]> {
    const lists = await Promise.all(
      allPartitions(this.keys).map((p) => this.redis.smembers(this.keys.status(p, status))),
    );
    return lists.flat();
  }

  async allIds(statuses: readonly WorkerStatus[]): Promise<string[]> {
    const lists = await Promise.all(statuses.map((s) => this.idsWithStatus(s)));
    return lists.flat();
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

  /**
   * Deletes every key of this deployment: its workers, indexes and queues (all under its partition
   * tags). For the demo and tests on a shared Redis; never called by the engine.
   */
  async purge(): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(
        cursor,
        'MATCH',
        `{${this.keys.prefix}:*}:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (found.length > 0) deleted += await this.redis.unlink(...found);
    } while (cursor !== '0');
    return deleted;
  }

  /** Partition `p`'s index keys (diagnostics: memory). */
  indexKeys(p: number): { suspended: string; deadlines: string; pending: string } {
    return {
      suspended: this.keys.status(p, 'suspended'),
      deadlines: this.keys.deadlines(p),
      pending: this.keys.pending(p),
    };
  }

  /** Every key that holds something of this worker (diagnostics: memory, chaos checks). */
  workerKeys(id: string): { doc: string; lock: string } {
    return { doc: this.keys.doc(id), lock: this.keys.lock(id) };
  }
}

function toSnapshot(id: string, doc: string | null): Snapshot | null {
  if (doc === null) return null;
  const fields = splitDocument(doc);
  return { record: decodeRecord(id, fields), fields };
}

/** The trigger topics a record's current suspension is bound to, and its epoch. */
function bindings(record: WorkerRecord | null): { topics: string[]; epoch: number | null } {
  const s = record?.status === 'suspended' ? record.suspension : null;
  const topics = s?.auto_resume_trigger?.match_events ?? [];
  return { topics: [...new Set(topics)], epoch: s ? s.epoch : null };
}

/** The timeout job of a suspension that `after` ends (or replaces by another epoch). */
function endedTimeoutJob(before: WorkerRecord | null, after: WorkerRecord): string | null {
  const was = before?.status === 'suspended' ? before.suspension : null;
  if (was?.deadline_ms === undefined) return null;
  const now = after.status === 'suspended' ? after.suspension : null;
  if (now?.deadline_ms !== undefined && now.epoch === was.epoch) return null;
  return jobIds.timeout(after.id, was.epoch);
}

const armedDeadline = (record: WorkerRecord | null) =>
  record?.status === 'suspended' ? record.suspension?.deadline_ms : undefined;

function deadlineChange(before: WorkerRecord | null, after: WorkerRecord): string {
  const was = armedDeadline(before);
  const now = armedDeadline(after);
  if (now === undefined) return was === undefined ? '' : '-';
  return now === was ? '' : String(now);
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}
