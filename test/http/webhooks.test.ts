// Webhooks: a GitHub delivery with its own headers resumes the workers waiting on its event; a
// redelivery is the same event; a bad signature, an unknown provider or a missing header changes
// nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/http/webhooks.js';
import {
  type Answer,
  type Api,
  expectProblem,
  GITHUB_SECRET,
  parkedWorker,
  startApi,
  stateDigest,
} from './support.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

const github = (body: string, headers: Record<string, string> = {}, provider = 'github') =>
  api.call('POST', `/v1/webhooks/${provider}`, {
    key: 'none',
    raw: body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request_review',
      'x-github-delivery': 'delivery-1',
      'x-hub-signature-256': signBody(GITHUB_SECRET, body),
      ...headers,
    },
  });

describe('webhooks', () => {
  it('a signed GitHub delivery resumes every worker waiting on its event, once; a redelivery joins it', async () => {
    await parkedWorker(api, 'wh-1', { conditions: { on_event: 'pull_request_review' } });
    await parkedWorker(api, 'wh-2', { conditions: { on_event: 'pull_request_review' } });
    const body = JSON.stringify({ action: 'submitted', review: { state: 'approved' } });
    const [first, again] = await Promise.all([github(body), github(body)]);
    expect(first.status).toBe(202);
    expect(first.body.event).toEqual({ provider: 'github', kind: 'pull_request_review', id: 'delivery-1' });
    const jobs = (a: Answer) => a.body.resumes.map((r: { job_id: string }) => r.job_id).sort();
    expect(first.body.resumes.map((r: { worker_id: string }) => r.worker_id).sort()).toEqual([
      'wh-1',
      'wh-2',
    ]);
    expect(jobs(again)).toEqual(jobs(first));
    for (const id of ['wh-1', 'wh-2']) {
      await expect
        .poll(async () => (await api.call('GET', `/v1/workers/${id}`)).body.status, { timeout: 10_000 })
        .toBe('running');
      const w = (await api.call('GET', `/v1/workers/${id}`)).body;
      expect(w.history).toEqual(['{action: submitted, review: {state: approved}}']);
      expect(w.continuity.initiator).toBe('triggered');
    }
    // Redelivered after the resumes: nobody waits any more.
    const late = await github(body);
    expect(late.status).toBe(202);
    expect(late.body.resumes).toEqual([]);
    const events = (await api.call('GET', '/v1/workers/wh-1/events')).body.items;
    expect(events.filter((e: { type: string }) => e.type === 'WorkerResumed')).toHaveLength(1);
  });

  it('a bad or missing signature is 401 and changes nothing', async () => {
    await parkedWorker(api, 'wh-bad', { conditions: { on_event: 'pull_request_review' } });
    const body = JSON.stringify({ action: 'submitted' });
    const before = await stateDigest(api.h.redis, api.h.prefix);
    const wrongSecret = signBody('not-the-secret-0123456789', body);
    expectProblem(
      await github(body, { 'x-hub-signature-256': wrongSecret, 'x-github-delivery': 'd-bad' }),
      401,
      'RP-BAD-SIGNATURE',
    );
    expectProblem(
      await github(`${body} `, {
        'x-hub-signature-256': signBody(GITHUB_SECRET, body),
        'x-github-delivery': 'd-bad',
      }),
      401,
      'RP-BAD-SIGNATURE',
    );
    expectProblem(
      await github(body, { 'x-hub-signature-256': '', 'x-github-delivery': 'd-bad' }),
      401,
      'RP-BAD-SIGNATURE',
    );
    expectProblem(
      await github(body, { 'x-hub-signature-256': 'sha1=abcdef', 'x-github-delivery': 'd-bad' }),
      401,
      'RP-BAD-SIGNATURE',
    );
    expect(await stateDigest(api.h.redis, api.h.prefix)).toBe(before);
    expect((await api.call('GET', '/v1/workers/wh-bad')).body.status).toBe('suspended');
  });

  it('unknown provider 404, missing event headers 422, malformed JSON 400, another media type 415', async () => {
    const body = '{"ok":true}';
    const before = await stateDigest(api.h.redis, api.h.prefix);
    expectProblem(await github(body, {}, 'gitlab'), 404, 'RP-UNKNOWN-PROVIDER');
    expectProblem(await github(body, {}, 'Bad_Name!'), 422, 'RP-INVALID-INPUT');
    expectProblem(await github(body, { 'x-github-event': '' }), 422, 'RP-INVALID-INPUT');
    expectProblem(await github(body, { 'x-github-delivery': '' }), 422, 'RP-INVALID-INPUT');
    expectProblem(await github('{"ok":', {}), 400, 'RP-MALFORMED-JSON');
    expectProblem(
      await github(body, { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'RP-UNSUPPORTED-MEDIA-TYPE',
    );
    expect(await stateDigest(api.h.redis, api.h.prefix)).toBe(before);
  });

  it('other providers sign with the X-Webhook-* headers', async () => {
    const other = await startApi({ env: { WEBHOOK_SECRET_ACME_CI: 'acme-ci-secret-0123456789' } });
    try {
      await parkedWorker(other, 'wh-acme', { conditions: { on_event: 'build.done' } });
      const body = '{"build":7}';
      const a = await other.call('POST', '/v1/webhooks/acme-ci', {
        key: 'none',
        raw: body,
        headers: {
          'content-type': 'application/json',
          'x-webhook-event': 'build.done',
          'x-webhook-delivery': 'b-7',
          'x-webhook-signature-256': signBody('acme-ci-secret-0123456789', body),
        },
      });
      expect(a.status).toBe(202);
      expect(a.body.resumes).toEqual([{ job_id: expect.any(String), worker_id: 'wh-acme' }]);
    } finally {
      await other.close();
    }
  });
});
