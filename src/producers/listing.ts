// Paged listings of workers (`listWorkers`), served from the sorted-set indexes the commit script
// keeps: workers of a status by when they entered it (a suspended worker: its suspended_at), the
// suspended workers of one reason by suspended_at, and the armed timeouts by deadline. A page reads
// at most `limit` entries per partition and index after the cursor's position (O(P × (log N +
// limit))), merges them in (score, id) order, takes `limit` and reads those records in one MGET per
// partition. The records are checked against the filter again: an entry read just before its worker
// changed is dropped, so a page can hold fewer than `limit` items and still have a next one.
//
// The cursor carries the position (score, id), the upper bound of the scores fixed by the first
// page and a digest of the filter. Ordered by `since`, the bound is the first page's time: a worker
// that enters the listing later (a new suspension) is not in it, so paging returns no worker twice
// and skips none that stayed in the filter throughout.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RpCode, ValidationError } from '../lib/errors.js';
import { summarize } from '../lib/policy/summary.js';
import {
  WORKER_STATUSES,
  type WorkerRecord,
  type WorkerStatus,
  type WorkerSummary,
} from '../lib/policy/types.js';
import { allPartitions } from '../lib/store/keys.js';
import type { IndexEntry, ListIndex } from '../lib/store/partition-indexes.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import { TimeBound } from './validation.js';

export const MAX_PAGE = 1000;

export const ListFilterSchema = z.strictObject({
  status: z.enum(WORKER_STATUSES).optional(),
  /** Suspended workers parked with this reason (exact match). */
  reason: z.string().min(1).max(1000).optional(),
  /** Suspended before this time (exclusive). */
  suspendedBefore: TimeBound.optional(),
  /** Suspended after this time (exclusive). */
  suspendedAfter: TimeBound.optional(),
  /** Suspended with an armed timeout due before this time (exclusive). */
  deadlineBefore: TimeBound.optional(),
  /** Suspended workers whose timeout is overdue: due more than the overdue grace ago. */
  overdue: z.boolean().optional(),
  /** `since`: when the worker entered its status (default); `deadline`: armed timeouts, soonest first. */
  orderBy: z.enum(['since', 'deadline']).optional(),
  limit: z.number().int().min(1).max(MAX_PAGE).default(100),
  cursor: z.string().min(1).max(512).optional(),
});

export type ListFilter = z.input<typeof ListFilterSchema>;

export interface WorkerPage {
  items: WorkerSummary[];
  /** Pass it back (with the same filter) for the next page; null: this was the last one. */
  nextCursor: string | null;
}

interface Cursor {
  score: number;
  id: string;
  /** The upper bound of the scores, fixed by the first page (null: none). */
  max: number | null;
  digest: string;
}

type Parsed = z.output<typeof ListFilterSchema>;

/** A listing's plan: which indexes, which score range, what the records must still satisfy. */
interface Plan {
  indexes: ListIndex[];
  min: number;
  max: number;
  /** Whether the first page fixes the upper bound at its own time (ordered by `since`). */
  snapshot: boolean;
  keep: (r: WorkerRecord) => boolean;
}

const invalid = (message: string, path: string) =>
  new ValidationError(RpCode.InvalidInput, `invalid filter: filter.${path}: ${message}`, [
    { path: `filter.${path}`, message },
  ]);

