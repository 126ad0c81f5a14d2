// Malformed HTTP requests for the API (fast-check arbitraries) and a runner that fires them, 20 in
// flight at once, and checks each answer is a 4xx problem with a code. Used by
// test/http/malformed.test.ts (npm test) and the battery's http-attack scenario (npm run chaos).
// Every request is wrong in at least one way the API checks before it changes anything: no or a
// wrong key, a read key on a write, a body or query that breaks its schema, another media type,
// malformed JSON, a forged token, a bad webhook signature, a route that does not exist.

import fc from 'fast-check';

import { READ_KEY as FUZZ_READ_KEY, WRITE_KEY as FUZZ_WRITE_KEY } from './api-env.js';

/** The workers the run expects (fz-1 waits for an event, fz-2's link was used once, fz-3 runs). */
export const FUZZ_WORKERS = ['fz-1', 'fz-2', 'fz-3'];

export interface Malformed {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const id = fc.oneof(
  fc.constantFrom(...FUZZ_WORKERS),
  fc.constantFrom('ghost', 'a b', '..', '%00', 'x.json', 'é', '-'.repeat(200)),
  fc.string({ maxLength: 12 }),
);
/** Ids that are not worker ids, or name no worker. */
const badId = fc.constantFrom('ghost', 'a b', '..', '%00', 'x.json', 'é', '-'.repeat(200), 'fz-9', '');
const writeRoutes = (w: string) => [
  '/v1/workers',
  `/v1/workers/${encodeURIComponent(w)}/suspend`,
  `/v1/workers/${encodeURIComponent(w)}/resume`,
  `/v1/workers/${encodeURIComponent(w)}/close`,
  `/v1/workers/${encodeURIComponent(w)}/timeout`,
  '/v1/events',
];
const readRoutes = (w: string) => [
  '/v1/workers',
  `/v1/workers/${encodeURIComponent(w)}`,
  `/v1/workers/${encodeURIComponent(w)}/events`,
];
const json = fc.jsonValue({ maxDepth: 3 });
/** An object with a key no schema has: every /v1 body schema is strict. */
const strayObject = fc
  .tuple(
    fc.dictionary(fc.constantFrom('input', 'options', 'name', 'task', 'reason', 'by_ms', 'kind', 'id'), json),
    json,
  )
  .map(([o, v]) => ({ ...o, zz_stray: v }));
const malformedJson = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', 'nul', '{"a":1}}', "{'a':1}", '{"__proto__":{"x":1}}'),
  fc.string({ maxLength: 40 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);
const auth = (key: 'write' | 'read' | 'none' | 'wrong' | 'basic'): Record<string, string> =>
  key === 'write'
    ? { authorization: `Bearer ${FUZZ_WRITE_KEY}` }
    : key === 'read'
      ? { authorization: `Bearer ${FUZZ_READ_KEY}` }
      : key === 'wrong'
        ? { authorization: `Bearer ${FUZZ_WRITE_KEY.slice(0, -1)}x` }
        : key === 'basic'
          ? { authorization: `Basic ${Buffer.from(`ops:${FUZZ_WRITE_KEY}`).toString('base64')}` }
          : {};
const JSON_TYPE = { 'content-type': 'application/json' };

/** One malformed request; `usedToken`: a resume link already used once (its replays). */
export function malformedRequest(usedToken: string): fc.Arbitrary<Malformed> {
  return fc.oneof(
    // A write route with a valid key and a body its schema refuses, malformed JSON or another type.
    fc
      .tuple(
        id,
        fc.nat(5),
        fc.oneof(
          strayObject.map((o) => ({ body: JSON.stringify(o), type: JSON_TYPE })),
          malformedJson.map((b) => ({ body: b, type: JSON_TYPE })),
          json.map((v) => ({ body: JSON.stringify(v), type: { 'content-type': 'text/plain' } })),
          fc
            .constantFrom(
              'application/xml',
              'multipart/form-data; boundary=x',
              'application/x-www-form-urlencoded',
              'a/b',
            )
            .map((t) => ({ body: '{}', type: { 'content-type': t } })),
          fc.constant({ body: JSON.stringify({ name: 'x', task: 'y'.repeat(9000) }), type: JSON_TYPE }),
        ),
      )
      .map(([w, i, b]) => ({
        method: 'POST',
        path: writeRoutes(w)[i] as string,
        headers: { ...auth('write'), ...b.type },
        body: b.body,
      })),
    // A write route without a valid key, or with a read key, whatever the body.
    fc
      .tuple(id, fc.nat(5), fc.constantFrom('read', 'none', 'wrong', 'basic') as fc.Arbitrary<'read'>, json)
      .map(([w, i, key, v]) => ({
        method: 'POST',
        path: writeRoutes(w)[i] as string,
        headers: { ...auth(key), ...JSON_TYPE },
        body: JSON.stringify(v),
      })),
    // A read route with a key: a listing with a query parameter its schema refuses, or a worker id
    // that is not one (or unknown).
    fc
      .tuple(
        badId,
        fc.nat(2),
        fc.constantFrom('write', 'read') as fc.Arbitrary<'read'>,
        fc.string({ maxLength: 8 }),
      )
      .map(([w, i, key, v]) => ({
        method: 'GET',
        path: i === 0 ? `/v1/workers?zz_stray=${encodeURIComponent(v)}` : (readRoutes(w)[i] as string),
        headers: auth(key),
      })),
    // A read route without a valid key.
    fc
      .tuple(id, fc.nat(2), fc.constantFrom('none', 'wrong', 'basic') as fc.Arbitrary<'none'>)
      .map(([w, i, key]) => ({ method: 'GET', path: readRoutes(w)[i] as string, headers: auth(key) })),
    // A resume link that is not one.
    fc
      .tuple(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 60 }),
          fc.base64String({ minLength: 4, maxLength: 120 }),
        ),
        json,
      )
      .map(([t, v]) => ({
        method: 'POST',
        path: `/v1/resume/${encodeURIComponent(`rt1.${t}`)}`,
        headers: JSON_TYPE,
        body: JSON.stringify({ input: v }),
      })),
    // A webhook with a signature that does not match (or none), or for a provider without a secret.
    fc
      .tuple(
        fc.constantFrom('github', 'gitlab', 'Bad!'),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 64 }),
        json,
      )
      .map(([provider, sig, v]) => ({
        method: 'POST',
        path: `/v1/webhooks/${encodeURIComponent(provider)}`,
        headers: {
          ...JSON_TYPE,
          'x-github-event': 'fuzz.event',
          'x-github-delivery': 'fz',
          ...(sig === '' ? {} : { 'x-hub-signature-256': `sha256=${sig}` }),
        },
        body: JSON.stringify(v),
      })),
    // Bodies built to hurt: prototype-pollution keys, deep nesting, a body past the limit.
    fc
      .tuple(
        id,
        fc.nat(5),
        fc.oneof(
          fc
            .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), json)
            .map(([k, v]) => `{"${k}":${JSON.stringify(v)},"input":{"${k}":{"polluted":true}}}`),
          fc.integer({ min: 200, max: 3500 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
          fc.integer({ min: 100, max: 1500 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
          fc.integer({ min: 9000, max: 40_000 }).map((n) => JSON.stringify({ input: 'x'.repeat(n) })),
        ),
      )
      .map(([w, i, body]) => ({
        method: 'POST',
        path: writeRoutes(w)[i] as string,
        headers: { ...auth('write'), ...JSON_TYPE },
        body,
      })),
    // A resume link replayed after its first use, with any input.
    json.map((v) => ({
      method: 'POST',
      path: `/v1/resume/${usedToken}`,
      headers: JSON_TYPE,
      body: JSON.stringify({ input: v }),
    })),
    // Routes and methods that do not exist.
    fc
      .tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH', 'GET', 'POST'), fc.webPath({ size: 'small' }))
      .map(([method, path]) => ({ method, path: `/x${path}`, headers: auth('write') })),
  );
}

