// Every /v1 route over real HTTP: its happy path, the errors it answers with (problem+json, stable
// codes) and, for each protected route, 401 without a valid key and 403 with a read key on a write.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, expectProblem, parkedWorker, startApi } from './support.js';

let api: Api;
beforeAll(async () => {
  api = await startApi({ env: { HTTP_BODY_LIMIT: '4096' } });
});
afterAll(async () => api.close());

describe('workers', () => {
  it('register: 201 with the summary; a taken id is 409; a bad body 422 naming the paths', async () => {
    const a = await api.call('POST', '/v1/workers', {
      json: { id: 'reg-1', name: 'reviewer', task: 'review PR 42', mode: 'stage', config: { a: 1 } },
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      id: 'reg-1',
      status: 'running',
      version: 1,
      mode: 'stage',
      suspension: null,
    });
    expectProblem(
      await api.call('POST', '/v1/workers', { json: { id: 'reg-1', name: 'x', task: 't' } }),
      409,
      'RP-WORKER-EXISTS',
    );
    const bad = await api.call('POST', '/v1/workers', { json: { name: '', task: 5, extra: true } });
    expectProblem(bad, 422, 'RP-INVALID-INPUT');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body',
      'body.name',
      'body.task',
    ]);
    const generated = await api.call('POST', '/v1/workers', { json: { name: 'anon', task: 't' } });
    expect(generated.body.id).toMatch(/^worker_/);
  });

  it('get: the summary; unknown 404; an id that is not one 422', async () => {
    await api.call('POST', '/v1/workers', { json: { id: 'get-1', name: 'g', task: 't' } });
    const a = await api.call('GET', '/v1/workers/get-1', { key: 'read' });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ id: 'get-1', name: 'g', status: 'running' });
    expectProblem(await api.call('GET', '/v1/workers/ghost', { key: 'read' }), 404, 'RP-UNKNOWN-WORKER');
    expectProblem(await api.call('GET', '/v1/workers/a%20b', { key: 'read' }), 422, 'RP-INVALID-INPUT');
    // A snapshot path would make the producer read a file: not a worker id over HTTP.
    expectProblem(await api.call('GET', '/v1/workers/etc.json', { key: 'read' }), 422, 'RP-INVALID-INPUT');
    expectProblem(
      await api.call('POST', '/v1/workers/etc.json/resume', { json: {} }),
      422,
      'RP-INVALID-INPUT',
    );
  });

  it('list: filters, pages with next_cursor, refuses a bad filter', async () => {
    for (const id of ['ls-1', 'ls-2', 'ls-3']) await parkedWorker(api, id, { reason: 'list-test' });
    await parkedWorker(api, 'ls-4', {
      reason: 'list-test',
      conditions: { timeout: { duration_ms: 600_000 } },
    });
    const first = await api.call('GET', '/v1/workers?status=suspended&reason=list-test&limit=3', {
      key: 'read',
    });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(3);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await api.call(
      'GET',
      `/v1/workers?status=suspended&reason=list-test&limit=3&cursor=${encodeURIComponent(first.body.next_cursor)}`,
      { key: 'read' },
    );
    const ids = [...first.body.items, ...rest.body.items].map((w: { id: string }) => w.id).sort();
    expect(ids).toEqual(['ls-1', 'ls-2', 'ls-3', 'ls-4']);
    expect(rest.body.next_cursor).toBeNull();
    const due = await api.call('GET', `/v1/workers?deadline_before=${Date.now() + 3_600_000}`, {
      key: 'read',
    });
    expect(due.body.items.map((w: { id: string }) => w.id)).toEqual(['ls-4']);
    const before = await api.call(
      'GET',
      '/v1/workers?status=suspended&suspended_before=2000-01-01T00:00:00Z',
      {
        key: 'read',
      },
    );
    expect(before.body).toEqual({ items: [], next_cursor: null });
    expectProblem(
      await api.call('GET', '/v1/workers?status=sleeping', { key: 'read' }),
      422,
      'RP-INVALID-INPUT',
    );
    expectProblem(await api.call('GET', '/v1/workers?limit=0', { key: 'read' }), 422, 'RP-INVALID-INPUT');
    expectProblem(await api.call('GET', '/v1/workers?colour=red', { key: 'read' }), 422, 'RP-INVALID-INPUT');
  });

  it('events: the lifecycle, oldest first; unknown 404', async () => {
    await parkedWorker(api, 'ev-1');
    const a = await api.call('GET', '/v1/workers/ev-1/events', { key: 'read' });
    expect(a.status).toBe(200);
    expect(a.body.items.map((e: { type: string }) => e.type)).toEqual(['WorkerSpawned', 'WorkerSuspended']);
    expect(a.body.items[0]).toMatchObject({ version: 1, at: expect.any(String), at_ms: expect.any(Number) });
    expectProblem(
      await api.call('GET', '/v1/workers/ghost/events', { key: 'read' }),
      404,
      'RP-UNKNOWN-WORKER',
    );
  });

  it('suspend: the summary; HARN-SUS-001 / -002 / -008 and a bad input schema refused', async () => {
    const s = await parkedWorker(api, 'su-1', {
      conditions: { timeout: { duration_ms: 60_000, on_timeout: 'fail' } },
    });
    expect(s).toMatchObject({ status: 'suspended', suspension: { reason: 'approval', on_timeout: 'fail' } });
    expect(s.resume_token).toBeUndefined();
    // Suspending a suspended worker answers its summary unchanged.
    const again = await api.call('POST', '/v1/workers/su-1/suspend', { json: {} });
    expect(again.body.version).toBe(s.version);
    await api.call('POST', '/v1/workers', { json: { id: 'su-2', name: 's', task: 't' } });
    const conditions = (c: unknown) =>
      api.call('POST', '/v1/workers/su-2/suspend', { json: { conditions: c } });
    expectProblem(await conditions({ sometime: 1 }), 422, 'HARN-SUS-002');
    expectProblem(
      await conditions({ timeout: { duration_ms: 5, on_timeout: 'explode' } }),
      422,
      'HARN-SUS-008',
    );
    expectProblem(
      await api.call('POST', '/v1/workers/su-2/suspend', { json: { input_schema: { type: 'nonsense' } } }),
      422,
      'RP-INVALID-INPUT',
    );
    expect((await api.call('GET', '/v1/workers/su-2')).body.status).toBe('running');
    await api.call('POST', '/v1/workers/su-2/close', {});
    expectProblem(await api.call('POST', '/v1/workers/su-2/suspend', {}), 409, 'HARN-SUS-001');
    expectProblem(await api.call('POST', '/v1/workers/ghost/suspend', {}), 404, 'RP-UNKNOWN-WORKER');
  });

  it('close: cancelled (or stopped with graceful); idempotent; unknown 404', async () => {
    await parkedWorker(api, 'cl-1');
    const a = await api.call('POST', '/v1/workers/cl-1/close', {});
    expect(a.status).toBe(200);
    expect(a.body.status).toBe('cancelled');
    expect((await api.call('POST', '/v1/workers/cl-1/close', { json: {} })).body.status).toBe('cancelled');
    await parkedWorker(api, 'cl-2');
    expect((await api.call('POST', '/v1/workers/cl-2/close', { json: { graceful: true } })).body.status).toBe(
      'stopped',
    );
    expectProblem(await api.call('POST', '/v1/workers/ghost/close', {}), 404, 'RP-UNKNOWN-WORKER');
    expectProblem(
      await api.call('POST', '/v1/workers/cl-2/close', { json: { graceful: 'yes' } }),
      422,
      'RP-INVALID-INPUT',
    );
  });

  it('timeout: moves the deadline; RP-NO-TIMEOUT, HARN-SUS-003 and a bad change refused', async () => {
    const s = await parkedWorker(api, 'to-1', { conditions: { timeout: { duration_ms: 600_000 } } });
    const a = await api.call('POST', '/v1/workers/to-1/timeout', {
      json: { by_ms: 60_000, expect_epoch: s.suspension.epoch },
    });
    expect(a.status).toBe(200);
    expect(a.body.suspension.deadline_ms).toBe(s.suspension.deadline_ms + 60_000);
    const until = Date.now() + 3_600_000;
    expect(
      (await api.call('POST', '/v1/workers/to-1/timeout', { json: { until } })).body.suspension.deadline_ms,
    ).toBe(until);
    const stale = await api.call('POST', '/v1/workers/to-1/timeout', {
      json: { by_ms: 1, expect_epoch: s.suspension.epoch + 7 },
    });
    expectProblem(stale, 409, 'HARN-SUS-003');
    expectProblem(
      await api.call('POST', '/v1/workers/to-1/timeout', { json: { by_ms: 1, until: 5 } }),
      422,
      'RP-INVALID-INPUT',
    );
    expectProblem(
      await api.call('POST', '/v1/workers/to-1/timeout', { json: { until: 'next tuesday' } }),
      422,
      'RP-INVALID-INPUT',
    );
    await parkedWorker(api, 'to-2');
    expectProblem(
      await api.call('POST', '/v1/workers/to-2/timeout', { json: { by_ms: 1000 } }),
      409,
      'RP-NO-TIMEOUT',
    );
    await api.call('POST', '/v1/workers', { json: { id: 'to-3', name: 't', task: 't' } });
    expectProblem(
      await api.call('POST', '/v1/workers/to-3/timeout', { json: { by_ms: 1000 } }),
      409,
      'HARN-SUS-003',
    );
  });
});

