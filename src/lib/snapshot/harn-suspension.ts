// A snapshot's `suspension`, both directions: Harn's WorkerSuspension in the file, our Suspension
// (with its epoch, armed timeout and trigger topics) on the record. The fields Harn has no slot for
// travel in the `_resume_processor` block, never inside `suspension`.

import { parseResumeConditions, timeoutDeadlineMs, triggerMatchEvents } from '../policy/conditions.js';
import { jobIds } from '../policy/ids.js';
import { cloneJson, isPlainObject } from '../policy/resume-options.js';
import type { JsonObject, JsonValue, ResumeConditions, Suspension, WorkerRecord } from '../policy/types.js';
import {
  describeIssue,
  type ExportBlock,
  type HarnSuspension,
  HarnSuspensionSchema,
  isoFromMs,
  timestampMs,
} from './harn-snapshot-schema.js';

/**
 * The record's suspension, or null. Decisions:
 * - a suspension that does not match Harn's shape is dropped, as Harn's loader does silently (we
 *   report a warning); one on a worker that is not `suspended` is dropped too: our records keep a
 *   suspension only while suspended, and Harn never acts on it either;
 * - `suspended` with no usable suspension gets a minimal one (reason "", initiator operator,
 *   suspended at import time, no conditions). Harn keeps such a worker suspended and resumable;
 *   our engine needs a suspension and its epoch to resume, and marking it `interrupted` instead
 *   would turn a resume that works in Harn into HARN-SUS-003;
 * - epoch = the record's version. The timeout is derived from `conditions.timeout`, counted from
 *   suspended_at (a timeout-only condition arms too, DESIGN §4), unless our export recorded it.
 */
export function importSuspension(
  value: unknown,
  record: WorkerRecord,
  block: ExportBlock | null,
  nowMs: number,
  warnings: string[],
): Suspension | null {
  const parsed = value === undefined || value === null ? null : HarnSuspensionSchema.safeParse(value);
  if (parsed && !parsed.success)
    warnings.push(`${describeIssue(parsed.error, 'suspension')}; suspension dropped`);
  const harn = parsed?.success ? parsed.data : null;
  if (record.status !== 'suspended') {
    if (harn) warnings.push(`suspension dropped: worker status is "${record.status}", not "suspended"`);
    return null;
  }
  if (harn) return convertSuspension(harn, record, block, nowMs, warnings);
  warnings.push('suspended without a valid suspension: a minimal operator suspension was recorded');
  return {
    reason: '',
    initiator: 'operator',
    suspended_at: isoFromMs(nowMs),
    suspended_at_ms: nowMs,
    epoch: record.version,
    snapshot_ref: record.snapshot_path ?? '',
    conditions: null,
    auto_resume_trigger: null,
  };
}

