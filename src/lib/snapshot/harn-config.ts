// A snapshot's `config` and `carry_policy`, both directions. Harn's config parser is strict (one
// shape per mode, no other keys) and keeps a sub-agent's continuity payload inside it, at
// spec.options._resume_continuity; on a WorkerRecord that payload lives in `record.continuity` only.

import { cloneJson, harnTypeName, isPlainObject } from '../policy/resume-options.js';
import type { JsonObject, JsonValue, WorkerMode } from '../policy/types.js';
import {
  CONFIG_MODES,
  CONTINUITY_OPTION,
  describeIssue,
  EXPORT_BLOCK_KEY,
  type ExportBlock,
  type Fail,
  HarnConfigSchema,
  TRANSCRIPT_MODES,
} from './harn-snapshot-schema.js';

/** What a synthesized config needs to know about its worker. */
export interface Identity {
  mode: WorkerMode;
  name: string;
  task: string;
}

/**
 * Validates `config` as Harn's loader does and takes the continuity payload out of it. Our
 * export's exact config (block.config) wins while the file's config is still the one the export
 * derived from it; a file edited since falls back to the file's config, with a warning.
 */
export function importConfig(
  value: unknown,
  block: ExportBlock | null,
  who: Identity,
  warnings: string[],
  fail: Fail,
): { config: JsonValue; continuity: JsonObject | null } {
  const mode = isPlainObject(value) ? value.mode : undefined;
  if (!isPlainObject(value) || !CONFIG_MODES.some((m) => m === mode)) {
    const got = isPlainObject(value) ? `mode ${JSON.stringify(mode ?? null)}` : harnTypeName(value);
    throw fail(`config: missing a valid config mode (${CONFIG_MODES.join(', ')}); got ${got}`);
  }
  const parsed = HarnConfigSchema.safeParse(value);
  if (!parsed.success) throw fail(describeIssue(parsed.error, 'config'));
  const { config, payload } = takeContinuity(value as JsonObject);
  let continuity: JsonObject | null = null;
  if (isPlainObject(payload)) continuity = payload as JsonObject;
  else if (payload !== undefined && payload !== null) {
    warnings.push(
      `config.spec.options.${CONTINUITY_OPTION} is ${harnTypeName(payload)}, not a dict; dropped`,
    );
  }
  continuity ??= block?.continuity ?? null;
  if (block?.config === undefined) return { config, continuity };
  const expected = takeContinuity(harnFileConfig(block.config, who, continuity)).config;
  if (jsonEqual(expected, config)) return { config: block.config, continuity };
  warnings.push(`${EXPORT_BLOCK_KEY}.config ignored: the file's config was changed after export`);
  return { config, continuity };
}

/** A copy of `config` without spec.options._resume_continuity, and the payload that was there. */
export function takeContinuity(config: JsonObject): { config: JsonObject; payload: JsonValue | undefined } {
  const copy = cloneJson(config) as JsonObject;
  if (copy.mode !== 'sub_agent' || !isPlainObject(copy.spec)) return { config: copy, payload: undefined };
  const options = (copy.spec as JsonObject).options;
  if (!isPlainObject(options) || !(CONTINUITY_OPTION in options)) return { config: copy, payload: undefined };
  const payload = options[CONTINUITY_OPTION] as JsonValue;
  delete (options as JsonObject)[CONTINUITY_OPTION];
  return { config: copy, payload };
}

/**
 * The config Harn can load for this worker: the record's own when Harn's parser accepts it, else a
 * minimal one for the mode (top_level_agent runs a sub-agent spec, delegated_stage a stage). A
 * sub-agent's spec.task follows the worker's task, as Harn's apply_resume_task_to_config keeps it,
 * and spec.options._resume_continuity holds the continuity payload (absent when there is none).
 */
export function harnFileConfig(config: JsonValue, who: Identity, continuity: JsonObject | null): JsonObject {
  const base = HarnConfigSchema.safeParse(config).success
    ? takeContinuity(config as JsonObject).config
    : minimalConfig(who);
  if (base.mode !== 'sub_agent' || !isPlainObject(base.spec)) return base;
  const spec = base.spec as JsonObject;
  spec.task = who.task;
  if (continuity) {
    if (!isPlainObject(spec.options)) spec.options = {};
    (spec.options as JsonObject)[CONTINUITY_OPTION] = cloneJson(continuity);
  }
  return base;
}

function minimalConfig(who: Identity): JsonObject {
  switch (who.mode) {
    case 'sub_agent':
    case 'top_level_agent':
      return { mode: 'sub_agent', spec: { name: who.name, task: who.task, options: {} } };
    case 'stage':
    case 'delegated_stage':
      return { mode: 'stage', node: {}, artifacts: [], transcript: null };
    case 'workflow':
      return { mode: 'workflow', graph: {}, artifacts: [], options: {} };
    default: {
      const unknown: never = who.mode;
      throw new Error(`unknown worker mode ${String(unknown)}`);
    }
  }
}

/**
 * Harn's carry policy with its loader's defaults (config.rs): artifact_mode/transcript_mode
 * `inherit`, resume_workflow and persist_state true unless exactly false, retriggerable only if
 * exactly true, policy and context_policy null when absent. A transcript_mode Harn rejects is refused.
 */
export function importCarryPolicy(value: JsonValue | undefined, warnings: string[], fail: Fail): JsonValue {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value))
    warnings.push(`carry_policy is ${harnTypeName(value)}, not a dict; Harn's defaults used`);
  const cp = (isPlainObject(value) ? value : {}) as JsonObject;
  const mode = cp.transcript_mode;
  if (mode !== undefined && mode !== null && !TRANSCRIPT_MODES.some((m) => m === mode)) {
    throw fail(
      `carry_policy.transcript_mode: expected one of ${TRANSCRIPT_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  return { ...harnCarryPolicy(cp), context_policy: cp.context_policy ?? null };
}

/**
 * The carry_policy fields Harn persists (artifact_mode, transcript_mode, context_policy,
 * resume_workflow, persist_state, retriggerable, policy), Harn's defaults for missing ones.
 * context_policy is left out when null: Harn's parse_context_policy deserializes a ContextPolicy
 * struct from the value, so null fails the whole load, while a missing key gives the default.
 */
export function harnCarryPolicy(value: JsonValue): JsonObject {
  const cp = (isPlainObject(value) ? value : {}) as JsonObject;
  const artifact = cp.artifact_mode;
  const out: JsonObject = {
    artifact_mode: typeof artifact === 'string' && artifact !== '' ? artifact : 'inherit',
    transcript_mode: TRANSCRIPT_MODES.find((m) => m === cp.transcript_mode) ?? 'inherit',
    resume_workflow: cp.resume_workflow !== false,
    persist_state: cp.persist_state !== false,
    retriggerable: cp.retriggerable === true,
    policy: cp.policy ?? null,
  };
  if (cp.context_policy !== undefined && cp.context_policy !== null) out.context_policy = cp.context_policy;
  return out;
}

/** Structural JSON equality (object key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => k in b && jsonEqual(a[k] as JsonValue, b[k] as JsonValue));
}
