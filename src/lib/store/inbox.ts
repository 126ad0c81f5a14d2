// Inboxes of early resumes: a hash per worker in its partition (job id -> entry, `last` -> the
// latest change). A resume sent early to a running worker is kept there (early.lua) and taken by its
// next suspension (commit.lua); one that comes due first is ended (early-expire.lua).

import type { EarlyResume, JsonValue } from '../policy/types.js';
import type { JobAdd } from '../queues/job-adds.js';
import type { ReplicaWait } from './durability.js';
import { jobCalls } from './job-call.js';
import type { KeySpace } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** A worker's inbox of early resumes, as read with its record before a suspend is decided. */
export interface Inbox {
  /** The inbox's latest change (null: no inbox): the suspend commit checks it is still the same. */
  last: string | null;
  entries: EarlyResume[];
}

/** How long an inbox outlives its latest entry: its `last` must outlast any suspend in flight. */
const INBOX_KEPT_MS = 3_600_000;

/** The inbox hash as stored (`{x: expires ms, i?: input}` per job id), soonest expiry first. */
export function parseInbox(fields: Record<string, string>): Inbox {
  const entries: EarlyResume[] = [];
  for (const [jobId, value] of Object.entries(fields)) {
    if (jobId === 'last') continue;
    const entry = JSON.parse(value) as { x: number; i?: JsonValue };
    entries.push({ jobId, expiresAtMs: entry.x, input: entry.i ?? null });
  }
  entries.sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  return { last: fields.last ?? null, entries };
}

export class Inboxes {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: KeySpace,
    private readonly replicated: ReplicaWait,
  ) {}

  /**
   * An early resume: kept in a running worker's inbox as a job delayed by its ttl (`held`), else
   * enqueued now (`now`: the same job id, no delay), in one script. 'kept', 'queued', 'exists' (a
   * job with that id is there already) or 'no-worker' (nothing written).
   */
  async keep(
    id: string,
    held: JobAdd,
    now: JobAdd,
    entry: EarlyResume,
    nowMs: number,
  ): Promise<'kept' | 'queued' | 'exists' | 'no-worker'> {
    const jobs = jobCalls(this.keys, this.keys.partitionOf(id), [held]);
    const stored = JSON.stringify({
      x: entry.expiresAtMs,
      ...(entry.input === null ? {} : { i: entry.input }),
    });
    const keys = [this.keys.doc(id), this.keys.inbox(id), ...jobs.keys];
    const args = [nowMs, held.id, held.name, held.data, held.opts, held.delayMs, now.data, now.opts];
    const reply = await this.replicated.write(this.redis, 'enqueue', this.keys.doc(id), (r) =>
      r.rpEarly(...keys, ...args, stored, INBOX_KEPT_MS),
    );
    return reply === 2 ? 'kept' : reply === 1 ? 'queued' : reply === 0 ? 'exists' : 'no-worker';
  }

  /**
   * Ends an early resume no suspension took: true when its entry was still in the inbox (it is
   * removed, and a suspend decided on it reads again), false when a suspension took it.
   */
  async expire(id: string, jobId: string): Promise<boolean> {
    return (await this.redis.rpExpireEarly(this.keys.inbox(id), jobId)) === 1;
  }
}
