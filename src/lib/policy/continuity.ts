// The continuity payload a resumed worker receives (Harn's `install_resume_continuity_payload`,
// harn-semantics §5) and the resume initiator inference. Keys and value rules follow Harn exactly;
// Harn installs it only for sub-agents, we store it for every worker.

import { harnTrim, isPlainObject, renderInput } from './resume-options.js';
import type { JsonObject, JsonValue, ResumeOptions, Suspension, WorkerRecord } from './types.js';

/**
 * `base`: the explicit initiator (trimmed), else `parent` inside an agent session, else `operator`;
 * the span records it. `continuity`: `timeout` stays `timeout`; with a trigger event any other
 * explicit initiator becomes `triggered`; `parent`/`operator` stay as they are.
 */
export function inferInitiator(
  explicit: string | null,
  triggerEvent: JsonValue,
  hasParentSession: boolean,
): { base: string; continuity: string } {
  const given = explicit === null ? '' : harnTrim(explicit);
  const base = given !== '' ? given : hasParentSession ? 'parent' : 'operator';
  if (base === 'timeout') return { base, continuity: 'timeout' };
  const triggered = triggerEvent !== null && base !== 'parent' && base !== 'operator';
  return { base, continuity: triggered ? 'triggered' : base };
}

function field(value: JsonValue | undefined, key: string): JsonValue | undefined {
  return isPlainObject(value) ? (value as JsonObject)[key] : undefined;
}

/** Harn's `as_str()` reads: a string, else null. */
function str(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/** Harn's `latest_payload_i64`: only integers count (a float falls through to the next source). */
function int(value: JsonValue | undefined): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

/** Harn reads the sub-agent spec's session id; an imported snapshot may keep it in `extra`. */
function sessionId(record: WorkerRecord): string | null {
  return (
    str(field(field(record.config, 'spec'), 'session_id')) ??
    str(field(record.config, 'session_id')) ??
    str(record.extra.session_id)
  );
}

/** Harn's `suspended_at_turn`: the suspension's turn, else latest_payload.iterations_completed / .iterations. */
function suspendedTurn(record: WorkerRecord, suspension: Suspension): number | null {
  if (suspension.suspended_at_turn !== undefined && Number.isSafeInteger(suspension.suspended_at_turn)) {
    return suspension.suspended_at_turn;
  }
  return (
    int(field(record.latest_payload, 'iterations_completed')) ??
    int(field(record.latest_payload, 'iterations'))
  );
}

/**
 * The trigger block: null without a trigger event. Reads both our event shapes: deliverEvent's
 * `{provider, kind, id, payload, dedupe_key?}` and the timeout's
 * `{provider:'harn', kind:'auto_resume.timeout', id, dedupe_key, provider_payload:{raw:{on_timeout,…}}}`.
 */
function triggerBlock(event: JsonValue, suspension: Suspension): JsonObject | null {
  if (event === null) return null;
  const timeoutAction =
    str(field(field(field(event, 'provider_payload'), 'raw'), 'on_timeout')) ??
    str(field(field(event, 'payload'), 'on_timeout'));
  return {
    id: suspension.auto_resume_trigger?.id ?? null,
    event_id: str(field(event, 'id')) ?? str(field(event, 'event_id')),
    kind: str(field(event, 'kind')),
    provider: str(field(event, 'provider')),
    dedupe_key: str(field(event, 'dedupe_key')),
    timeout_action: timeoutAction,
  };
}

export interface ContinuityArgs {
  record: WorkerRecord;
  /** The suspension being ended (the record's, taken before the commit clears it). */
  suspension: Suspension;
  options: ResumeOptions;
  digest: string | null;
  /** Whether the resume runs inside an agent session (Harn: `current_session_id().is_some()`). */
  hasParentSession?: boolean;
}

/**
 * Every key of Harn's payload. As in Harn, `suspension.suspended_at_turn` is always present (null
 * when unknown) and holds the same derived turn as the top-level one, which defaults to 0.
 */
export function buildContinuity(args: ContinuityArgs): JsonObject {
  const { record, suspension, options, digest } = args;
  const session = sessionId(record);
  const turn = suspendedTurn(record, suspension);
  const initiator = inferInitiator(
    options.initiator,
    options.triggerEvent,
    args.hasParentSession ?? false,
  ).continuity;
  const input: JsonValue = options.inputPresent ? options.input : null;
  const rendered = options.inputPresent ? renderInput(options.input) : null;
  const inputRendered = rendered !== null && harnTrim(rendered) !== '' ? rendered : null;
  const trigger = triggerBlock(options.triggerEvent, suspension);
  const resume: JsonObject = {
    initiator,
    input,
    input_rendered: inputRendered,
    input_present: options.inputPresent,
    continue_transcript: options.continueTranscript,
    digest,
    trigger,
  };
  return {
    session_id: session,
    session: { id: session },
    worker: { id: record.id, name: record.name, mode: record.mode },
    suspension: {
      reason: suspension.reason,
      initiator: suspension.initiator,
      suspended_at: suspension.suspended_at,
      snapshot_ref: suspension.snapshot_ref,
      suspended_at_turn: turn,
      conditions: suspension.conditions ?? null,
    },
    reason: suspension.reason,
    suspended_at_turn: turn ?? 0,
    resume,
    initiator,
    input,
    input_rendered: inputRendered,
    input_present: options.inputPresent,
    continue_transcript: options.continueTranscript,
    digest,
    turn: 0,
    iteration: 0,
  };
}
