// The OpenAPI document: valid OpenAPI 3 (swagger-parser), every route of the API in it and nothing
// else, request schemas from the same zod schemas that validate, Swagger UI served.

import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './support.js';

let api: Api;
beforeAll(async () => {
  api = await startApi({ consumer: false });
});
afterAll(async () => api.close());

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: 'none' })).body;
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  });

  it('has every route of the API, and only those', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: 'none' })).body;
    const documented = Object.entries<Record<string, unknown>>(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = api.server.app.apiRoutes
      .filter((r) => r.url !== '/openapi.json')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    expect(documented).toEqual(served);
    expect(documented).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /v1/workers',
        'GET /v1/workers',
        'GET /v1/workers/{id}',
        'GET /v1/workers/{id}/events',
        'POST /v1/workers/{id}/suspend',
        'POST /v1/workers/{id}/resume',
        'POST /v1/workers/{id}/close',
        'POST /v1/workers/{id}/timeout',
        'POST /v1/workers/{id}/cancel-wait',
        'POST /v1/batches/resume',
        'POST /v1/batches/close',
        'POST /v1/events',
        'POST /v1/resume/{token}',
        'POST /v1/webhooks/{provider}',
      ].sort(),
    );
  });

  it('describes the requests the validators check, the keys and the problems', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: 'none' })).body;
    const register = doc.paths['/v1/workers'].post;
    const body = register.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['name', 'task']));
    expect(body.additionalProperties).toBe(false);
    expect(register.security).toEqual([{ apiKey: [] }]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/resume/{token}'].post.security).toEqual([]);
    // Prometheus scrapes with a read key (`authorization: {credentials: <key>}`); the text format.
    const metrics = doc.paths['/metrics'].get;
    expect(metrics.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(metrics.responses['200'].content)).toEqual(['text/plain']);
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(['201', '4XX']));
    expect(register.requestBody.required).toBe(true);
    for (const path of ['/v1/workers/{id}/suspend', '/v1/workers/{id}/close', '/v1/resume/{token}'])
      expect(doc.paths[path].post.requestBody.required, path).toBe(false);
    const resume = doc.paths['/v1/workers/{id}/resume'].post;
    expect(resume.requestBody.required).toBe(false);
    expect(resume.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual([
      'header:idempotency-key',
      'path:id',
      'query:wait_ms',
    ]);
  });

  it('Swagger UI is served at /docs', async () => {
    const page = await fetch(`${api.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
  });
});
