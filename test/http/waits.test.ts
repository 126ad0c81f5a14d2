// The waits operations over HTTP: early resumes (`early_ttl_ms`), cancel-wait, and the batches
// (`/v1/batches/resume`, `/v1/batches/close`), with their refusals; real server, Redis, consumer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, parkedWorker, startApi } from './support.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

describe('waits over HTTP', () => {
  it('early resume: kept for a running worker, taken by its next suspension', async () => {
    await api.call('POST', '/v1/workers', { json: { id: 'early-1', name: 'e', task: 't' } });
    const held = await api.call('POST', '/v1/workers/early-1/resume', {
      json: { input: 'approved', early_ttl_ms: 60_000 },
    });
    expect(held.status).toBe(202);
    const s = await api.call('POST', '/v1/workers/early-1/suspend', {
      json: { reason: 'approval', conditions: { timeout: { duration_ms: 600_000 } } },
    });
    expect(s.body.suspension.early_requests).toEqual([held.body.job_id]);
    expect(s.body.suspension.deadline_ms).toBeUndefined();
    for (let i = 0; i < 200; i++) {
      const w = await api.call('GET', '/v1/workers/early-1', { key: 'read' });
      if (w.body.status === 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const w = await api.call('GET', '/v1/workers/early-1', { key: 'read' });
    expect(w.body).toMatchObject({ status: 'running', history: ['approved'] });
    // Without early_ttl_ms a running worker refuses (409 HARN-SUS-003); with a bad ttl, 422.
    const plain = await api.call('POST', '/v1/workers/early-1/resume?wait_ms=10000', {
      json: { input: 'x' },
    });
    expect({ status: plain.status, code: plain.body.code }).toEqual({ status: 409, code: 'HARN-SUS-003' });
    const bad = await api.call('POST', '/v1/workers/early-1/resume', {
      json: { input: 'x', early_ttl_ms: 0 },
    });
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 422, code: 'RP-INVALID-INPUT' });
    const keyed = await api.call('POST', '/v1/workers/early-1/resume', {
      json: { input: 'x', early_ttl_ms: 1000 },
      headers: { 'idempotency-key': 'k1' },
    });
    expect({ status: keyed.status, code: keyed.body.code }).toEqual({
      status: 422,
      code: 'RP-INVALID-INPUT',
    });
  });

  it('cancel-wait disarms the timeout; the worker stays suspended; not suspended is 409', async () => {
    await parkedWorker(api, 'cw-1', { conditions: { timeout: { duration_ms: 600_000 }, on_event: 'x.y' } });
    const a = await api.call('POST', '/v1/workers/cw-1/cancel-wait', { json: { conditions: ['timeout'] } });
    expect(a.status).toBe(200);
    expect(a.body.status).toBe('suspended');
    expect(a.body.suspension.deadline_ms).toBeUndefined();
    expect(a.body.suspension.auto_resume_trigger).toBeTruthy();
    const both = await api.call('POST', '/v1/workers/cw-1/cancel-wait');
    expect(both.body.suspension.auto_resume_trigger).toBeUndefined();
    await api.call('POST', '/v1/workers', { json: { id: 'cw-2', name: 'c', task: 't' } });
    const running = await api.call('POST', '/v1/workers/cw-2/cancel-wait');
    expect({ status: running.status, code: running.body.code }).toEqual({
      status: 409,
      code: 'HARN-SUS-003',
    });
    const bad = await api.call('POST', '/v1/workers/cw-1/cancel-wait', {
      json: { conditions: ['deadline'] },
    });
    expect(bad.status).toBe(422);
  });

  it('batches: dry run lists, resume sends one request per worker, close closes; a filter is required', async () => {
    for (const id of ['b-1', 'b-2', 'b-3']) await parkedWorker(api, id, { reason: 'batch-wave' });
    const dry = await api.call('POST', '/v1/batches/resume', {
      json: { filter: { reason: 'batch-wave' }, input: 'go', dry_run: true },
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ matched: 3, dry_run: true, requests: [], refused: [] });
    expect(dry.body.worker_ids.sort()).toEqual(['b-1', 'b-2', 'b-3']);
    const sent = await api.call('POST', '/v1/batches/resume', {
      json: { filter: { reason: 'batch-wave' }, input: 'go' },
    });
    expect(sent.body.requests.map((r: { worker_id: string }) => r.worker_id).sort()).toEqual([
      'b-1',
      'b-2',
      'b-3',
    ]);

    for (const id of ['c-1', 'c-2']) await parkedWorker(api, id, { reason: 'close-wave' });
    const closed = await api.call('POST', '/v1/batches/close', {
      json: { filter: { reason: 'close-wave' } },
    });
    expect(closed.status).toBe(200);
    expect(closed.body.closed.map((w: { status: string }) => w.status)).toEqual(['cancelled', 'cancelled']);

    const empty = await api.call('POST', '/v1/batches/close', { json: { filter: {} } });
    expect({ status: empty.status, code: empty.body.code }).toEqual({
      status: 422,
      code: 'RP-INVALID-INPUT',
    });
    const readOnly = await api.call('POST', '/v1/batches/close', {
      json: { filter: { reason: 'x' } },
      key: 'read',
    });
    expect(readOnly.status).toBe(403);
  });
});
