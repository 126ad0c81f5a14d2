// Worker records in Redis. Every state change is one Lua compare-and-set on the version (the
// fencing token) that also appends the lifecycle event; indexes follow after commit, idempotently.

import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { ResumeProcessorError, RpCode } from '../errors.js';
import type { Outbox, WorkerRecord, WorkerStatus } from '../policy/types.js';
import { type KeySpace, keySpace } from './keys.js';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), 'utf8');
const SCRIPTS = {
  rpCommit: { numberOfKeys: 2, lua: lua('commit-2.lua') },
  rpClearOutbox: { numberOfKeys: 1, lua: lua('clear-outbox-1.lua') },
  rpSyncIndex: { numberOfKeys: 2, lua: lua('sync-index-2.lua') },
} as const;

interface ScriptedRedis extends Redis {
  rpCommit(...args: (string | number)[]): Promise<[number, number]>;
  rpClearOutbox(...args: (string | number)[]): Promise<number>;
  rpSyncIndex(...args: (string | number)[]): Promise<number>;
}

export interface StoredWorker {
  record: WorkerRecord;
}

export type CommitResult = { ok: true; version: number } | { ok: false; currentVersion: number | null };

export interface LifecycleEvent {
  type: string;
  data?: Record<string, unknown>;
}

const WORKER_STREAM_MAXLEN = 200;
const GLOBAL_STREAM_MAXLEN = 100_000;

export class WorkerStore {
  readonly keys: KeySpace;
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis, prefix: string) {
    for (const [name, def] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, def);
    }
    this.redis = redis as ScriptedRedis;
    this.keys = keySpace(prefix);
  }

  get client(): Redis {
    return this.redis;
  }

  async read(id: string): Promise<WorkerRecord | null> {
    const [doc, ob] = await this.redis.hmget(this.keys.worker(id), 'doc', 'ob');
    return doc ? decode(id, doc, ob ?? null) : null;
  }

  async readMany(ids: readonly string[]): Promise<(WorkerRecord | null)[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.keys.worker(id), 'doc', 'ob');
    const replies = (await pipe.exec()) ?? [];
    return replies.map(([err, value], i) => {
      if (err) throw err;
      const [doc, ob] = value as [string | null, string | null];
      return doc ? decode(ids[i] ?? '', doc, ob) : null;
    });
  }

  /** Writes `next` only if the stored version is still `expectedVersion` (null: must not exist). */
  async commit(
    expectedVersion: number | null,
    next: WorkerRecord,
    event: LifecycleEvent,
  ): Promise<CommitResult> {
    const { outbox, ...doc } = next;
    const [ok, version] = await this.redis.rpCommit(
      this.keys.worker(next.id),
      this.keys.workerEvents(next.id),
      expectedVersion === null ? '-' : String(expectedVersion),
      String(next.version),
      next.status,
      JSON.stringify(doc),
      outbox ? JSON.stringify(outbox) : '',
      event.type,
      JSON.stringify(event.data ?? {}),
      WORKER_STREAM_MAXLEN,
    );
    return ok === 1 ? { ok: true, version } : { ok: false, currentVersion: version < 0 ? null : version };
  }

  async clearOutbox(id: string, version: number): Promise<boolean> {
    return (await this.redis.rpClearOutbox(this.keys.worker(id), String(version))) === 1;
  }

  /** Moves the worker in the status index and appends the global event; stale calls are no-ops. */
  async syncIndex(
    record: Pick<WorkerRecord, 'id' | 'version' | 'status'>,
    event?: LifecycleEvent,
  ): Promise<boolean> {
    const applied = await this.redis.rpSyncIndex(
      this.keys.indexVersions,
      this.keys.events,
      record.id,
      String(record.version),
      record.status,
      this.keys.status(''),
      event?.type ?? '',
      JSON.stringify(event?.data ?? {}),
      GLOBAL_STREAM_MAXLEN,
    );
    return applied === 1;
  }

  async idsWithStatus(status: WorkerStatus): Promise<string[]> {
    return this.redis.smembers(this.keys.status(status));
  }

  async allIds(): Promise<string[]> {
    return this.redis.hkeys(this.keys.indexVersions);
  }

  async events(id: string, count = 100): Promise<{ type: string; version: number; data: unknown }[]> {
    const entries = await this.redis.xrange(this.keys.workerEvents(id), '-', '+', 'COUNT', count);
    return entries.map(([, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? '', fields[i + 1] ?? '');
      return {
        type: map.get('type') ?? '',
        version: Number(map.get('version')),
        data: JSON.parse(map.get('data') ?? '{}'),
      };
    });
  }
}

function decode(id: string, doc: string, ob: string | null): WorkerRecord {
  try {
    const record = JSON.parse(doc) as WorkerRecord;
    record.outbox = ob ? (JSON.parse(ob) as Outbox) : null;
    return record;
  } catch (cause) {
    throw new ResumeProcessorError(RpCode.CorruptRecord, `worker ${id} has an unreadable record`, {
      workerId: id,
      cause,
    });
  }
}
