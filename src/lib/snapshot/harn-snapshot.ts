// Conversion between Harn `worker_snapshot` files (harn-semantics §1, §2b step 3, §6) and our
// WorkerRecord. Pure: no I/O, no clock (the caller passes `nowMs`), no randomness.
//
// Import follows Harn's cold load: `running` or missing status → `interrupted`, a `suspension` that
// does not match WorkerSuspension silently becomes None, `snapshot_path` := the loaded path. Fields
// without a WorkerRecord slot are kept verbatim in `record.extra`. Export writes the same format back,
// plus a `_resume_processor` block (ignored by Harn's loader) that makes a re-import lossless.

import { snapshotInvalid } from '../policy/messages.js';
import { cloneJson, findJsonIssue, harnTypeName, isPlainObject } from '../policy/resume-options.js';
import type { JsonObject, JsonValue, Transcript, WorkerRecord, WorkerStatus } from '../policy/types.js';
import { WORKER_STATUSES } from '../policy/types.js';
import {
  harnCarryPolicy,
  harnFileConfig,
  importCarryPolicy,
  importConfig,
  jsonEqual,
  takeContinuity,
} from './harn-config.js';
import {
  describeIssue,
  EXPORT_BLOCK_KEY,
  EXPORT_FORMAT,
  type ExportBlock,
  ExportBlockSchema,
  type Fail,
  isoFromMs,
  SNAPSHOT_TYPE,
  SnapshotTopSchema,
  timestampMs,
} from './harn-snapshot-schema.js';
import { harnSuspension, importSuspension, suspensionExtras } from './harn-suspension.js';

export { EXPORT_BLOCK_KEY, SNAPSHOT_TYPE, timestampMs } from './harn-snapshot-schema.js';

export interface HarnSnapshotImport {
  record: WorkerRecord;
  /** What the import mapped or dropped (status, suspension, ...), for the CLI to show. */
  warnings: string[];
}

/** Keys that map to a WorkerRecord slot; every other top-level key goes to `record.extra`. */
const SLOT_KEYS = new Set([
  '_type',
  EXPORT_BLOCK_KEY,
  'id',
  'name',
  'task',
  'status',
  'created_at',
  'started_at',
  'finished_at',
  'mode',
  'history',
  'config',
  'transcript',
  'suspension',
  'latest_error',
  'latest_payload',
  'parent_worker_id',
  'snapshot_path',
  'carry_policy',
]);

/** A snapshot of `source` as a WorkerRecord. Throws HARN-SUS-004 (snapshotInvalid) naming the field. */
export function parseHarnSnapshot(json: unknown, source: string, nowMs: number): WorkerRecord {
  return convertHarnSnapshot(json, source, nowMs).record;
}

/** parseHarnSnapshot, plus the warnings. */
export function convertHarnSnapshot(json: unknown, source: string, nowMs: number): HarnSnapshotImport {
  const fail: Fail = (reason) => snapshotInvalid(source, reason);
  if (!isPlainObject(json)) throw fail(`expected a JSON object, got ${harnTypeName(json)}`);
  const jsonIssue = findJsonIssue(json);
  if (jsonIssue) throw fail(`${jsonIssue.path.join('.') || 'snapshot'}: ${jsonIssue.message}`);
  if (json._type !== SNAPSHOT_TYPE) {
    throw fail(`_type: expected "${SNAPSHOT_TYPE}", got ${JSON.stringify(json._type ?? null)}`);
  }
  const top = SnapshotTopSchema.safeParse(json);
  if (!top.success) throw fail(describeIssue(top.error));
  const t = top.data;
  const warnings: string[] = [];
  const block = readBlock(json[EXPORT_BLOCK_KEY], fail);
  const created = stamp(t.created_at, 'created_at', fail) ?? nowMs;
  const started = stamp(t.started_at, 'started_at', fail) ?? created;
  const finished = stamp(t.finished_at, 'finished_at', fail);
  const task = t.task ?? '';
  const mode = t.mode ?? 'workflow'; // Harn's loader default
  const { config, continuity } = importConfig(
    json.config,
    block,
    { mode, name: t.name, task },
    warnings,
    fail,
  );
  const record: WorkerRecord = {
    _type: 'worker_record',
    id: t.id,
    name: t.name,
    task,
    mode,
    status: importStatus(t.status, warnings, fail),
    version: block?.version ?? 1,
    created_at: isoFromMs(created),
    created_at_ms: created,
    started_at: isoFromMs(started),
    started_at_ms: started,
    finished_at: finished === null ? null : isoFromMs(finished),
    finished_at_ms: finished,
    updated_at_ms: nowMs,
    history: t.history ?? [],
    config,
    transcript: (t.transcript ?? null) as Transcript | null,
    suspension: null,
    latest_error: t.latest_error ?? null,
    latest_payload: t.latest_payload ?? null,
    continuity,
    parent_worker_id: t.parent_worker_id ?? null,
    snapshot_path: source,
    carry_policy: importCarryPolicy(t.carry_policy, warnings, fail),
    extra: importExtra(json, block),
    outbox: null,
  };
  record.suspension = importSuspension(json.suspension, record, block, nowMs, warnings);
  return { record, warnings };
}

