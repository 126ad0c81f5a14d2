// The shapes of a Harn `worker_snapshot` file (harn-semantics §1 and §6) as zod schemas, the
// timestamp forms it may hold, and the `_resume_processor` block our export adds. Each schema
// mirrors what Harn's loader (agents_workers/config.rs `load_worker_state_snapshot`) accepts, so a
// file we refuse is one Harn would refuse too, and a file we write is one Harn can load.

import { z } from 'zod';
import { WORKER_ID_PATTERN } from '../policy/ids.js';
import { JsonValueSchema } from '../policy/resume-options.js';
import { SUSPEND_INITIATORS, TIMEOUT_ACTIONS, WORKER_MODES } from '../policy/types.js';
import { decodeUuidV7Ms } from './uuidv7.js';

export const SNAPSHOT_TYPE = 'worker_snapshot';
/** Top-level key of our export's own fields; Harn's loader reads keys by name and ignores it. */
export const EXPORT_BLOCK_KEY = '_resume_processor';
export const EXPORT_FORMAT = 1;
/** Where Harn keeps the continuity payload of a sub-agent: config.spec.options._resume_continuity. */
export const CONTINUITY_OPTION = '_resume_continuity';

export const CONFIG_MODES = ['workflow', 'stage', 'sub_agent'] as const;
export type ConfigMode = (typeof CONFIG_MODES)[number];

/** Harn's `transcript_mode` values (`parse_transcript_mode`); anything else fails Harn's load. */
export const TRANSCRIPT_MODES = ['inherit', 'fork', 'reset', 'compact'] as const;

const U32_MAX = 4_294_967_295;

/** A timestamp as a file may hold it: a UUIDv7 or ISO string (Harn / our export) or epoch ms. */
const TimestampField = z.union([z.string(), z.number()]).nullish();

/**
 * The top-level fields that have a slot in WorkerRecord. Harn reads each with `as_str()` and
 * defaults what is missing; we accept missing/null the same way but refuse a wrong type, which
 * only a hand-edited file has.
 */
export const SnapshotTopSchema = z.looseObject({
  id: z.string({ error: 'missing or not a string (required)' }).regex(WORKER_ID_PATTERN, {
    error: 'must be 1-128 characters of A-Z a-z 0-9 _ . -',
  }),
  name: z.string({ error: 'missing or not a string (required)' }).min(1, { error: 'must not be empty' }),
  task: z.string().nullish(),
  status: z.string().nullish(),
  created_at: TimestampField,
  started_at: TimestampField,
  finished_at: TimestampField,
  mode: z.enum(WORKER_MODES, { error: `expected one of ${WORKER_MODES.join(', ')}` }).nullish(),
  history: z.array(z.string()).nullish(),
  transcript: z.record(z.string(), JsonValueSchema, { error: 'expected an object or null' }).nullish(),
  latest_error: z.string().nullish(),
  latest_payload: JsonValueSchema.optional(),
  parent_worker_id: z.string().nullish(),
  snapshot_path: z.string().nullish(),
  carry_policy: JsonValueSchema.optional(),
});

/** Harn's `SpanLink` (tracing.rs): `#[serde(default)]`, so fields may be missing but not mistyped. */
const SpanLinkSchema = z.looseObject({
  trace_id: z.string().optional(),
  span_id: z.string().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
});

/**
 * Harn's `WorkerSuspension`. Harn deserializes it with `unwrap_or_default()`, so a value that does
 * not match becomes None without an error: callers use `safeParse` and drop it. Unknown keys are
 * accepted (serde's default); the export never writes any.
 */
export const HarnSuspensionSchema = z.looseObject({
  reason: z.string(),
  initiator: z.enum(SUSPEND_INITIATORS),
  suspended_at: z.string(),
  snapshot_ref: z.string(),
  prior_span_link: SpanLinkSchema.nullish(),
  pipeline_span_link: SpanLinkSchema.nullish(),
  suspended_at_turn: z.number().int().nullish(),
  conditions: JsonValueSchema.optional(),
  // AutoResumeTriggerHandle {id: String, version: u32}: both required, no serde(default).
  auto_resume_trigger: z
    .looseObject({ id: z.string(), version: z.number().int().min(0).max(U32_MAX) })
    .nullish(),
});
export type HarnSuspension = z.infer<typeof HarnSuspensionSchema>;

