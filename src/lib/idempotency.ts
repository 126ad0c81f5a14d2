// Idempotency keys (DESIGN §3.7). A key is scoped to one worker and stored beside it (the store
// names the key) with the hash of the request it was first used with and that request's outcome,
// for a TTL. Same key + same payload → the first outcome, `replayed: true`; other payload → conflict.

import { createHash } from 'node:crypto';
import { ResumeProcessorError, RpCode } from './errors.js';
import type { ResumeOptions } from './policy/types.js';

export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Hash of what a keyed request asks for: its target and options, in a canonical key order. */
export function requestHash(workerId: string, options: ResumeOptions): string {
  return sha256(canonical({ workerId, options }));
}

/** The key as it appears in Redis: hashed, so any caller-chosen text is a safe key part. */
export const idempotencyKeyHash = (key: string) => sha256(key).slice(0, 32);

/** One job per (worker, key): a duplicate request joins the job already queued. */
export function idempotencyJobId(workerId: string, key: string): string {
  return `k-${sha256(`${workerId}\u0000${key}`).slice(0, 40)}`;
}

export function idempotencyConflict(workerId: string, key: string): ResumeProcessorError {
  return new ResumeProcessorError(
    RpCode.IdempotencyConflict,
    `idempotency key "${key}" was already used for worker ${workerId} with a different request; use a new key`,
    { workerId, path: 'options.idempotencyKey' },
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
