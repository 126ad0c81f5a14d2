// The HTTP tests' plumbing: a real server on a free port (the `serve` composition root's startServer)
// over a fresh deployment on the shared test Redis, a consumer, fetch helpers, the captured logs and
// a digest of every key the deployment holds (to show a refused request changed nothing).

import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { loadHttpConfig } from '../../src/http/config.js';
import { type RunningServer, startServer } from '../../src/http/main.js';
import { loadEnv } from '../../src/lib/config.js';
import { createLogger } from '../../src/lib/logger.js';
import type { Harness } from '../support/harness.js';
import { createHarness, redisUrl } from '../support/harness.js';
import { API_ENV, READ_KEY, WRITE_KEY } from './api-env.js';

export { API_ENV, GITHUB_SECRET, READ_KEY, stateDigest, TOKEN_SECRET, WRITE_KEY } from './api-env.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (null when it is not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
}

export interface CallOptions {
  /** A JSON body (serialized), or `raw` bytes/text sent as they are. */
  json?: unknown;
  raw?: string | Uint8Array;
  /** 'write' (default), 'read', 'none' or a literal key. */
  key?: 'write' | 'read' | 'none' | { bearer: string };
  headers?: Record<string, string>;
}

export interface Api {
  h: Harness;
  server: RunningServer;
  url: string;
  /** Every log line the server wrote (pino JSON). */
  logs: string[];
  call(method: string, path: string, opts?: CallOptions): Promise<Answer>;
  close(): Promise<void>;
}

export async function startApi(
  opts: {
    env?: Record<string, string>;
    consumer?: boolean;
    insecureNoAuth?: boolean;
    redisUrl?: string;
  } = {},
): Promise<Api> {
  const h = await createHarness();
  if (opts.consumer !== false) await h.startConsumer();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const env = loadEnv({ REDIS_URL: opts.redisUrl ?? redisUrl(), RESUME_PREFIX: h.prefix, LOG_LEVEL: 'info' });
  const source = opts.insecureNoAuth ? { ...API_ENV, API_KEYS: '' } : API_ENV;
  const config = loadHttpConfig({ ...source, ...opts.env });
  const server = await startServer(
    { host: '127.0.0.1', port: 0, insecureNoAuth: opts.insecureNoAuth ?? false },
    env,
    config,
    createLogger('info', sink),
  );
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key ?? 'write';
    if (key === 'write') headers.authorization = `Bearer ${WRITE_KEY}`;
    else if (key === 'read') headers.authorization = `Bearer ${READ_KEY}`;
    else if (typeof key === 'object') headers.authorization = `Bearer ${key.bearer}`;
    let body: string | Uint8Array | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] ??= 'application/json';
    }
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : new Uint8Array(body);
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
  return {
    h,
    server,
    url: server.url,
    logs,
    call,
    async close() {
      await server.stop();
      await h.close();
    },
  };
}

/** A worker, registered and suspended through the API; returns the suspend answer's body. */
export async function parkedWorker(
  api: Api,
  id: string,
  suspend: Record<string, unknown> = {},
  // biome-ignore lint/suspicious/noExplicitAny: the answer's body, as the tests read it
): Promise<any> {
  const reg = await api.call('POST', '/v1/workers', { json: { id, name: id, task: 'review PR 42' } });
  if (reg.status !== 201) throw new Error(`register ${id}: ${reg.status} ${reg.text}`);
  const s = await api.call('POST', `/v1/workers/${id}/suspend`, { json: { reason: 'approval', ...suspend } });
  if (s.status !== 200) throw new Error(`suspend ${id}: ${s.status} ${s.text}`);
  return s.body;
}

/** A problem answer: its status and stable code, as application/problem+json with its fields. */
export const expectProblem = (a: Answer, status: number, code: string) => {
  expect({ status: a.status, code: a.body?.code }, a.text).toEqual({ status, code });
  expect(a.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(a.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
};
