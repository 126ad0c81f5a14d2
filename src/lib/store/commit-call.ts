// The arguments of one commit script (commit.lua): from the record as read and the record decided,
// which fields changed, which indexes move, which trigger bindings and which ended timeout job go,
// which jobs the change enqueues, and what ends the request (lock release, idempotency outcome).
// Pure: the store sends it.

import type { LifecycleEvent } from '../policy/decision.js';
import { jobIds } from '../policy/ids.js';
import type { Effect, Outbox, WorkerRecord } from '../policy/types.js';
import { QUEUE_NAMES, type QueueName } from '../queues/catalog.js';
import { effectJobs, processEffects } from '../queues/job-adds.js';
import { jobCalls, jobKeys } from './job-call.js';
import type { KeySpace } from './keys.js';
import { EVENTS_FIELD, encodeNext, type Fields, NAME_END, SEGMENT } from './record-codec.js';
import type { ScriptArgs } from './scripts.js';

export interface CommitChange {
  effects: Effect[];
  event: LifecycleEvent;
  requestId: string;
  nowMs: number;
  /**
   * The lock's value, when this commit ends the request (no outbox left): the script releases the
   * lock if the value still holds it.
   */
  releaseLock?: string;
  /** The request's idempotency outcome, kept by the script (first one wins). */
  idempotency?: { keyHash: string; value: string; ttlMs: number };
  /**
   * A suspension decided on the worker's inbox of early resumes: `last` as it was read (null = no
   * inbox), and the early resumes it takes (their jobs are made ready, their entries removed).
   */
  inbox?: { last: string | null; take: readonly string[] };
  /**
   * The BullMQ job making the change, when a consumer commits for one: the commit goes through only
   * while its lock is still this token (a consumer that lost the job, its lock expired and another
   * took it over, writes nothing).
   */
  job?: JobHold;
}

/** A job held by a consumer: its queue, id and the lock token BullMQ gave it. */
export interface JobHold {
  queue: QueueName;
  jobId: string;
  token: string;
}

export function commitCall(
  keys: KeySpace,
  prev: { record: WorkerRecord; fields: Fields } | null,
  next: WorkerRecord,
  change: CommitChange,
  eventsKept: number,
): { keys: string[]; args: ScriptArgs; outbox: Outbox | null } {
  const left = processEffects(change.effects);
  const outbox: Outbox | null =
    left.length > 0 ? { version: next.version, requestId: change.requestId, effects: left } : null;
  const fields = encodeNext(prev, next, outbox);
  const { set, del } = diffFields(prev?.fields ?? null, fields);
  const id = next.id;
  const p = keys.partitionOf(id);
  const before = prev?.record ?? null;
  const from = bindings(before);
  const to = bindings(next);
  const drop = from.topics.filter((t) => !to.topics.includes(t));
  const add = to.epoch === from.epoch ? to.topics.filter((t) => !from.topics.includes(t)) : to.topics;
  const endedTimeout = endedTimeoutJob(before, next);
  const jobs = jobCalls(keys, p, effectJobs(next, change.effects, change.nowMs));
  const idem = change.idempotency;
  const reasons = reasonMove(before, next);
  const taken = change.inbox?.take ?? [];
  const scriptKeys = [
    keys.doc(id),
    keys.status(p, before?.status ?? next.status),
    keys.status(p, next.status),
    keys.deadlines(p),
    keys.pending(p),
    keys.lock(id),
    ...(change.inbox ? [keys.inbox(id)] : []),
    ...(endedTimeout
      ? [
          keys.queueKey(p, QUEUE_NAMES.timeout, 'delayed'),
          keys.queueKey(p, QUEUE_NAMES.timeout, endedTimeout),
          keys.queueKey(p, QUEUE_NAMES.timeout, `${endedTimeout}:logs`),
        ]
      : []),
    ...drop.map((t) => keys.trigger(p, t)),
    ...add.map((t) => keys.trigger(p, t)),
    ...(idem ? [keys.idempotency(id, idem.keyHash)] : []),
    ...(reasons.leave === null ? [] : [keys.reason(p, reasons.leave)]),
    ...(reasons.enter === null ? [] : [keys.reason(p, reasons.enter), keys.reasons(p)]),
    ...jobs.keys,
    ...taken.flatMap((jobId) => jobKeys(keys, p, QUEUE_NAMES.resume, jobId)),
    // Last: the lock of the job making the change (with ARGV[25]).
    ...(change.job ? [keys.queueKey(p, change.job.queue, `${change.job.jobId}:lock`)] : []),
  ];
  const event = JSON.stringify(
    change.event.data
      ? [change.event.type, next.version, change.nowMs, change.event.data]
      : [change.event.type, next.version, change.nowMs],
  );
  const args: ScriptArgs = [
    prev ? String(prev.record.version) : '',
    String(next.version),
    next.status,
    id,
    event,
    eventsKept,
    deadlineChange(before, next),
    outbox ? change.nowMs : '',
    drop.length,
    add.length,
    to.epoch ?? '',
    endedTimeout ?? '',
    set.map(([name, value]) => name + NAME_END + value).join(SEGMENT),
    del.join(SEGMENT),
    change.releaseLock ?? '',
    idem?.value ?? '',
    idem?.ttlMs ?? '',
    jobs.count,
    change.nowMs,
    statusSince(before, next, change.nowMs),
    reasons.leave === null ? 0 : 1,
    reasons.enter === null ? 0 : 1,
    change.inbox ? (change.inbox.last ?? '-') : '',
    taken.length,
    change.job?.token ?? '',
    ...jobs.args,
    ...taken,
    // Last, after the variable-length parts: the reason the worker enters, for the reasons set.
    ...(reasons.enter === null ? [] : [reasons.enter]),
  ];
  return { keys: scriptKeys, args, outbox };
}

