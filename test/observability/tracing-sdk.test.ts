// The SDK our processes start when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans reach an OTLP/HTTP
// collector (a local one here) at the endpoint's /v1/traces, at the latest on shutdown.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tracing } from '../../src/observability/tracing.js';
import { startTracing } from '../../src/observability/tracing-sdk.js';
import { createHarness } from '../support/harness.js';

describe('the tracing SDK of our processes', () => {
  const received: { path: string; body: string }[] = [];
  let collector: Server;
  let endpoint: string;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

  it('stays off without an endpoint', () => {
    expect(startTracing({ endpoint: undefined, process: 'test' })).toBeNull();
    expect(Tracing.fromGlobal().on).toBe(false);
  });

  it('exports the spans of a suspend to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces on shutdown', async () => {
    // The exporter reads the variable itself, as in a real process.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    try {
      const sdk = startTracing({ endpoint, serviceName: 'rp-test', process: 'test' });
      expect(sdk).not.toBeNull();
      expect(startTracing({ endpoint, process: 'again' })).toBe(sdk);
      expect(Tracing.fromGlobal().on).toBe(true);
      const h = await createHarness();
      try {
        const w = await h.producer.registerWorker({ name: 'exported', task: 't' });
        await h.producer.suspend(w.id, { reason: 'export me' });
      } finally {
        await h.close();
      }
      await sdk?.shutdown();
      await sdk?.shutdown();
      const traces = received.filter((r) => r.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      const all = traces.map((r) => r.body).join('\n');
      expect(all).toContain('"suspend"');
      expect(all).toContain('rp-test');
      expect(all).toContain('export me');
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
  });
});