describe('resume', () => {
  it('202 with the job id; with wait_ms 200 and the outcome in snake_case', async () => {
    await parkedWorker(api, 're-1');
    const queued = await api.call('POST', '/v1/workers/re-1/resume', { json: { input: 'approved' } });
    expect(queued.status).toBe(202);
    expect(queued.body).toEqual({ job_id: expect.any(String), worker_id: 're-1' });
    await parkedWorker(api, 're-2');
    const done = await api.call('POST', '/v1/workers/re-2/resume?wait_ms=10000', {
      json: { input: { verdict: 'approved' }, continue_transcript: false },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      outcome: 'resumed',
      job_id: expect.any(String),
      respawn_job_id: 'respawn-re-2-3',
      version: 3,
      worker: { status: 'running', history: ['{verdict: approved}'] },
    });
    // `options` is Harn's argument: an options dict here.
    await parkedWorker(api, 're-3');
    const opts = await api.call('POST', '/v1/workers/re-3/resume?wait_ms=10000', {
      json: { options: { input: 'from options', initiator: 'parent' } },
    });
    expect(opts.body.worker.history).toEqual(['from options']);
    expect(opts.body.worker.continuity.initiator).toBe('parent');
  });

  it('HARN-SUS-003 not suspended and HARN-SUS-010 closed are 409; HARN-SUS-009 and RP-INPUT-SCHEMA 422', async () => {
    await api.call('POST', '/v1/workers', { json: { id: 're-run', name: 'r', task: 't' } });
    expectProblem(
      await api.call('POST', '/v1/workers/re-run/resume?wait_ms=10000', { json: { input: 'x' } }),
      409,
      'HARN-SUS-003',
    );
    await parkedWorker(api, 're-closed');
    await api.call('POST', '/v1/workers/re-closed/close', {});
    expectProblem(
      await api.call('POST', '/v1/workers/re-closed/resume?wait_ms=10000', { json: { input: 'x' } }),
      409,
      'HARN-SUS-010',
    );
    await parkedWorker(api, 're-blank');
    expectProblem(
      await api.call('POST', '/v1/workers/re-blank/resume', { json: { input: '   ' } }),
      422,
      'HARN-SUS-009',
    );
    await parkedWorker(api, 're-schema', {
      input_schema: { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } },
    });
    const mismatch = await api.call('POST', '/v1/workers/re-schema/resume?wait_ms=10000', {
      json: { input: { approved: 'yes' } },
    });
    expectProblem(mismatch, 422, 'RP-INPUT-SCHEMA');
    expect(mismatch.body.errors).toEqual([{ path: '/approved', message: 'must be boolean' }]);
    expect((await api.call('GET', '/v1/workers/re-schema')).body.status).toBe('suspended');
    expectProblem(
      await api.call('POST', '/v1/workers/ghost/resume', { json: { input: 'x' } }),
      404,
      'RP-UNKNOWN-WORKER',
    );
    expectProblem(
      await api.call('POST', '/v1/workers/re-schema/resume', { json: { input: 'a', options: {} } }),
      422,
      'RP-INVALID-INPUT',
    );
    expectProblem(
      await api.call('POST', '/v1/workers/re-schema/resume?wait_ms=soon', { json: {} }),
      422,
      'RP-INVALID-INPUT',
    );
  });

  it('Idempotency-Key: the same request replays its first outcome; another payload is 409', async () => {
    await parkedWorker(api, 're-key');
    const headers = { 'idempotency-key': 'approve-42' };
    const first = await api.call('POST', '/v1/workers/re-key/resume?wait_ms=10000', {
      json: { input: 'ok' },
      headers,
    });
    expect(first.body).toMatchObject({ outcome: 'resumed', version: 3 });
    const again = await api.call('POST', '/v1/workers/re-key/resume?wait_ms=10000', {
      json: { input: 'ok' },
      headers,
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'resumed', version: 3, replayed: true });
    expectProblem(
      await api.call('POST', '/v1/workers/re-key/resume?wait_ms=10000', {
        json: { input: 'other' },
        headers,
      }),
      409,
      'RP-IDEMPOTENCY-CONFLICT',
    );
    expectProblem(
      await api.call('POST', '/v1/workers/re-key/resume', {
        json: { input: 'ok' },
        headers: { 'idempotency-key': 'k'.repeat(300) },
      }),
      422,
      'RP-INVALID-INPUT',
    );
  });
});

