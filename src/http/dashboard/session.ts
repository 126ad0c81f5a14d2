// Dashboard sessions: the API key typed once into the login form becomes a cookie
// `v1.<key name, base64url>.<expiry ms>.<nonce>.<mac>`, HttpOnly and SameSite=Strict, where the MAC
// is an HMAC-SHA256 keyed by the API key's digest (the server keeps no other secret and no session
// table). Every API server with the same API_KEYS accepts it, and removing or changing a key ends
// its sessions. The key itself never goes into the cookie. The CSRF token of a session is another
// HMAC of its nonce under the same key: forms carry it, and a write without it is refused.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Scope } from '../api-keys.js';

export const SESSION_COOKIE = 'rp_dashboard';
/** A session lasts 12 hours, then the key is asked for again. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

export interface Session {
  name: string;
  scope: Scope;
  nonce: string;
  /** The key's digest: the MAC key of the session and of its CSRF token. */
  secret: Buffer;
  insecure: boolean;
}

const mac = (secret: Buffer, purpose: string, text: string) =>
  createHmac('sha256', secret).update(`rp-dashboard-${purpose}\n${text}`).digest('base64url');

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A new session cookie's value for `key`. */
export function issueSession(key: ApiKey, nowMs: number): string {
  // The name in base64url: key names may hold dots, the cookie's separator.
  const name = Buffer.from(key.name, 'utf8').toString('base64url');
  const body = `v1.${name}.${nowMs + SESSION_TTL_MS}.${randomBytes(16).toString('base64url')}`;
  return `${body}.${mac(key.digest, 'session', body)}`;
}

/** The session a cookie value stands for, or null (garbled, expired, forged, or its key is gone). */
export function readSession(
  keys: readonly ApiKey[],
  value: string | undefined,
  nowMs: number,
): Session | null {
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') return null;
  const [, encoded, expiry, nonce, given] = parts as [string, string, string, string, string];
  if (!(Number(expiry) > nowMs)) return null;
  const name = Buffer.from(encoded, 'base64url').toString('utf8');
  const key = keys.find((k) => k.name === name);
  if (!key) return null;
  if (!same(given, mac(key.digest, 'session', parts.slice(0, 4).join('.')))) return null;
  return { name, scope: key.scope, nonce, secret: key.digest, insecure: false };
}

/** With --insecure-no-auth: one write session for everyone, its secret made at start. */
export function insecureSession(secret: Buffer): Session {
  return { name: 'insecure', scope: 'write', nonce: 'insecure', secret, insecure: true };
}

export const newInsecureSecret = () => randomBytes(32);

export const csrfToken = (s: Session) => mac(s.secret, 'csrf', s.nonce);

export const csrfMatches = (s: Session, given: unknown) =>
  typeof given === 'string' && same(given, csrfToken(s));
