// Resume conditions: Harn's ResumeConditions validator (resume_conditions.rs) and the checks its
// auto-resume registration applies (triggers_stdlib), folded into one parse at suspend time so bad
// conditions are refused before the worker is suspended. Adds duration_ms / deadline / input.

import { HarnCode, SuspendError } from '../errors.js';
import { conditionsInvalid, timeoutUnsupported } from './messages.js';
import {
  cloneJson,
  compareCodePoints,
  findJsonIssue,
  harnTrim,
  harnTypeName,
  isNil,
  isPlainObject,
  renderInput,
} from './resume-options.js';
import type { JsonObject, JsonValue, ResumeConditions, TimeoutAction, TimeoutCondition } from './types.js';
import { TIMEOUT_ACTIONS } from './types.js';

const CONDITION_KEYS = ['trigger', 'timeout', 'on_event'];
const TIMEOUT_KEYS = ['duration_minutes', 'duration_ms', 'deadline', 'on_timeout', 'input'];
const DURATION_KEYS = ['duration_minutes', 'duration_ms', 'deadline'] as const;
const MINUTE_MS = 60_000;
const TOPIC = /^[A-Za-z0-9._:/-]+$/;
// A time zone is required: without one Date.parse reads local time, and policy must not depend on
// the machine's TZ.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const DEADLINE_HINT = 'must be an ISO-8601 date-time with a time zone, or epoch milliseconds';

const sortedKeys = (value: Record<string, unknown>) => Object.keys(value).sort(compareCodePoints);

/** HARN-SUS-007, the code Harn gives when `parse_trigger_config` rejects conditions.trigger. */
function triggerRejected(reason: string): SuspendError {
  return new SuspendError(
    HarnCode.ResumeTriggerRegistrationFailed,
    `auto_resume: failed to parse conditions.trigger for registration: ${reason}`,
    { path: 'conditions.trigger' },
  );
}

/**
 * Validates raw conditions and returns them normalized, or null for nil. Error order: the root
 * type, unknown keys (in Harn's sorted-key order), non-JSON values, the trigger's type (SUS-002),
 * then the timeout (SUS-002/008), on_event (SUS-002), and last the trigger's content (SUS-007).
 */
export function parseResumeConditions(raw: unknown): ResumeConditions | null {
  if (isNil(raw)) return null;
  if (!isPlainObject(raw)) throw conditionsInvalid('root', `expected dict or nil, got ${harnTypeName(raw)}`);
  for (const key of sortedKeys(raw)) {
    if (!CONDITION_KEYS.includes(key))
      throw conditionsInvalid(key, 'unknown field; expected trigger, timeout, or on_event');
  }
  const issue = findJsonIssue(raw);
  if (issue) throw conditionsInvalid(issue.path.join('.'), issue.message);
  const trigger = raw.trigger;
  if (!isNil(trigger) && !isPlainObject(trigger)) {
    throw conditionsInvalid('trigger', `expected dict or nil, got ${harnTypeName(trigger)}`);
  }
  const conditions: ResumeConditions = {};
  const timeout = parseTimeout(raw.timeout);
  if (timeout) conditions.timeout = timeout;
  const topic = parseOnEvent(raw.on_event);
  if (topic !== undefined) conditions.on_event = topic;
  if (isPlainObject(trigger)) {
    validateTrigger(trigger);
    conditions.trigger = cloneJson(trigger as JsonObject) as JsonObject;
  }
  return conditions;
}

function parseTimeout(value: unknown): TimeoutCondition | undefined {
  if (isNil(value)) return undefined;
  if (!isPlainObject(value))
    throw conditionsInvalid('timeout', `expected dict or nil, got ${harnTypeName(value)}`);
  for (const key of sortedKeys(value)) {
    if (!TIMEOUT_KEYS.includes(key)) {
      throw conditionsInvalid(
        `timeout.${key}`,
        'unknown field; expected duration_minutes, duration_ms, deadline, on_timeout or input',
      );
    }
  }
  const given = DURATION_KEYS.filter((key) => !isNil(value[key]));
  // With none given, Harn's own message: duration_minutes is its only (required) field.
  if (given.length === 0) throw conditionsInvalid('timeout.duration_minutes', 'must be a positive int');
  if (given.length > 1) {
    throw conditionsInvalid(
      'timeout',
      `expected exactly one of duration_minutes, duration_ms, or deadline; got ${given.join(', ')}`,
    );
  }
  const timeout: TimeoutCondition = { on_timeout: 'resume_with_summary' };
  if (given[0] === 'duration_minutes')
    timeout.duration_minutes = positiveInt(value.duration_minutes, 'duration_minutes', MINUTE_MS);
  else if (given[0] === 'duration_ms') timeout.duration_ms = positiveInt(value.duration_ms, 'duration_ms', 1);
  else timeout.deadline = parseDeadline(value.deadline);
  timeout.on_timeout = parseTimeoutAction(value.on_timeout);
  if (!isNil(value.input)) {
    const input = cloneJson(value.input as JsonValue);
    // It becomes the resume input when the timeout fires; refused now rather than stranding the
    // worker later with HARN-SUS-009 (validate before mutate).
    if (harnTrim(renderInput(input)) === '') {
      throw conditionsInvalid('timeout.input', 'must be nil or render as non-empty text');
    }
    timeout.input = input;
  }
  return timeout;
}

