// The dashboard over plain HTTP (the browser test drives the happy path in Chromium): the buttons'
// routes with their results and problem codes, bad input, the session and CSRF refusals, bull-board's
// writes, the API not taking the cookie, and --insecure-no-auth.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, expectProblem, parkedWorker, READ_KEY, startApi, WRITE_KEY } from './support.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

interface Page {
  status: number;
  text: string;
  headers: Headers;
}

async function send(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Page> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  const res = await fetch(`${api.url}${path}`, { ...init, headers, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function login(key: string): Promise<string> {
  const res = await send('/dashboard/login', form({ key, next: '/dashboard' }));
  expect(res.status, res.text).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  return cookie.split(';')[0] ?? '';
}

/** A worker page and the CSRF token its forms carry. */
async function workerPage(cookie: string, id: string): Promise<{ page: Page; csrf: string }> {
  const page = await send(`/dashboard/workers/${id}`, { cookie });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  return { page, csrf };
}

describe('the dashboard over HTTP', () => {
  it("extends and closes from a worker's page, with the result and the API's problem codes", async () => {
    const s = await parkedWorker(api, 'dash-extend', { conditions: { timeout: { duration_ms: 600_000 } } });
    const cookie = await login(WRITE_KEY);
    const { page, csrf } = await workerPage(cookie, 'dash-extend');
    expect(page.status).toBe(200);
    expect(page.text).toContain('button type="submit">Extend');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');

    const moved = await send('/dashboard/workers/dash-extend/extend', {
      cookie,
      ...form({ csrf, minutes: '10' }),
    });
    expect(moved.status).toBe(200);
    expect(moved.text).toContain('Deadline moved');
    const after = await api.h.producer.getWorker('dash-extend');
    expect(after?.suspension?.deadline_ms).toBe(s.suspension.deadline_ms + 600_000);

    for (const minutes of ['abc', '0', '1.5']) {
      const bad = await send('/dashboard/workers/dash-extend/extend', { cookie, ...form({ csrf, minutes }) });
      expect(bad.status, minutes).toBe(422);
      expect(bad.text).toContain('RP-INVALID-INPUT');
    }
    const notJson = await send('/dashboard/workers/dash-extend/resume', {
      cookie,
      ...form({ csrf, input: '{oops', json: 'on' }),
    });
    expect(notJson.status).toBe(422);
    expect(notJson.text).toContain('RP-INVALID-INPUT');
    expect((await api.h.producer.getWorker('dash-extend'))?.version).toBe(after?.version);

    const closed = await send('/dashboard/workers/dash-extend/close', { cookie, ...form({ csrf }) });
    expect(closed.status).toBe(200);
    expect(closed.text).toContain('the worker is cancelled');
    const late = await send('/dashboard/workers/dash-extend/resume', {
      cookie,
      ...form({ csrf, input: 'go' }),
    });
    expect(late.status).toBe(409);
    expect(late.text).toContain('HARN-SUS-010');

    const unknown = await send('/dashboard/workers/nobody-here', { cookie });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('RP-UNKNOWN-WORKER');
  });

  it('refuses bad list filters with 422', async () => {
    const cookie = await login(READ_KEY);
    for (const q of ['status=bogus', 'status=running&overdue=on', 'limit=0', 'color=red']) {
      const res = await send(`/dashboard?${q}`, { cookie });
      expect(res.status, q).toBe(422);
      expect(res.text).toContain('RP-INVALID-INPUT');
    }
  });

  it('needs a session, a write key for writes, and keeps the API on Bearer keys', async () => {
    await parkedWorker(api, 'dash-guard');
    const anonymous = await send('/dashboard/workers/dash-guard/close', form({ csrf: 'x' }));
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text).code).toBe('RP-UNAUTHORIZED');
    expect((await send('/dashboard')).headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard');

    const reader = await login(READ_KEY);
    const pause = await send('/admin/queues/api/queues/resume/pause', { method: 'PUT', cookie: reader });
    expect(pause.status).toBe(403);
    expect(JSON.parse(pause.text).code).toBe('RP-FORBIDDEN');
    const writer = await login(WRITE_KEY);
    const crossSite = await send('/admin/queues/api/queues/resume/pause', {
      method: 'PUT',
      cookie: writer,
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect(await api.h.queues.partition(0).resume.isPaused()).toBe(false);
    expect((await send('/admin/queues/api/queues', { cookie: reader })).status).toBe(200);

    const apiByCookie = await api.call('GET', '/v1/workers', { key: 'none', headers: { cookie: writer } });
    expectProblem(apiByCookie, 401, 'RP-UNAUTHORIZED');

    const loginCrossSite = await send('/dashboard/login', {
      ...form({ key: WRITE_KEY }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(loginCrossSite.status).toBe(403);
    expect(loginCrossSite.headers.get('set-cookie')).toBeNull();

    const out = await send('/dashboard/logout', { cookie: writer, ...form({ csrf: 'wrong' }) });
    expect(out.status).toBe(403);
  });
});

describe('the dashboard with --insecure-no-auth', () => {
  let open: Api;
  beforeAll(async () => {
    open = await startApi({ insecureNoAuth: true, consumer: false });
  });
  afterAll(async () => open.close());

  it('needs no login but still a CSRF token for writes', async () => {
    const list = await fetch(`${open.url}/dashboard`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('no API keys (insecure)');
    const res = await fetch(`${open.url}/dashboard/workers/any/close`, {
      ...form({ csrf: 'guess' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
  });
});
