// Input schemas of suspensions (`suspend(id, { inputSchema })`): a JSON Schema the resume input
// must match. Compiled with ajv once per distinct schema (cached by its text, bounded), checked by
// the producer when the worker suspends (a schema that does not compile is refused there) and by
// the consumer before a resume's decision (an input that does not match is RP-INPUT-SCHEMA: the
// worker stays suspended, its timeout armed).

import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { ResumeProcessorError, RpCode } from './errors.js';
import type { JsonValue } from './policy/types.js';

/** A schema's JSON text may not be longer (it is stored with the suspension). */
export const MAX_SCHEMA_CHARS = 64 * 1024;
const CACHE_SIZE = 500;

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const cache = new Map<string, ValidateFunction>();

export interface SchemaIssue {
  path: string;
  message: string;
}

function compiled(schema: JsonValue): ValidateFunction {
  const text = JSON.stringify(schema);
  const key = createHash('sha256').update(text).digest('base64url');
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return hit;
  }
  const validate = ajv.compile(schema as object | boolean);
  cache.set(key, validate);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return validate;
}

/** Why `schema` cannot be a suspension's input schema, or null when it can. */
export function schemaProblem(schema: JsonValue): string | null {
  if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema)))
    return 'must be a JSON Schema (an object or a boolean)';
  if (JSON.stringify(schema).length > MAX_SCHEMA_CHARS)
    return `must be at most ${MAX_SCHEMA_CHARS} characters of JSON`;
  try {
    compiled(schema);
    return null;
  } catch (err) {
    return `is not a valid JSON Schema: ${(err as Error).message}`;
  }
}

/** The input's mismatches with `schema` (empty: it matches). */
export function schemaIssues(schema: JsonValue, input: JsonValue): SchemaIssue[] {
  const validate = compiled(schema);
  if (validate(input)) return [];
  return (validate.errors ?? []).slice(0, 20).map((e) => ({
    path: e.instancePath === '' ? '/' : e.instancePath,
    message: e.message ?? 'does not match',
  }));
}

export function inputSchemaError(workerId: string, issues: SchemaIssue[]): ResumeProcessorError {
  const first = issues.map((i) => `${i.path} ${i.message}`).join('; ');
  return new ResumeProcessorError(
    RpCode.InputSchema,
    `the resume input of worker ${workerId} does not match its suspension's input_schema: ${first}`,
    { workerId, status: 'suspended', details: { issues } },
  );
}
