// Resume links: issued with a suspension, public, single use (50 concurrent uses resume once), bound
// to their suspension; forged, expired, replayed and older-suspension tokens are refused with a code
// and change nothing; tokens never reach the logs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/http/resume-tokens.js';
import { sleep } from '../support/harness.js';
import { type Api, expectProblem, parkedWorker, startApi, stateDigest, TOKEN_SECRET } from './support.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

const use = (token: string, body: unknown = { input: 'approved' }, query = '') =>
  api.call('POST', `/v1/resume/${token}${query}`, { key: 'none', json: body });

const resumedEvents = async (id: string) =>
  (await api.call('GET', `/v1/workers/${id}/events`)).body.items.filter(
    (e: { type: string }) => e.type === 'WorkerResumed',
  ).length;

describe('resume links', () => {
  it('suspend issues a token and a resume_url; using it (no API key) resumes that suspension', async () => {
    const s = await parkedWorker(api, 'tok-1', { resume_token: true });
    expect(s.resume_token).toMatch(/^rt1\./);
    expect(s.resume_url).toBe(`${api.url}/v1/resume/${s.resume_token}`);
    expect(Date.parse(s.resume_token_expires_at) - Date.now()).toBeGreaterThan(6 * 24 * 3600 * 1000);
    const a = await api.call('POST', new URL(s.resume_url).pathname.concat('?wait_ms=10000'), {
      key: 'none',
      json: { input: 'approved' },
    });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      outcome: 'resumed',
      version: s.version + 1,
      worker: { history: ['approved'] },
    });
    // Replayed: the link is used.
    expectProblem(await use(s.resume_token), 410, 'RP-TOKEN-USED');
    const ttl = await parkedWorker(api, 'tok-ttl', { resume_token: { ttl_ms: 60_000 } });
    expect(Date.parse(ttl.resume_token_expires_at) - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('50 concurrent uses of one token: one is accepted, 49 are told it is used, one resume happens', async () => {
    const s = await parkedWorker(api, 'tok-50', { resume_token: true });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => use(s.resume_token, { input: `use ${i}` })),
    );
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 202)) expectProblem(a, 410, 'RP-TOKEN-USED');
    await expect
      .poll(async () => (await api.call('GET', '/v1/workers/tok-50')).body.status, { timeout: 10_000 })
      .toBe('running');
    await sleep(300);
    const w = (await api.call('GET', '/v1/workers/tok-50')).body;
    expect(w.version).toBe(s.version + 1);
    expect(w.history).toHaveLength(1);
    expect(await resumedEvents('tok-50')).toBe(1);
    expect((await api.h.respawnJobIds()).filter((id) => id.startsWith('respawn-tok-50-'))).toEqual([
      `respawn-tok-50-${s.version + 1}`,
    ]);
  });

  it('forged, tampered and foreign tokens are 401 RP-TOKEN-INVALID and change nothing', async () => {
    const s = await parkedWorker(api, 'tok-forged', { resume_token: true });
    const [v, claims, mac] = s.resume_token.split('.');
    const other = JSON.parse(Buffer.from(claims, 'base64url').toString());
    const tampered = `${v}.${Buffer.from(JSON.stringify({ ...other, x: other.x + 1 })).toString('base64url')}.${mac}`;
    const foreign = issueToken('another-secret-0123456789abcdef-0123', {
      workerId: 'tok-forged',
      epoch: s.suspension.epoch,
      expiresAtMs: Date.now() + 60_000,
    });
    // One character of the mac changed; a second spelling of the same mac bytes is not accepted either.
    const flipped = `${v}.${claims}.${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.at(-1)}`;
    const before = await stateDigest(api.h.redis, api.h.prefix);
    for (const token of [
      tampered,
      foreign,
      flipped,
      'rt1.e30.AAAA',
      'garbage',
      `${s.resume_token}x`,
      'a'.repeat(2000),
    ])
      expectProblem(await use(encodeURIComponent(token)), 401, 'RP-TOKEN-INVALID');
    expect(await stateDigest(api.h.redis, api.h.prefix)).toBe(before);
    expect((await api.call('GET', '/v1/workers/tok-forged')).body.status).toBe('suspended');
  });

  it('an expired token is 410 RP-TOKEN-EXPIRED and changes nothing', async () => {
    const s = await parkedWorker(api, 'tok-exp', { resume_token: { ttl_ms: 1000 } });
    await sleep(1100);
    const before = await stateDigest(api.h.redis, api.h.prefix);
    expectProblem(await use(s.resume_token), 410, 'RP-TOKEN-EXPIRED');
    expect(await stateDigest(api.h.redis, api.h.prefix)).toBe(before);
  });

  it("an older suspension's token is 410 RP-TOKEN-STALE; the current suspension stays", async () => {
    const first = await parkedWorker(api, 'tok-old', { resume_token: true });
    const resumed = await api.call('POST', '/v1/workers/tok-old/resume?wait_ms=10000', {
      json: { input: 'by api' },
    });
    expect(resumed.body.outcome).toBe('resumed');
    const second = await api.call('POST', '/v1/workers/tok-old/suspend', { json: { reason: 'again' } });
    const before = await stateDigest(api.h.redis, api.h.prefix);
    expectProblem(await use(first.resume_token), 410, 'RP-TOKEN-STALE');
    expect(await stateDigest(api.h.redis, api.h.prefix)).toBe(before);
    expect((await api.call('GET', '/v1/workers/tok-old')).body).toMatchObject({
      status: 'suspended',
      version: second.body.version,
    });
    // A closed worker's token is over too.
    const c = await parkedWorker(api, 'tok-closed', { resume_token: true });
    await api.call('POST', '/v1/workers/tok-closed/close', {});
    expectProblem(await use(c.resume_token), 410, 'RP-TOKEN-STALE');
  });

  it("an input the suspension's schema refuses is 422 and does not use the link up", async () => {
    const s = await parkedWorker(api, 'tok-schema', {
      resume_token: true,
      input_schema: { type: 'object', required: ['approved'] },
    });
    const bad = await use(s.resume_token, { input: 'just text' }, '?wait_ms=10000');
    expectProblem(bad, 422, 'RP-INPUT-SCHEMA');
    expectProblem(await use(s.resume_token, { input: '  ' }), 422, 'HARN-SUS-009');
    expectProblem(await use(s.resume_token, { input: 'x', extra: 1 }), 422, 'RP-INVALID-INPUT');
    const good = await use(s.resume_token, { input: { approved: true } }, '?wait_ms=10000');
    expect(good.status).toBe(200);
    expect(good.body.outcome).toBe('resumed');
  });

  it('a server without RESUME_TOKEN_SECRET issues none (422, nothing suspended) and accepts none', async () => {
    const bare = await startApi({ env: { RESUME_TOKEN_SECRET: '' }, consumer: false });
    try {
      await bare.call('POST', '/v1/workers', { json: { id: 'nt', name: 'nt', task: 't' } });
      const a = await bare.call('POST', '/v1/workers/nt/suspend', { json: { resume_token: true } });
      expectProblem(a, 422, 'RP-TOKENS-DISABLED');
      expect((await bare.call('GET', '/v1/workers/nt')).body.status).toBe('running');
      const token = issueToken(TOKEN_SECRET, { workerId: 'nt', epoch: 1, expiresAtMs: Date.now() + 60_000 });
      const u = await bare.call('POST', `/v1/resume/${token}`, { key: 'none', json: {} });
      expectProblem(u, 401, 'RP-TOKEN-INVALID');
    } finally {
      await bare.close();
    }
  });

  it('tokens never reach the logs', async () => {
    const s = await parkedWorker(api, 'tok-log', { resume_token: true });
    await use(s.resume_token, { input: 'x' }, '?wait_ms=10000');
    await use(s.resume_token);
    await api.call('GET', `/v1/resume/${s.resume_token}`, { key: 'none' });
    await use(`${s.resume_token}tampered`);
    const mac = s.resume_token.split('.')[2];
    const logs = api.logs.join('');
    expect(logs).toContain('/v1/resume/[redacted]');
    expect(logs).not.toContain(mac);
    expect(logs).not.toContain(s.resume_token.split('.')[1]);
  });
});