// Harn's `worker_config_from_json` runs `finish_strict`: a key other than the mode's is an error.
const ArtifactList = z.array(JsonValueSchema, { error: 'expected a list of artifacts' });
const OptionsDict = z.record(z.string(), JsonValueSchema, { error: 'expected a dict' }).nullish();

export const HarnConfigSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('workflow'),
    // WorkflowGraph / Vec<ArtifactRecord> are deserialized from the value or null: null fails.
    graph: z.record(z.string(), JsonValueSchema, { error: 'expected a workflow graph object' }),
    artifacts: ArtifactList,
    options: OptionsDict,
  }),
  z.strictObject({
    mode: z.literal('stage'),
    node: z.record(z.string(), JsonValueSchema, { error: 'expected a workflow node object' }),
    artifacts: ArtifactList,
    transcript: JsonValueSchema.optional(),
  }),
  z.strictObject({
    mode: z.literal('sub_agent'),
    // "worker snapshot sub-agent spec must be an object"
    spec: z.record(z.string(), JsonValueSchema, { error: 'expected the sub-agent spec object' }),
  }),
]);

/** Our own fields, written by exportHarnSnapshot so a re-import is lossless. */
export const ExportBlockSchema = z.looseObject({
  format: z.literal(EXPORT_FORMAT, { error: `expected format ${EXPORT_FORMAT}` }),
  version: z.number().int().positive(),
  suspension: z
    .looseObject({
      epoch: z.number().int().positive(),
      deadline_ms: z.number().int().nonnegative().optional(),
      on_timeout: z.enum(TIMEOUT_ACTIONS).optional(),
      timeout_input: JsonValueSchema.optional(),
      timeout_job_id: z.string().optional(),
      deadline_rev: z.number().int().nonnegative().optional(),
      input_schema: JsonValueSchema.optional(),
      match_events: z.array(z.string()).optional(),
      provider: z.string().optional(),
    })
    .optional(),
  /** The record's exact config, present only when it differs from the Harn config written. */
  config: JsonValueSchema.optional(),
  /** Continuity of a worker whose config has no sub-agent options to hold it. */
  continuity: z.record(z.string(), JsonValueSchema).optional(),
  /** Top-level keys the export added only so Harn can load the file (not part of `extra`). */
  defaulted: z.array(z.string()).optional(),
});
export type ExportBlock = z.infer<typeof ExportBlockSchema>;

/** `a.b[2].c: message` for the first issue: names the field a reader must fix. */
export function describeIssue(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix || 'snapshot'}: invalid`;
  let path = prefix;
  for (const key of issue.path) {
    if (typeof key === 'number') path += `[${key}]`;
    else path += path === '' ? String(key) : `.${String(key)}`;
  }
  return `${path || 'snapshot'}: ${issue.message}`;
}

/** Builds the HARN-SUS-004 error for the file being read, from a reason naming the field. */
export type Fail = (reason: string) => Error;

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_DATE_MS = 8.64e15;

/**
 * Epoch ms of a timestamp as a file may hold it: a UUIDv7 (Harn), an ISO-8601 date-time with a
 * zone (our export; without a zone Date.parse would read local time), or epoch ms. null when
 * absent or "" (Harn's `unwrap_or_default()`), 'invalid' for anything else.
 */
export function timestampMs(value: unknown): number | null | 'invalid' {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 && value <= MAX_DATE_MS ? value : 'invalid';
  }
  if (typeof value !== 'string') return 'invalid';
  const fromUuid = decodeUuidV7Ms(value);
  if (fromUuid !== null) return fromUuid;
  const ms = ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : 'invalid';
}

export { isoFromMs } from '../policy/iso-time.js';
