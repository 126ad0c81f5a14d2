// How a worker record is stored: one Redis string per worker, a list of `name \x1f value`
// segments joined by `\x1e`. Values are JSON (which never holds a raw control character) or bare
// integers and status words, so the separators cannot occur inside them, and a Lua script can splice
// a changed segment without a JSON parser. Derivable values (ISO copies of `*_ms` times, job ids,
// the duplicated parts of Harn's continuity payload) and defaults are left out; decode rebuilds them.
//
// `v` (version) and `s` (status) always come first so the commit script reads them with one match.
// `ev` (the capped event log, written only by the commit script) and the outbox `ob` live in the
// same string. This runs on every read and commit, so it is written for speed: one switch per
// segment, no per-field closures.

import { ResumeProcessorError, RpCode } from '../errors.js';
import { jobIds } from '../policy/ids.js';
import { isoFromMs as iso } from '../policy/iso-time.js';
import type {
  Effect,
  JsonObject,
  JsonValue,
  Outbox,
  Suspension,
  WorkerMode,
  WorkerRecord,
} from '../policy/types.js';

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

/** A segment's value, or undefined when it holds the default and is left out. */
function encodeField(name: string, r: WorkerRecord): string | undefined {
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
    case 'cf':
      return isNull(r.config) ? undefined : json(r.config);
    case 'tr':
      return isNull(r.transcript) ? undefined : json(r.transcript);
    case 'sp':
      return r.suspension ? json(compactSuspension(r.id, r.suspension)) : undefined;
    case 'le':
      return isNull(r.latest_error) ? undefined : json(r.latest_error);
    case 'lp':
      return isNull(r.latest_payload) ? undefined : json(r.latest_payload);
    case 'co':
      return r.continuity ? json(compactContinuity(r, r.continuity)) : undefined;
    case 'pw':
      return isNull(r.parent_worker_id) ? undefined : json(r.parent_worker_id);
    case 'sn':
      return isNull(r.snapshot_path) ? undefined : json(r.snapshot_path);
    case 'cp':
      return isNull(r.carry_policy) ? undefined : json(r.carry_policy);
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
        case 'cf':
          r.config = JSON.parse(value);
          break;
        case 'tr':
          r.transcript = JSON.parse(value);
          break;
        case 'sp':
          suspension = value;
          break;
        case 'le':
          r.latest_error = JSON.parse(value);
          break;
        case 'lp':
          r.latest_payload = JSON.parse(value);
          break;
        case 'co':
          continuity = value;
          break;
        case 'pw':
          r.parent_worker_id = JSON.parse(value);
          break;
        case 'sn':
          r.snapshot_path = JSON.parse(value);
          break;
        case 'cp':
          r.carry_policy = JSON.parse(value);
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

// Outbox: [version, requestId, effects] with effects as short tuples.
type StoredEffect = ['a', number, number] | ['r'] | ['p'];

function compactOutbox(o: Outbox): [number, string, StoredEffect[]] {
  return [o.version, o.requestId, o.effects.map(compactEffect)];
}

function compactEffect(e: Effect): StoredEffect {
  switch (e.kind) {
    case 'armTimeout':
      return ['a', e.epoch, e.dueAtMs];
    case 'respawn':
      return ['r'];
    case 'postResume':
      return ['p'];
    default: {
      const unknown: never = e;
      throw new Error(`unknown effect ${json(unknown)}`);
    }
  }
}

function expandOutbox([version, requestId, effects]: [number, string, StoredEffect[]]): Outbox {
  return {
    version,
    requestId,
    effects: effects.map((e): Effect => {
      if (e[0] === 'a') return { kind: 'armTimeout', epoch: e[1], dueAtMs: e[2] };
      return e[0] === 'r' ? { kind: 'respawn' } : { kind: 'postResume' };
    }),
  };
}

// Suspension: short keys; `suspended_at`, `snapshot_ref: ""` and the derived timeout job id are left
// out (an explicit `false` stands for "absent" where the default would be a value).
const SUSPENSION_KEYS: [keyof Suspension, string][] = [
  ['reason', 'r'],
  ['initiator', 'i'],
  ['suspended_at', 'ta'],
  ['suspended_at_ms', 't'],
  ['epoch', 'e'],
  ['snapshot_ref', 'sr'],
  ['conditions', 'c'],
  ['deadline_ms', 'd'],
  ['on_timeout', 'o'],
  ['timeout_input', 'ti'],
  ['timeout_job_id', 'tj'],
  ['auto_resume_trigger', 'at'],
  ['suspended_at_turn', 'st'],
  ['prior_span_link', 'pl'],
  ['pipeline_span_link', 'ppl'],
];

function suspensionDefault(id: string, s: Partial<Suspension>, key: keyof Suspension): unknown {
  if (key === 'snapshot_ref') return '';
  if (key === 'suspended_at') return s.suspended_at_ms === undefined ? undefined : iso(s.suspended_at_ms);
  if (key === 'timeout_job_id')
    return s.deadline_ms !== undefined && s.epoch !== undefined ? jobIds.timeout(id, s.epoch) : undefined;
  return undefined;
}
const DEFAULTED = new Set<keyof Suspension>(['snapshot_ref', 'suspended_at', 'timeout_job_id']);

function compactSuspension(id: string, s: Suspension): JsonObject {
  const out: JsonObject = {};
  for (const [key, short] of SUSPENSION_KEYS) {
    const value = s[key];
    if (DEFAULTED.has(key)) {
      if (value === suspensionDefault(id, s, key)) continue;
      out[short] = value === undefined ? false : (value as JsonValue);
    } else if (value !== undefined) {
      out[short] = value as JsonValue;
    }
  }
  return out;
}

function expandSuspension(id: string, c: JsonObject): Suspension {
  const known: Record<string, unknown> = {
    suspended_at_ms: c.t,
    deadline_ms: c.d,
    epoch: c.e,
  };
  const s: Record<string, unknown> = {};
  for (const [key, short] of SUSPENSION_KEYS) {
    const value = c[short];
    if (value === undefined) {
      if (DEFAULTED.has(key)) {
        const fallback = suspensionDefault(id, known as Partial<Suspension>, key);
        if (fallback !== undefined) s[key] = fallback;
      }
    } else if (value !== false || !DEFAULTED.has(key)) {
      s[key] = value;
    }
  }
  return s as unknown as Suspension;
}

// Continuity: Harn's payload repeats the resume block at the top level and the worker identity the
// record already holds. A payload of exactly buildContinuity's shape is stored as
// `{"~":1, s, r, sid?, w?, t?}`; anything else (an imported payload of another shape) as it is.

const CONTINUITY_KEYS = [
  'session_id',
  'session',
  'worker',
  'suspension',
  'reason',
  'suspended_at_turn',
  'resume',
  'initiator',
  'input',
  'input_rendered',
  'input_present',
  'continue_transcript',
  'digest',
  'turn',
  'iteration',
];
const RESUME_KEYS = [
  'initiator',
  'input',
  'input_rendered',
  'input_present',
  'continue_transcript',
  'digest',
  'trigger',
];
const MIRRORED = [
  'initiator',
  'input',
  'input_rendered',
  'input_present',
  'continue_transcript',
  'digest',
] as const;

const hasKeys = (o: JsonObject, keys: readonly string[]) => {
  const own = Object.keys(o);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
};

function compactContinuity(record: WorkerRecord, full: JsonObject): JsonObject {
  const { resume, suspension, session, worker } = full;
  if (!isObject(resume) || !isObject(suspension) || !isObject(session) || !isObject(worker)) return full;
  if (!hasKeys(full, CONTINUITY_KEYS) || !hasKeys(resume, RESUME_KEYS) || !hasKeys(session, ['id']))
    return full;
  if (
    !same(session.id, full.session_id) ||
    full.reason !== suspension.reason ||
    full.turn !== 0 ||
    full.iteration !== 0
  )
    return full;
  for (const key of MIRRORED) if (!same(full[key], resume[key])) return full;
  const { input_rendered: rendered, ...r } = resume;
  // `input_rendered` is left out when it is the text input itself (or null without input).
  if (rendered !== defaultRendered(r)) r.input_rendered = rendered ?? null;
  const compact: JsonObject = { '~': 1, s: suspension, r };
  if (full.session_id !== null) compact.sid = full.session_id ?? null;
  if (
    !hasKeys(worker, ['id', 'name', 'mode']) ||
    worker.id !== record.id ||
    worker.name !== record.name ||
    worker.mode !== record.mode
  )
    compact.w = worker;
  const turn = suspension.suspended_at_turn;
  if (full.suspended_at_turn !== (typeof turn === 'number' ? turn : 0))
    compact.t = full.suspended_at_turn ?? null;
  return compact;
}

function expandContinuity(record: WorkerRecord, c: JsonObject): JsonObject {
  if (c['~'] !== 1) return c;
  const s = c.s as JsonObject;
  const stored = c.r as JsonObject;
  const resume: JsonObject = {
    initiator: stored.initiator ?? null,
    input: stored.input ?? null,
    input_rendered: 'input_rendered' in stored ? (stored.input_rendered ?? null) : defaultRendered(stored),
    input_present: stored.input_present ?? null,
    continue_transcript: stored.continue_transcript ?? null,
    digest: stored.digest ?? null,
    trigger: stored.trigger ?? null,
  };
  const session = 'sid' in c ? (c.sid ?? null) : null;
  const turn = s.suspended_at_turn;
  return {
    session_id: session,
    session: { id: session },
    worker: 'w' in c ? (c.w ?? null) : workerOf(record),
    suspension: s,
    reason: s.reason ?? null,
    suspended_at_turn: 't' in c ? (c.t ?? null) : typeof turn === 'number' ? turn : 0,
    resume,
    initiator: resume.initiator ?? null,
    input: resume.input ?? null,
    input_rendered: resume.input_rendered ?? null,
    input_present: resume.input_present ?? null,
    continue_transcript: resume.continue_transcript ?? null,
    digest: resume.digest ?? null,
    turn: 0,
    iteration: 0,
  };
}

/** The usual `input_rendered`: the input when it is text, none without input. */
function defaultRendered(r: JsonObject): string | null {
  return r.input_present === true && typeof r.input === 'string' ? r.input : null;
}

/** Equal JSON values; the same reference (how buildContinuity mirrors them) is the fast path. */
const same = (a: JsonValue | undefined, b: JsonValue | undefined) =>
  a === b || (typeof a === 'object' && a !== null && json(a) === json(b));

const workerOf = (record: WorkerRecord): JsonObject => ({
  id: record.id,
  name: record.name,
  mode: record.mode,
});

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
