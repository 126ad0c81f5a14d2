// Resume options exactly as Harn's `parse_resume_options` reads them (harn-semantics §3), plus the
// VM-value helpers the policy needs to reproduce Harn's observable text: `display()`, truthiness,
// `trim()` and type names. Our VM values are JSON values; the mapping is documented per helper.

import { z } from 'zod';
import { RpCode, ValidationError } from '../errors.js';
import type { JsonObject, JsonValue, ResumeOptions } from './types.js';

/** Containers nested deeper than this are refused: a cycle or an abuse, never a real payload. */
export const MAX_JSON_DEPTH = 64;

const OPTION_KEYS = [
  'input',
  'resume_input',
  'continue_transcript',
  'initiator',
  'resume_initiator',
  'trigger_event',
];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Harn's `is_nil`: JS has two spellings of nil. */
export function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/**
 * Harn's `VmValue::is_truthy` (value/core.rs): false, nil, 0, 0.0, "" and empty lists/dicts are
 * falsy; everything else (closures, handles, NaN since NaN != 0.0) is truthy. Unlike JS, `[]` and
 * `{}` are falsy and NaN is truthy.
 */
export function harnTruthy(value: unknown): boolean {
  if (isNil(value)) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** Harn's `type_name()` for the value a JS caller handed us (numbers split into int/float as Harn does). */
export function harnTypeName(value: unknown): string {
  if (isNil(value)) return 'nil';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'function') return 'closure';
  if (Array.isArray(value)) return 'list';
  if (isPlainObject(value)) return 'dict';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

// Rust's `str::trim` strips Unicode White_Space, which differs from JS `trim()`: Rust strips U+0085
// (NEL) and keeps U+FEFF (BOM); JS does the opposite. Blank-input checks must agree with Harn.
const RUST_WS = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const RUST_TRIM = new RegExp(`^[${RUST_WS}]+|[${RUST_WS}]+$`, 'g');

/** Code units that may start Rust White_Space: anything else at both ends means nothing to trim. */
const mayBeSpace = (c: number) => c <= 0x20 || c === 0x85 || c === 0xa0 || c >= 0x1680;

export function harnTrim(text: string): string {
  if (text.length === 0) return text;
  if (!mayBeSpace(text.charCodeAt(0)) && !mayBeSpace(text.charCodeAt(text.length - 1))) return text;
  return text.replace(RUST_TRIM, '');
}

/** Orders strings by code point, i.e. by UTF-8 bytes: the order of Harn's BTreeMap<String, _> dicts. */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const diff = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (diff !== 0) return diff;
  }
}

export interface JsonIssue {
  path: (string | number)[];
  message: string;
}

/** First reason `value` is not a plain JSON value, or null. Walks at most MAX_JSON_DEPTH containers deep. */
export function findJsonIssue(value: unknown, path: (string | number)[] = [], depth = 0): JsonIssue | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { path, message: `expected a finite number, got ${value}` };
  }
  const isList = Array.isArray(value);
  if (!isList && !isPlainObject(value)) {
    return { path, message: `expected a JSON value, got ${harnTypeName(value)}` };
  }
  if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  if (isList) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return { path: [...path, i], message: 'expected a JSON value, got an array hole' };
      const issue = findJsonIssue(value[i], [...path, i], depth + 1);
      if (issue) return issue;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    // A literal "__proto__" key would rebuild as a prototype change when the object is copied.
    if (key === '__proto__') return { path: [...path, key], message: 'key "__proto__" is not allowed' };
    const issue = findJsonIssue((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (issue) return issue;
  }
  return null;
}

/** Deep copy of a value already checked by findJsonIssue, detached from the caller's objects. */
export function cloneJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = cloneJson(item);
    return out;
  }
  return value;
}