const suspensionOf = (r: WorkerRecord | null) => (r?.status === 'suspended' ? r.suspension : null);

/**
 * The score of the worker in the status index it is in after the change: when it entered that
 * status (a suspension's own time for `suspended`); "" when it stays where it is.
 */
function statusSince(before: WorkerRecord | null, after: WorkerRecord, nowMs: number): string | number {
  const s = suspensionOf(after);
  const was = suspensionOf(before);
  const moved = !before || before.status !== after.status || (s !== null && s.epoch !== was?.epoch);
  if (!moved) return '';
  return s ? s.suspended_at_ms : nowMs;
}

/** The reason indexes a change moves the worker out of and into (suspended workers only). */
function reasonMove(
  before: WorkerRecord | null,
  after: WorkerRecord,
): { leave: string | null; enter: string | null } {
  const was = suspensionOf(before);
  const now = suspensionOf(after);
  const same = was !== null && now !== null && was.epoch === now.epoch && was.reason === now.reason;
  if (same) return { leave: null, enter: null };
  return { leave: was ? was.reason : null, enter: now ? now.reason : null };
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
  const ended = jobIds.timeout(after.id, was.epoch, was.deadline_rev ?? 0);
  const now = after.status === 'suspended' ? after.suspension : null;
  const armed =
    now?.deadline_ms === undefined ? null : jobIds.timeout(after.id, now.epoch, now.deadline_rev ?? 0);
  return armed === ended ? null : ended;
}

const armedDeadline = (record: WorkerRecord | null) =>
  record?.status === 'suspended' ? record.suspension?.deadline_ms : undefined;

function deadlineChange(before: WorkerRecord | null, after: WorkerRecord): string {
  const was = armedDeadline(before);
  const now = armedDeadline(after);
  if (now === undefined) return was === undefined ? '' : '-';
  return now === was ? '' : String(now);
}

export interface FieldChanges {
  /** name → value; `+h` appends one JSON element to the history array instead of rewriting it. */
  set: [string, string][];
  del: string[];
}

/** What a commit must send: the changed and new fields, and the names of the ones that went away. */
export function diffFields(before: Fields | null, after: Fields): FieldChanges {
  const set: [string, string][] = [];
  const del: string[] = [];
  for (const [name, value] of after) {
    if (name === 'v' || name === 's') continue;
    const old = before?.get(name);
    if (old === value) continue;
    const appended = name === 'h' && old !== undefined ? appendedElement(old, value) : null;
    set.push(appended === null ? [name, value] : ['+h', appended]);
  }
  if (before) for (const name of before.keys()) if (name !== EVENTS_FIELD && !after.has(name)) del.push(name);
  return { set, del };
}

/** `[a,b]` → `[a,b,c]`: the text of `c`, when `after` is `before` with one more element. */
function appendedElement(before: string, after: string): string | null {
  const head = before.slice(0, -1);
  if (after.length <= before.length || !after.startsWith(head) || after[head.length] !== ',') return null;
  const element = after.slice(head.length + 1, -1);
  try {
    JSON.parse(element); // exactly one element, not several
    return element;
  } catch {
    return null;
  }
}