function convertSuspension(
  harn: HarnSuspension,
  record: WorkerRecord,
  block: ExportBlock | null,
  nowMs: number,
  warnings: string[],
): Suspension {
  let at = timestampMs(harn.suspended_at);
  if (at === null || at === 'invalid') {
    // A String to Harn, so not malformed: keep the suspension, timed at the import.
    warnings.push(
      `suspension.suspended_at ${JSON.stringify(harn.suspended_at)} is not a timestamp; now used`,
    );
    at = nowMs;
  }
  const ours = block?.suspension;
  const epoch = ours?.epoch ?? record.version;
  const conditions = (harn.conditions ?? null) as JsonValue;
  const s: Suspension = {
    reason: harn.reason,
    initiator: harn.initiator,
    suspended_at: isoFromMs(at),
    suspended_at_ms: at,
    epoch,
    snapshot_ref: harn.snapshot_ref,
    conditions,
    auto_resume_trigger: null,
  };
  if (typeof harn.suspended_at_turn === 'number') s.suspended_at_turn = harn.suspended_at_turn;
  if (harn.prior_span_link) s.prior_span_link = cloneJson(harn.prior_span_link as JsonValue);
  if (harn.pipeline_span_link) s.pipeline_span_link = cloneJson(harn.pipeline_span_link as JsonValue);
  const parsed = ours ? null : conditionsOrNull(conditions, warnings);
  if (ours) {
    if (ours.deadline_ms !== undefined) s.deadline_ms = ours.deadline_ms;
    if (ours.on_timeout !== undefined) s.on_timeout = ours.on_timeout;
    if (ours.timeout_input !== undefined) s.timeout_input = ours.timeout_input;
    if (ours.timeout_job_id !== undefined) s.timeout_job_id = ours.timeout_job_id;
    if (ours.deadline_rev !== undefined) s.deadline_rev = ours.deadline_rev;
    if (ours.input_schema !== undefined) s.input_schema = ours.input_schema as JsonValue;
  } else if (parsed?.timeout) {
    s.deadline_ms = timeoutDeadlineMs(parsed.timeout, at);
    s.on_timeout = parsed.timeout.on_timeout;
    if (parsed.timeout.input !== undefined) s.timeout_input = parsed.timeout.input;
    s.timeout_job_id = jobIds.timeout(record.id, epoch);
  }
  const trigger = harn.auto_resume_trigger;
  if (trigger) {
    // Only a trigger Harn registered is armed: without one, Harn's worker never resumes on an event.
    const provider = ours ? ours.provider : rawTrigger(conditions)?.provider;
    s.auto_resume_trigger = {
      id: trigger.id,
      version: trigger.version,
      match_events: ours?.match_events ?? (parsed ? triggerMatchEvents(parsed) : rawMatchEvents(conditions)),
      ...(typeof provider === 'string' ? { provider } : {}),
    };
  }
  return s;
}

/** Our validator's view of the raw conditions; conditions it refuses are kept raw and arm no timeout. */
function conditionsOrNull(conditions: JsonValue, warnings: string[]): ResumeConditions | null {
  try {
    return parseResumeConditions(conditions);
  } catch (err) {
    warnings.push(`suspension.conditions kept raw, no timeout armed: ${(err as Error).message}`);
    return null;
  }
}

function rawTrigger(conditions: JsonValue): JsonObject | null {
  const trigger = isPlainObject(conditions) ? (conditions as JsonObject).trigger : undefined;
  return isPlainObject(trigger) ? (trigger as JsonObject) : null;
}

/** Harn's `match_events` (default `[kind]`), read from conditions our validator refused. */
function rawMatchEvents(conditions: JsonValue): string[] {
  const trigger = rawTrigger(conditions);
  const listed = trigger?.match_events;
  if (Array.isArray(listed)) return listed.filter((e): e is string => typeof e === 'string' && e !== '');
  return typeof trigger?.kind === 'string' && trigger.kind !== '' ? [trigger.kind] : [];
}

/** Exactly WorkerSuspension's fields, None as null (Harn's serde writes Option::None as null). */
export function harnSuspension(s: Suspension): JsonObject {
  const trigger = s.auto_resume_trigger;
  return {
    reason: s.reason,
    initiator: s.initiator,
    suspended_at: s.suspended_at,
    snapshot_ref: s.snapshot_ref,
    prior_span_link: s.prior_span_link ?? null,
    pipeline_span_link: s.pipeline_span_link ?? null,
    suspended_at_turn: s.suspended_at_turn ?? null,
    conditions: s.conditions ?? null,
    auto_resume_trigger: trigger ? { id: trigger.id, version: trigger.version } : null,
  };
}

/** Our suspension fields Harn has no slot for: `_resume_processor.suspension`. */
export function suspensionExtras(s: Suspension): JsonObject {
  const out: JsonObject = { epoch: s.epoch };
  if (s.deadline_ms !== undefined) out.deadline_ms = s.deadline_ms;
  if (s.on_timeout !== undefined) out.on_timeout = s.on_timeout;
  if (s.timeout_input !== undefined) out.timeout_input = s.timeout_input;
  if (s.timeout_job_id !== undefined) out.timeout_job_id = s.timeout_job_id;
  if (s.deadline_rev !== undefined) out.deadline_rev = s.deadline_rev;
  if (s.input_schema !== undefined) out.input_schema = s.input_schema;
  if (s.auto_resume_trigger) {
    out.match_events = [...s.auto_resume_trigger.match_events];
    if (s.auto_resume_trigger.provider !== undefined) out.provider = s.auto_resume_trigger.provider;
  }
  return out;
}