/** A JSON value (finite numbers, plain objects, no holes, no `__proto__` key, at most 64 levels). */
export const JsonValueSchema = z.custom<JsonValue>().superRefine((value, ctx) => {
  const issue = findJsonIssue(value);
  if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

/** The normalized options (what a resume job carries after the producer parsed them). */
export const ResumeOptionsSchema = z
  .strictObject({
    inputPresent: z.boolean(),
    input: JsonValueSchema,
    continueTranscript: z.boolean(),
    initiator: z.string().nullable(),
    triggerEvent: JsonValueSchema,
  })
  .superRefine((options, ctx) => {
    // Harn's Option<VmValue> never holds nil: "present" and "non-null" are the same fact.
    if (options.inputPresent !== (options.input !== null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['input'],
        message: 'input must be non-null exactly when inputPresent',
      });
    }
    if (options.initiator !== null && harnTrim(options.initiator) === '') {
      ctx.addIssue({ code: 'custom', path: ['initiator'], message: 'initiator must be null or non-blank' });
    }
  });

function requireJson(value: unknown, field: string): JsonValue {
  const issue = findJsonIssue(value, [field]);
  if (issue) {
    const path = issue.path.join('.');
    throw new ValidationError(RpCode.InvalidInput, `resume options: ${path}: ${issue.message}`, [
      { path, message: issue.message },
    ]);
  }
  return cloneJson(value as JsonValue);
}

/**
 * Harn's `parse_resume_options(args)` with args[1] = inputOrOptions and args[2] = continueTranscript.
 * A dict is an options dict only when it has one of the option keys (presence counts, even when the
 * value is nil); `input`/`initiator` shadow their aliases whenever the key is present. Any other
 * dict, and any non-nil non-dict value (including ""), is the input itself. Non-JSON values are
 * refused with RP-INVALID-INPUT naming the path: they could not be stored or displayed faithfully.
 */
export function parseResumeOptions(inputOrOptions: unknown, continueTranscript?: unknown): ResumeOptions {
  const options: ResumeOptions = {
    inputPresent: false,
    input: null,
    continueTranscript: true,
    initiator: null,
    triggerEvent: null,
  };
  const raw = inputOrOptions;
  if (isPlainObject(raw) && OPTION_KEYS.some((key) => Object.hasOwn(raw, key))) {
    const inputKey = Object.hasOwn(raw, 'input') ? 'input' : 'resume_input';
    if (!isNil(raw[inputKey])) {
      options.input = requireJson(raw[inputKey], inputKey);
      options.inputPresent = true;
    }
    if (!isNil(raw.continue_transcript)) options.continueTranscript = harnTruthy(raw.continue_transcript);
    const initiatorKey = Object.hasOwn(raw, 'initiator') ? 'initiator' : 'resume_initiator';
    if (!isNil(raw[initiatorKey])) {
      const text = renderInput(requireJson(raw[initiatorKey], initiatorKey));
      if (harnTrim(text) !== '') options.initiator = text;
    }
    if (!isNil(raw.trigger_event)) options.triggerEvent = requireJson(raw.trigger_event, 'trigger_event');
  } else if (!isNil(raw)) {
    options.input = requireJson(raw, 'input');
    options.inputPresent = true;
  }
  if (!isNil(continueTranscript)) options.continueTranscript = harnTruthy(continueTranscript);
  return options;
}

/**
 * Rust's `Display` for f64 never uses exponent notation: it prints the shortest round-trip digits
 * (the same digits JS picks) padded with zeros. Expand JS's exponent form into that.
 */
function plainDecimal(n: number): string {
  const text = String(n);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', lead = '', fraction = '', exp = '0'] = match;
  const digits = lead + fraction;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function renderNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // JSON integers become Harn Ints ("3"); JS cannot tell 3.0 from 3, so "3.0" input renders "3",
  // where Harn would print a Float as "3.0". -0 is an Int 0 for the same reason.
  if (Object.is(n, -0)) return '0';
  return plainDecimal(n);
}

/**
 * Harn's `VmValue::display()` of the VM value `json_to_vm_value` builds from `value`: strings
 * verbatim (also inside containers, unquoted), ints as digits, bools as true/false, null as
 * `nil`, lists as `[a, b]`, dicts as `{key: value, other: value}`. Dicts are BTreeMaps in Harn,
 * so keys print in code-point (UTF-8 byte) order, not insertion order.
 */
export function renderInput(value: JsonValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return renderNumber(value);
  if (Array.isArray(value)) return `[${value.map(renderInput).join(', ')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((key) => `${key}: ${renderInput(value[key] ?? null)}`).join(', ')}}`;
}

/**
 * Harn's `apply_resume_input` check, without the mutation: no input is a no-op; input whose display
 * is blank is invalid (the caller raises HARN-SUS-009); otherwise the untrimmed display text.
 */
export function resumeInputText(
  options: ResumeOptions,
): { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'invalid' } {
  if (!options.inputPresent) return { kind: 'none' };
  const text = renderInput(options.input);
  return harnTrim(text) === '' ? { kind: 'invalid' } : { kind: 'text', text };
}