function plan(f: Parsed, nowMs: number, overdueGraceMs: number): Plan {
  const suspendedOnly =
    f.reason !== undefined ||
    f.suspendedBefore !== undefined ||
    f.suspendedAfter !== undefined ||
    f.deadlineBefore !== undefined ||
    f.overdue === true ||
    f.orderBy === 'deadline';
  if (suspendedOnly && f.status !== undefined && f.status !== 'suspended')
    throw invalid(
      'reason, suspendedBefore/After, deadlineBefore, overdue and orderBy deadline apply to suspended workers only',
      'status',
    );
  const status: WorkerStatus | undefined = suspendedOnly ? 'suspended' : f.status;
  const byDeadline =
    f.orderBy === 'deadline' || ((f.deadlineBefore !== undefined || f.overdue) && !f.orderBy);
  let deadlineMax = Number.POSITIVE_INFINITY;
  if (f.deadlineBefore !== undefined) deadlineMax = f.deadlineBefore - 1;
  if (f.overdue) deadlineMax = Math.min(deadlineMax, nowMs - overdueGraceMs);
  const suspendedMin = f.suspendedAfter === undefined ? Number.NEGATIVE_INFINITY : f.suspendedAfter + 1;
  const suspendedMax = f.suspendedBefore === undefined ? Number.POSITIVE_INFINITY : f.suspendedBefore - 1;

  const keep = (r: WorkerRecord) => {
    if (status !== undefined && r.status !== status) return false;
    const s = r.status === 'suspended' ? r.suspension : null;
    if (!suspendedOnly) return true;
    if (!s) return false;
    if (f.reason !== undefined && s.reason !== f.reason) return false;
    if (s.suspended_at_ms < suspendedMin || s.suspended_at_ms > suspendedMax) return false;
    if (byDeadline || deadlineMax !== Number.POSITIVE_INFINITY) {
      if (s.deadline_ms === undefined || s.deadline_ms > deadlineMax) return false;
    }
    return true;
  };

  if (byDeadline)
    return {
      indexes: [{ kind: 'deadline' }],
      min: Number.NEGATIVE_INFINITY,
      max: deadlineMax,
      snapshot: false,
      keep,
    };
  const indexes: ListIndex[] =
    f.reason !== undefined
      ? [{ kind: 'reason', reason: f.reason }]
      : status !== undefined
        ? [{ kind: 'status', status }]
        : WORKER_STATUSES.map((s) => ({ kind: 'status', status: s }) as const);
  return { indexes, min: suspendedMin, max: suspendedMax, snapshot: true, keep };
}

/** The filter's identity for its cursors (limit and cursor excluded). */
function digestOf(f: Parsed): string {
  const { limit: _limit, cursor: _cursor, ...rest } = f;
  const canonical = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([1, c.score, c.id, c.max, c.digest])).toString('base64url');
}

function decodeCursor(text: string, digest: string): Cursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parts = null;
  }
  const ok =
    Array.isArray(parts) &&
    parts.length === 5 &&
    parts[0] === 1 &&
    typeof parts[1] === 'number' &&
    typeof parts[2] === 'string' &&
    (typeof parts[3] === 'number' || parts[3] === null) &&
    typeof parts[4] === 'string';
  if (!ok) throw invalid('is not a cursor returned by listWorkers', 'cursor');
  const [, score, id, max, d] = parts as [1, number, string, number | null, string];
  if (d !== digest) throw invalid('belongs to a listing with another filter; pass the same filter', 'cursor');
  return { score, id, max, digest };
}

const byPosition = (a: IndexEntry, b: IndexEntry) =>
  a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** One page of workers matching `filter` (already validated), oldest (or soonest due) first. */
export async function listPage(
  store: WorkerStore,
  f: Parsed,
  opts: { nowMs: number; overdueGraceMs: number },
): Promise<WorkerPage> {
  const p = plan(f, opts.nowMs, opts.overdueGraceMs);
  const digest = digestOf(f);
  const cursor = f.cursor === undefined ? null : decodeCursor(f.cursor, digest);
  const max = cursor
    ? (cursor.max ?? Number.POSITIVE_INFINITY)
    : p.snapshot
      ? Math.min(p.max, opts.nowMs)
      : p.max;
  const after = cursor ? { score: cursor.score, id: cursor.id } : null;
  const lists = await Promise.all(
    allPartitions(store.keys).flatMap((part) =>
      p.indexes.map((index) => store.indexes.page(part, index, { min: p.min, max, after, limit: f.limit })),
    ),
  );
  const seen = new Set<string>();
  const merged = lists
    .flat()
    .sort(byPosition)
    .filter((e) => !seen.has(e.id) && seen.add(e.id));
  const taken = merged.slice(0, f.limit);
  const more = merged.length > f.limit || lists.some((l) => l.length === f.limit);
  const last = taken[taken.length - 1];
  const snapshots = await store.readMany(taken.map((e) => e.id));
  const items = snapshots
    .map((s) => s?.record)
    .filter((r): r is WorkerRecord => r !== undefined && p.keep(r))
    .map(summarize);
  return {
    items,
    nextCursor:
      more && last
        ? encodeCursor({ score: last.score, id: last.id, max: Number.isFinite(max) ? max : null, digest })
        : null,
  };
}