export interface FuzzResult {
  sent: number;
  statuses: Map<number, number>;
  /** Answer times, ms. */
  ms: number[];
  /** The first answer that was not a 4xx problem with a code (the run stops there). */
  offender: string | null;
}

/** Fires `requests` malformed requests at `url` (a multiple of 20), 20 at a time. */
export async function fireMalformed(
  url: string,
  requests: number,
  usedToken: string,
  seed: number,
): Promise<FuzzResult> {
  const statuses = new Map<number, number>();
  const ms: number[] = [];
  let sent = 0;
  let offender: string | null = null;
  const request = malformedRequest(usedToken);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 20, maxLength: 20 }), async (batch) => {
        const answers = await Promise.all(
          batch.map(async (r) => {
            const t = performance.now();
            const res = await fetch(`${url}${r.path}`, {
              method: r.method,
              headers: r.headers,
              ...(r.body === undefined ? {} : { body: r.body }),
            });
            const text = await res.text();
            ms.push(performance.now() - t);
            return { r, status: res.status, type: res.headers.get('content-type') ?? '', text };
          }),
        );
        sent += answers.length;
        for (const a of answers) {
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          const bad = `${a.r.method} ${a.r.path} ${JSON.stringify(a.r.headers)} ${a.r.body?.slice(0, 200)}: ${a.status} ${a.text.slice(0, 300)}`;
          if (a.status < 400 || a.status >= 500 || !a.type.startsWith('application/problem+json'))
            throw new Error(bad);
          const code = (JSON.parse(a.text) as { code?: unknown }).code;
          if (typeof code !== 'string' || code === '') throw new Error(`no code: ${bad}`);
        }
      }),
      { numRuns: Math.ceil(requests / 20), seed, endOnFailure: true },
    );
  } catch (err) {
    offender = (err as Error).message.slice(0, 2000);
  }
  return { sent, statuses, ms, offender };
}

/** The p-th percentile of `values` (ms), 0 when empty. */
export function percentileMs(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((sorted.length * p) / 100) - 1)] ?? 0;
}
