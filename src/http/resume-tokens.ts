// Resume tokens: `rt1.<claims>.<mac>`, base64url, where the claims bind a worker id, the epoch of
// one suspension and an expiry, and the mac is HMAC-SHA256 over `rt1.<claims>` with
// RESUME_TOKEN_SECRET. Checking a token reads nothing but the secret and the clock; whether it is
// still usable (its suspension not over, not used) is decided by the worker's record and the pinned
// resume it becomes. A token is a bearer credential: it never goes into a log.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { WorkerIdSchema } from '../lib/queues/catalog.js';

const VERSION = 'rt1';

const ClaimsSchema = z.strictObject({
  w: WorkerIdSchema,
  e: z.number().int().positive(),
  x: z.number().int().positive(),
});

export interface TokenClaims {
  workerId: string;
  epoch: number;
  expiresAtMs: number;
}

export type TokenCheck =
  | { kind: 'valid'; claims: TokenClaims }
  | { kind: 'invalid'; reason: string }
  | { kind: 'expired'; claims: TokenClaims };

const mac = (secret: string, signed: string) => createHmac('sha256', secret).update(signed).digest();

export function issueToken(secret: string, claims: TokenClaims): string {
  const body = Buffer.from(
    JSON.stringify({ w: claims.workerId, e: claims.epoch, x: claims.expiresAtMs }),
  ).toString('base64url');
  const signed = `${VERSION}.${body}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** Signature first (constant time), then the claims, then the expiry. */
export function checkToken(secret: string, token: string, nowMs: number): TokenCheck {
  const parts = token.split('.');
  const [version, body, signature] = parts;
  if (parts.length !== 3 || version !== VERSION || !body || !signature)
    return { kind: 'invalid', reason: 'not a resume token' };
  // Compared as text: only the canonical encoding of the mac passes, so one token has one spelling
  // (and one pinned job).
  const given = Buffer.from(signature, 'utf8');
  const expected = Buffer.from(mac(secret, `${version}.${body}`).toString('base64url'), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { kind: 'invalid', reason: 'the signature does not match' };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'unreadable claims' };
  }
  const parsed = ClaimsSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'invalid', reason: 'unreadable claims' };
  const claims = { workerId: parsed.data.w, epoch: parsed.data.e, expiresAtMs: parsed.data.x };
  return nowMs >= claims.expiresAtMs ? { kind: 'expired', claims } : { kind: 'valid', claims };
}

/** The name of a token's resume request (its pinned job): a digest, so the job id hides the token. */
export const tokenRequestKey = (token: string) => `token:${createHash('sha256').update(token).digest('hex')}`;