describe('events', () => {
  it('POST /v1/events resumes the workers waiting on the kind; a bad event is 422', async () => {
    await parkedWorker(api, 'evt-1', { conditions: { on_event: 'deploy.finished' } });
    const a = await api.call('POST', '/v1/events', {
      json: { provider: 'ci', kind: 'deploy.finished', id: 'd-1', payload: { env: 'prod' } },
    });
    expect(a.status).toBe(202);
    expect(a.body).toEqual({
      event: { provider: 'ci', kind: 'deploy.finished', id: 'd-1' },
      resumes: [{ job_id: expect.any(String), worker_id: 'evt-1' }],
    });
    await expect
      .poll(async () => (await api.call('GET', '/v1/workers/evt-1')).body.status, { timeout: 10_000 })
      .toBe('running');
    expectProblem(
      await api.call('POST', '/v1/events', { json: { provider: 'ci', kind: 'bad kind!', id: 'x' } }),
      422,
      'RP-INVALID-INPUT',
    );
  });
});

describe('the framework edges', () => {
  it('malformed JSON 400, another media type 415, a body over the limit 413, an unknown route 404', async () => {
    expectProblem(
      await api.call('POST', '/v1/workers', {
        raw: '{"name": "x",',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'RP-MALFORMED-JSON',
    );
    expectProblem(
      await api.call('POST', '/v1/workers', {
        raw: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'RP-UNSUPPORTED-MEDIA-TYPE',
    );
    expectProblem(
      await api.call('POST', '/v1/workers', { raw: 'hello', headers: { 'content-type': 'text/plain' } }),
      415,
      'RP-UNSUPPORTED-MEDIA-TYPE',
    );
    expectProblem(
      await api.call('POST', '/v1/workers', { json: { name: 'big', task: 'x'.repeat(10_000) } }),
      413,
      'RP-PAYLOAD-TOO-LARGE',
    );
    expectProblem(await api.call('GET', '/v1/nothing-here'), 404, 'RP-NOT-FOUND');
    expectProblem(await api.call('DELETE', '/v1/workers/x'), 404, 'RP-NOT-FOUND');
  });

  it('healthz and readyz answer without a key', async () => {
    expect((await api.call('GET', '/healthz', { key: 'none' })).body).toEqual({ status: 'ok' });
    expect((await api.call('GET', '/readyz', { key: 'none' })).body).toEqual({
      status: 'ready',
      maxmemory_policy: 'noeviction',
    });
  });
});

describe('API keys', () => {
  it('every protected route: 401 without a key or with a wrong one, 403 with a read key on a write', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: 'none' })).body;
    const routes: { method: string; path: string; scope: 'read' | 'write' }[] = [];
    for (const [path, ops] of Object.entries<Record<string, { security?: unknown[] }>>(doc.paths))
      for (const [method, op] of Object.entries(ops))
        if (op.security && op.security.length > 0)
          routes.push({
            method: method.toUpperCase(),
            path: path.replace('{id}', 'some-worker'),
            scope: method === 'get' ? 'read' : 'write',
          });
    expect(routes.length).toBe(13);
    for (const r of routes) {
      const body = r.method === 'GET' ? {} : { json: {} };
      const none = await api.call(r.method, r.path, { key: 'none', ...body });
      expectProblem(none, 401, 'RP-UNAUTHORIZED');
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expectProblem(
        await api.call(r.method, r.path, { key: { bearer: 'not-a-key-0123456789' }, ...body }),
        401,
        'RP-UNAUTHORIZED',
      );
      expectProblem(
        await api.call(r.method, r.path, {
          key: 'none',
          ...body,
          headers: { authorization: 'Basic b3BzOnB3' },
        }),
        401,
        'RP-UNAUTHORIZED',
      );
      if (r.scope === 'write')
        expectProblem(await api.call(r.method, r.path, { key: 'read', ...body }), 403, 'RP-FORBIDDEN');
      else expect((await api.call(r.method, r.path, { key: 'read' })).status).not.toBe(403);
    }
  });
});
