// How a worker record is stored: one Redis string per worker, a list of `name \x1f value`
// segments joined by `\x1e`. Values are JSON (which never holds a raw control character) or bare
// integers and status words, so the separators cannot occur inside them, and a Lua script can splice
// a changed segment without a JSON parser. Derivable values (ISO copies of `*_ms` times, job ids,
// the duplicated parts of Harn's continuity payload) and defaults are left out; decode rebuilds them.
//
// `v` (version) and `s` (status) always come first so the commit script reads them with one match.
// `ev` (the capped event log, written only by the commit script) and the outbox `ob` live in the
// same string. This runs on every read and commit, so it is written for speed: one switch (or, for
// the plain nullable values, one table lookup) per segment, no per-field closures. The nested parts
// (outbox, suspension, continuity) have compact forms of their own (record-parts.ts).

import { ResumeProcessorError, RpCode } from '../errors.js';
import { isoFromMs as iso } from '../policy/iso-time.js';
import type { Outbox, WorkerMode, WorkerRecord } from '../policy/types.js';
import {
  compactContinuity,
  compactOutbox,
  compactSuspension,
  expandContinuity,
  expandOutbox,
  expandSuspension,
} from './record-parts.js';

export const SEGMENT = '\x1e';
export const NAME_END = '\x1f';
/** The event log segment: one JSON array per line, written only by the commit script. */
export const EVENTS_FIELD = 'ev';

export type Fields = Map<string, string>;

const json = JSON.stringify;
const isNull = (v: unknown) => v === null || v === undefined;

/** Segment name → the record properties its value is made of (for reuse when they did not change). */
const INPUTS: Record<string, readonly (keyof WorkerRecord)[]> = {
  n: ['name'],
  k: ['task'],
  m: ['mode'],
  t0: ['created_at_ms'],
  t0i: ['created_at_ms', 'created_at'],
  t1: ['started_at_ms', 'created_at_ms'],
  t1i: ['started_at_ms', 'started_at'],
  t2: ['finished_at_ms', 'finished_at'],
  u: ['updated_at_ms'],
  h: ['history'],
  cf: ['config'],
  tr: ['transcript'],
  sp: ['suspension', 'id'],
  le: ['latest_error'],
  lp: ['latest_payload'],
  co: ['continuity', 'id', 'name', 'mode'],
  pw: ['parent_worker_id'],
  sn: ['snapshot_path'],
  cp: ['carry_policy'],
  x: ['extra'],
  lr: ['last_request'],
  ob: ['outbox'],
};
const NAMES = Object.keys(INPUTS);

/** Segments that hold one property as JSON, left out while it is null. */
const NULLABLE: Record<string, NullableProperty> = {
  cf: 'config',
  tr: 'transcript',
  le: 'latest_error',
  lp: 'latest_payload',
  pw: 'parent_worker_id',
  sn: 'snapshot_path',
  cp: 'carry_policy',
};
type NullableProperty =
  | 'config'
  | 'transcript'
  | 'latest_error'
  | 'latest_payload'
  | 'parent_worker_id'
  | 'snapshot_path'
  | 'carry_policy';

/** A segment's value, or undefined when it holds the default and is left out. */
function encodeField(name: string, r: WorkerRecord): string | undefined {
  const nullable = NULLABLE[name];
  if (nullable) return isNull(r[nullable]) ? undefined : json(r[nullable]);
  switch (name) {
    case 'n':
      return json(r.name);
    case 'k':
      return json(r.task);
    case 'm':
      return r.mode === 'sub_agent' ? undefined : json(r.mode);
    case 't0':
      return String(r.created_at_ms);
    case 't0i':
      return r.created_at === iso(r.created_at_ms) ? undefined : json(r.created_at);
    case 't1':
      return r.started_at_ms === r.created_at_ms ? undefined : String(r.started_at_ms);
    case 't1i':
      return r.started_at === iso(r.started_at_ms) ? undefined : json(r.started_at);
    case 't2':
      if (r.finished_at_ms === null) return r.finished_at === null ? undefined : json([null, r.finished_at]);
      return r.finished_at === iso(r.finished_at_ms)
        ? String(r.finished_at_ms)
        : json([r.finished_at_ms, r.finished_at]);
    case 'u':
      return String(r.updated_at_ms);
    case 'h':
      return r.history.length === 0 ? undefined : json(r.history);
    case 'sp':
      return r.suspension ? json(compactSuspension(r.id, r.suspension)) : undefined;
    case 'co':
      return r.continuity ? json(compactContinuity(r, r.continuity)) : undefined;
    case 'x':
      return Object.keys(r.extra).length === 0 ? undefined : json(r.extra);
    case 'lr':
      if (!r.last_request) return undefined;
      return json(
        r.last_request.failed
          ? [r.last_request.id, r.last_request.version, 1]
          : [r.last_request.id, r.last_request.version],
      );
    case 'ob':
      return r.outbox ? json(compactOutbox(r.outbox)) : undefined;
    default:
      return undefined;
  }
}

