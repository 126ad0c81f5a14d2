// Idempotency keys (DESIGN §3.7). A key is scoped to one worker and stored next to it (same hash
// tag) with the hash of the request it was first used with and that request's outcome, for a TTL.
// Same key + same payload → the first outcome, `replayed: true`; same key + other payload → conflict.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ResumeProcessorError, RpCode } from './errors.js';
import type { ResumeOptions, ResumeOutcome } from './policy/types.js';
import type { KeySpace } from './store/keys.js';

export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface StoredIdempotency {
  payloadHash: string;
  outcome: ResumeOutcome;
}

/** Hash of what a keyed request asks for: its target and options, in a canonical key order. */
export function requestHash(workerId: string, options: ResumeOptions): string {
  return createHash('sha256').update(canonical({ workerId, options })).digest('hex');
}

export function idempotencyJobId(workerId: string, key: string): string {
  return `k-${createHash('sha256').update(`${workerId}\u0000${key}`).digest('hex').slice(0, 40)}`;
}

export function idempotencyConflict(workerId: string, key: string): ResumeProcessorError {
  return new ResumeProcessorError(
    RpCode.IdempotencyConflict,
    `idempotency key "${key}" was already used for worker ${workerId} with a different request; use a new key`,
    { workerId, path: 'options.idempotencyKey' },
  );
}

export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
  ) {}

  async get(workerId: string, key: string): Promise<StoredIdempotency | null> {
    const raw = await this.redis.get(this.keys.idempotency(workerId, hashKey(key)));
    return raw ? (JSON.parse(raw) as StoredIdempotency) : null;
  }

  /** Records the first outcome only (NX): a later writer never overwrites what callers already saw. */
  async remember(
    workerId: string,
    key: string,
    entry: StoredIdempotency,
    ttlMs: number,
  ): Promise<StoredIdempotency> {
    const redisKey = this.keys.idempotency(workerId, hashKey(key));
    const set = await this.redis.set(redisKey, JSON.stringify(entry), 'PX', ttlMs, 'NX');
    if (set === 'OK') return entry;
    return (await this.get(workerId, key)) ?? entry;
  }
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32);

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
