// API keys: `API_KEYS="name:key:scope,..."`, scope `read` or `write` (write includes read). A
// presented key is compared with every configured one in constant time (timingSafeEqual on
// SHA-256 digests, which have equal lengths whatever the keys' lengths), so neither the match nor
// its position leaks through timing. Keys are kept only as digests.

import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['read', 'write'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  name: string;
  scope: Scope;
  /** SHA-256 of the key. */
  digest: Buffer;
}

const digestOf = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/** Parses API_KEYS; throws an Error naming the entry (never the key) that is wrong. */
export function parseApiKeys(spec: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const parts = entry.split(':');
    const [name = '', key = '', scope = ''] = parts;
    const where = `entry ${i + 1}${/^[A-Za-z0-9_.-]{1,64}$/.test(name) ? ` ("${name}")` : ''}`;
    if (parts.length !== 3) throw new Error(`${where} is not name:key:scope`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
      throw new Error(`${where}: the name must be 1-64 of A-Z a-z 0-9 _ . -`);
    if (!/^[\x21-\x7e]{16,256}$/.test(key) || key.includes(','))
      throw new Error(`${where}: the key must be 16-256 printable characters without ':' or ','`);
    if (!(SCOPES as readonly string[]).includes(scope))
      throw new Error(`${where}: the scope must be read or write`);
    if (keys.some((k) => k.name === name)) throw new Error(`${where}: the name is used twice`);
    keys.push({ name, scope: scope as Scope, digest: digestOf(key) });
  }
  return keys;
}

/** The configured key matching `presented`, or null; always compares against every key. */
export function findKey(keys: readonly ApiKey[], presented: string): ApiKey | null {
  const digest = digestOf(presented);
  let found: ApiKey | null = null;
  for (const key of keys) if (timingSafeEqual(key.digest, digest) && found === null) found = key;
  return found;
}

export const allows = (held: Scope, needed: Scope) => held === 'write' || needed === 'read';

/** The key of an `Authorization: Bearer <key>` header, or null when there is none. */
export function bearerKey(header: string | undefined): string | null {
  const m = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1] ?? null;
}