function positiveInt(value: unknown, field: string, unitMs: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw conditionsInvalid(`timeout.${field}`, 'must be a positive int');
  }
  // Beyond this the deadline arithmetic loses precision; no real timeout is that long.
  const max = Math.floor(Number.MAX_SAFE_INTEGER / 2 / unitMs);
  if (value > max) throw conditionsInvalid(`timeout.${field}`, `must be at most ${max}`);
  return value;
}

function parseDeadline(value: unknown): string | number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    if (ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return value;
  }
  throw conditionsInvalid('timeout.deadline', DEADLINE_HINT);
}

function parseTimeoutAction(value: unknown): TimeoutAction {
  if (isNil(value)) return 'resume_with_summary';
  if (typeof value === 'string') {
    const action = TIMEOUT_ACTIONS.find((known) => known === value);
    if (action) return action;
    throw timeoutUnsupported(value);
  }
  throw new SuspendError(
    HarnCode.ResumeTimeoutUnsupported,
    `auto_resume: conditions.timeout.on_timeout must be resume_with_summary, resume_with_input, or fail; got ${harnTypeName(value)}`,
    { path: 'conditions.timeout.on_timeout' },
  );
}

/** Harn trims the topic and checks it is a valid event-log topic. */
function parseOnEvent(value: unknown): string | undefined {
  if (isNil(value)) return undefined;
  if (typeof value !== 'string')
    throw conditionsInvalid('on_event', `expected string or nil, got ${harnTypeName(value)}`);
  const topic = harnTrim(value);
  if (topic === '') throw conditionsInvalid('on_event', 'must be a non-empty string');
  if (!TOPIC.test(topic)) {
    throw conditionsInvalid(
      'on_event',
      `invalid runtime event channel: "${topic}" may only contain letters, digits and . _ : / -`,
    );
  }
  return topic;
}

/**
 * The event list a trigger names, in Harn's precedence: our `match_events`, then Harn's
 * `match.events`, then `events`. Returns the raw field for validation.
 */
function matchEventsField(trigger: Record<string, unknown>): { name: string; value: unknown } | null {
  if (!isNil(trigger.match_events)) return { name: 'match_events', value: trigger.match_events };
  const match = trigger.match;
  if (isPlainObject(match) && !isNil(match.events)) return { name: 'match.events', value: match.events };
  if (!isNil(trigger.events)) return { name: 'events', value: trigger.events };
  return null;
}

function validateTrigger(trigger: Record<string, unknown>): void {
  const field = matchEventsField(trigger);
  let events = 0;
  if (field) {
    if (!Array.isArray(field.value))
      throw triggerRejected(`trigger_register: \`${field.name}\` must be a list of strings`);
    for (const item of field.value) {
      if (typeof item !== 'string' || item === '') {
        throw triggerRejected(
          `trigger_register: \`${field.name}\` entries must be non-empty strings, got ${harnTypeName(item)}`,
        );
      }
    }
    events = field.value.length;
  }
  const kind = trigger.kind;
  if (isNil(kind)) {
    // Harn needs `kind` always; we accept an explicit event list instead (match_events defaults to [kind]).
    if (events === 0) throw triggerRejected('trigger_register: missing string field `kind`');
  } else if (typeof kind !== 'string' || kind === '') {
    throw triggerRejected('trigger_register: `kind` must be a non-empty string');
  }
  if (!isNil(trigger.provider) && typeof trigger.provider !== 'string') {
    throw triggerRejected('trigger_register: field `provider` must be a string');
  }
}

/** Absolute time a timeout fires. `nowMs` is passed in: policy reads no clock. */
export function timeoutDeadlineMs(timeout: TimeoutCondition, nowMs: number): number {
  if (timeout.duration_minutes !== undefined) return nowMs + timeout.duration_minutes * MINUTE_MS;
  if (timeout.duration_ms !== undefined) return nowMs + timeout.duration_ms;
  if (timeout.deadline !== undefined)
    return typeof timeout.deadline === 'number' ? timeout.deadline : parseDeadlineMs(timeout.deadline);
  throw conditionsInvalid('timeout.duration_minutes', 'must be a positive int');
}

function parseDeadlineMs(deadline: string): number {
  const ms = ISO_DATE_TIME.test(deadline) ? Date.parse(deadline) : Number.NaN;
  if (Number.isNaN(ms)) throw conditionsInvalid('timeout.deadline', DEADLINE_HINT);
  return ms;
}

/** Event kinds that resume the worker: the trigger's event list (default [kind]) plus on_event; deduped. */
export function triggerMatchEvents(conditions: ResumeConditions): string[] {
  const events: string[] = [];
  const trigger = conditions.trigger;
  if (trigger) {
    const field = matchEventsField(trigger);
    const listed = Array.isArray(field?.value)
      ? field.value.filter((e): e is string => typeof e === 'string' && e !== '')
      : [];
    if (listed.length > 0) events.push(...listed);
    else if (typeof trigger.kind === 'string' && trigger.kind !== '') events.push(trigger.kind);
  }
  if (conditions.on_event) events.push(conditions.on_event);
  return [...new Set(events)];
}

/** Harn's trigger id: `auto_resume_<sanitized worker id>_<unique>`, [A-Za-z0-9_-] kept, per code point. */
export function autoResumeTriggerId(workerId: string, unique: string): string {
  return `auto_resume_${workerId.replace(/[^A-Za-z0-9_-]/gu, '_')}_${unique}`;
}
