// The nested parts of a stored record, kept compact: the outbox as short tuples, the suspension
// and Harn's continuity payload without what the rest of the record already says (their ids, the
// worker's name and mode, defaults). The record codec calls these; each compact form expands back to
// exactly the value it came from.

// Outbox: [version, requestId, effects] with effects as short tuples.
import { jobIds } from '../policy/ids.js';
import { isoFromMs as iso } from '../policy/iso-time.js';
import type { Effect, JsonObject, JsonValue, Outbox, Suspension, WorkerRecord } from '../policy/types.js';

const json = JSON.stringify;

type StoredEffect = ['a', number, number] | ['a', number, number, number] | ['r'] | ['p'];

export function compactOutbox(o: Outbox): [number, string, StoredEffect[]] {
  return [o.version, o.requestId, o.effects.map(compactEffect)];
}

function compactEffect(e: Effect): StoredEffect {
  switch (e.kind) {
    case 'armTimeout':
      return e.rev ? ['a', e.epoch, e.dueAtMs, e.rev] : ['a', e.epoch, e.dueAtMs];
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

export function expandOutbox([version, requestId, effects]: [number, string, StoredEffect[]]): Outbox {
  return {
    version,
    requestId,
    effects: effects.map((e): Effect => {
      if (e[0] === 'a')
        return { kind: 'armTimeout', epoch: e[1], dueAtMs: e[2], ...(e[3] ? { rev: e[3] } : {}) };
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
  ['deadline_rev', 'dr'],
  ['on_timeout', 'o'],
  ['timeout_input', 'ti'],
  ['timeout_job_id', 'tj'],
  ['auto_resume_trigger', 'at'],
  ['input_schema', 'is'],
  ['early_requests', 'er'],
  ['suspended_at_turn', 'st'],
  ['prior_span_link', 'pl'],
  ['pipeline_span_link', 'ppl'],
];

function suspensionDefault(id: string, s: Partial<Suspension>, key: keyof Suspension): unknown {
  if (key === 'snapshot_ref') return '';
  if (key === 'suspended_at') return s.suspended_at_ms === undefined ? undefined : iso(s.suspended_at_ms);
  if (key === 'timeout_job_id')
    return s.deadline_ms !== undefined && s.epoch !== undefined
      ? jobIds.timeout(id, s.epoch, s.deadline_rev ?? 0)
      : undefined;
  return undefined;
}
const DEFAULTED = new Set<keyof Suspension>(['snapshot_ref', 'suspended_at', 'timeout_job_id']);

export function compactSuspension(id: string, s: Suspension): JsonObject {
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
  if (s.traceparent !== undefined) {
    const tp = compactTraceparent(s.traceparent);
    if (tp !== null) out.tp = tp;
  }
  return out;
}

export function expandSuspension(id: string, c: JsonObject): Suspension {
  const known: Record<string, unknown> = {
    suspended_at_ms: c.t,
    deadline_ms: c.d,
    deadline_rev: c.dr,
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
  const traceparent = typeof c.tp === 'string' ? expandTraceparent(c.tp) : null;
  if (traceparent !== null) s.traceparent = traceparent;
  return s as unknown as Suspension;
}

// The suspend span's traceparent (`00-<trace id>-<span id>-<flags>`, 55 characters) is kept as its
// 25 bytes in base64url (34 characters, `tp`); a suspension from before tracing has none. A value
// that is not a version-00 traceparent is not kept (only our own spans write it).
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const COMPACT_TRACEPARENT = /^[A-Za-z0-9_-]{34}$/;

export function compactTraceparent(traceparent: string): string | null {
  const m = TRACEPARENT.exec(traceparent);
  return m ? Buffer.from(`${m[1]}${m[2]}${m[3]}`, 'hex').toString('base64url') : null;
}

export function expandTraceparent(compact: string): string | null {
  if (!COMPACT_TRACEPARENT.test(compact)) return null;
  const hex = Buffer.from(compact, 'base64url').toString('hex');
  return `00-${hex.slice(0, 32)}-${hex.slice(32, 48)}-${hex.slice(48, 50)}`;
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

export function compactContinuity(record: WorkerRecord, full: JsonObject): JsonObject {
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

export function expandContinuity(record: WorkerRecord, c: JsonObject): JsonObject {
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