/** The stored fields of a record, `v` and `s` first. */
export function encodeRecord(record: WorkerRecord): Fields {
  return encodeNext(null, record);
}

/**
 * The fields of `next`, re-encoding only those whose inputs changed since `prev` (decisions copy
 * the record with a spread, so untouched values keep their identity).
 */
export function encodeNext(
  prev: { record: WorkerRecord; fields: Fields } | null,
  next: WorkerRecord,
  outbox: Outbox | null = next.outbox,
): Fields {
  const out: Fields = new Map([
    ['v', String(next.version)],
    ['s', next.status],
  ]);
  for (const name of NAMES) {
    let value: string | undefined;
    if (name === 'ob') value = outbox ? json(compactOutbox(outbox)) : undefined;
    else if (prev && sameInputs(INPUTS[name] as readonly (keyof WorkerRecord)[], prev.record, next))
      value = prev.fields.get(name);
    else value = encodeField(name, next);
    if (value !== undefined) out.set(name, value);
  }
  return out;
}

function sameInputs(props: readonly (keyof WorkerRecord)[], a: WorkerRecord, b: WorkerRecord): boolean {
  for (const p of props) if (a[p] !== b[p]) return false;
  return true;
}

export function splitDocument(doc: string): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  while (pos < doc.length) {
    let end = doc.indexOf(SEGMENT, pos);
    if (end < 0) end = doc.length;
    const at = doc.indexOf(NAME_END, pos);
    if (at > pos && at < end) fields.set(doc.slice(pos, at), doc.slice(at + 1, end));
    pos = end + 1;
  }
  return fields;
}

export function decodeRecord(id: string, fields: Fields): WorkerRecord {
  try {
    const r: WorkerRecord = {
      _type: 'worker_record',
      id,
      name: '',
      task: '',
      mode: 'sub_agent',
      status: fields.get('s') as WorkerRecord['status'],
      version: Number(fields.get('v')),
      created_at: '',
      created_at_ms: 0,
      started_at: '',
      started_at_ms: 0,
      finished_at: null,
      finished_at_ms: null,
      updated_at_ms: 0,
      history: [],
      config: null,
      transcript: null,
      suspension: null,
      latest_error: null,
      latest_payload: null,
      continuity: null,
      parent_worker_id: null,
      snapshot_path: null,
      carry_policy: null,
      extra: {},
      outbox: null,
    };
    let createdText: string | undefined;
    let startedText: string | undefined;
    let started: number | undefined;
    let suspension: string | undefined;
    let continuity: string | undefined;
    for (const [name, value] of fields) {
      switch (name) {
        case 'n':
          r.name = JSON.parse(value);
          break;
        case 'k':
          r.task = JSON.parse(value);
          break;
        case 'm':
          r.mode = JSON.parse(value) as WorkerMode;
          break;
        case 't0':
          r.created_at_ms = Number(value);
          break;
        case 't0i':
          createdText = JSON.parse(value);
          break;
        case 't1':
          started = Number(value);
          break;
        case 't1i':
          startedText = JSON.parse(value);
          break;
        case 't2':
          if (value.startsWith('['))
            [r.finished_at_ms, r.finished_at] = JSON.parse(value) as [number | null, string | null];
          else {
            r.finished_at_ms = Number(value);
            r.finished_at = iso(r.finished_at_ms);
          }
          break;
        case 'u':
          r.updated_at_ms = Number(value);
          break;
        case 'h':
          r.history = JSON.parse(value);
          break;
        case 'sp':
          suspension = value;
          break;
        case 'co':
          continuity = value;
          break;
        case 'x':
          r.extra = JSON.parse(value);
          break;
        case 'lr': {
          const [requestId, version, failed] = JSON.parse(value) as [string, number, 1?];
          r.last_request = failed ? { id: requestId, version, failed: true } : { id: requestId, version };
          break;
        }
        case 'ob':
          r.outbox = expandOutbox(JSON.parse(value));
          break;
        default: {
          const nullable = NULLABLE[name];
          if (nullable) r[nullable] = JSON.parse(value);
        }
      }
    }
    r.started_at_ms = started ?? r.created_at_ms;
    r.created_at = createdText ?? iso(r.created_at_ms);
    r.started_at = startedText ?? iso(r.started_at_ms);
    if (suspension !== undefined) r.suspension = expandSuspension(id, JSON.parse(suspension));
    if (continuity !== undefined) r.continuity = expandContinuity(r, JSON.parse(continuity));
    if (!Number.isSafeInteger(r.version) || typeof r.status !== 'string')
      throw new Error('no version or status');
    return r;
  } catch (cause) {
    throw new ResumeProcessorError(RpCode.CorruptRecord, `worker ${id} has an unreadable record`, {
      workerId: id,
      cause,
    });
  }
}