function readBlock(value: unknown, fail: Fail): ExportBlock | null {
  if (value === undefined) return null;
  const parsed = ExportBlockSchema.safeParse(value);
  if (!parsed.success) throw fail(describeIssue(parsed.error, EXPORT_BLOCK_KEY));
  return parsed.data;
}

/**
 * Harn §2b step 3: `running`/missing → `interrupted`. Decision: `awaiting` (wire `awaiting_input`)
 * also → `interrupted`: it names a live retriggerable task waiting in a process that is gone, and
 * we have no such status. Our statuses are kept; an unknown one is refused (Harn keeps any string).
 */
function importStatus(value: string | null | undefined, warnings: string[], fail: Fail): WorkerStatus {
  if (value === null || value === undefined || value === 'running') return 'interrupted';
  if (value === 'awaiting' || value === 'awaiting_input') {
    warnings.push(`status "${value}" loaded as "interrupted": its live task did not survive`);
    return 'interrupted';
  }
  const known = WORKER_STATUSES.find((s) => s === value);
  if (!known) throw fail(`status: unknown status "${value}"; expected one of ${WORKER_STATUSES.join(', ')}`);
  return known;
}

/** Missing/empty → null (the caller's default); a value that is no timestamp is refused. */
function stamp(value: unknown, field: string, fail: Fail): number | null {
  const ms = timestampMs(value);
  if (ms !== 'invalid') return ms;
  throw fail(
    `${field}: expected a UUIDv7 or ISO-8601 date-time string or epoch ms, got ${JSON.stringify(value)}`,
  );
}

function importExtra(json: Record<string, unknown>, block: ExportBlock | null): JsonObject {
  const defaulted = new Set(block?.defaulted ?? []);
  const extra: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    if (!SLOT_KEYS.has(key) && !defaulted.has(key)) extra[key] = cloneJson(value as JsonValue);
  }
  return extra;
}

/**
 * A Harn `worker_snapshot` for `record`. Decisions:
 * - timestamps are our ISO-8601 strings: Harn's loader reads created_at, started_at, finished_at
 *   and suspension.suspended_at as opaque Strings (`as_str()` / serde String) and never parses
 *   them; ISO keeps the export deterministic (a UUIDv7 needs random bits) and round-trips exactly;
 * - `suspension` holds exactly WorkerSuspension's fields; ours (epoch, deadline, on_timeout, timeout
 *   input and job id, trigger topics) go to the top-level `_resume_processor` block, which Harn's
 *   loader never reads (it reads top-level keys by name);
 * - `config` is one Harn's strict parser accepts (see harnFileConfig); when it differs from
 *   `record.config`, the block keeps the exact one. A non-sub-agent's continuity is kept there too;
 * - `execution` defaults to {} when absent: Harn deserializes it with no fallback, and null fails.
 * `extra` keys are written back verbatim.
 */
export function exportHarnSnapshot(record: WorkerRecord): Record<string, unknown> {
  const config = harnFileConfig(record.config, record, record.continuity);
  const block: JsonObject = { format: EXPORT_FORMAT, version: record.version };
  const s = record.suspension;
  if (s) block.suspension = suspensionExtras(s);
  if (!jsonEqual(takeContinuity(config).config, record.config)) block.config = cloneJson(record.config);
  if (record.continuity && config.mode !== 'sub_agent') block.continuity = cloneJson(record.continuity);
  const extra = record.extra;
  const defaulted: string[] = [];
  const fallback = (key: string, value: JsonValue): JsonValue => {
    if (key in extra) return extra[key] as JsonValue;
    defaulted.push(key);
    return value;
  };
  const out: Record<string, unknown> = {
    _type: SNAPSHOT_TYPE,
    id: record.id,
    name: record.name,
    task: record.task,
    status: record.status,
    created_at: record.created_at,
    started_at: record.started_at,
    finished_at: record.finished_at,
    mode: record.mode,
    history: [...record.history],
    config,
    latest_payload: record.latest_payload,
    latest_error: record.latest_error,
    transcript: record.transcript,
    parent_worker_id: record.parent_worker_id,
    carry_policy: harnCarryPolicy(record.carry_policy),
    execution: fallback('execution', {}),
    snapshot_path: record.snapshot_path ?? '',
    suspension: s ? harnSuspension(s) : null,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (!SLOT_KEYS.has(key)) out[key] = cloneJson(value);
  }
  if (defaulted.length > 0) block.defaulted = defaulted;
  out[EXPORT_BLOCK_KEY] = block;
  return cloneJson(out as JsonObject) as Record<string, unknown>;
}
