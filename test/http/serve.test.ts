// `resume-processor serve` as a process (refusals, --insecure-no-auth, a graceful SIGTERM), the rate
// limit, and what the API answers when Redis is down or may evict keys.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';
import { redisUrl } from '../support/harness.js';
import { type Answer, API_ENV, type Api, expectProblem, startApi, WRITE_KEY } from './support.js';

const BIN = fileURLToPath(new URL('../../bin/resume-processor.js', import.meta.url));

interface Served {
  child: ChildProcess;
  /** The first stdout line: the --json document (listening, or the error). */
  first: Promise<string>;
  stdout: () => string;
}

function serve(args: string[], env: Record<string, string>): Served {
  const child = spawn(process.execPath, [BIN, 'serve', '--json', ...args], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl(),
      RESUME_PREFIX: `srv${process.pid}`,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const first = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += String(d);
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before printing`)));
  });
  first.catch(() => undefined);
  return { child, first, stdout: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });

/** A refused start: exit 78 and RP-INVALID-CONFIG naming what is wrong. */
async function refused(args: string[], env: Record<string, string>, says: RegExp) {
  const s = serve(args, env);
  expect(await exited(s.child)).toBe(78);
  const doc = JSON.parse(s.stdout());
  expect(doc.error.code).toBe('RP-INVALID-CONFIG');
  expect(doc.error.message).toMatch(says);
}

describe('resume-processor serve', () => {
  it('refuses to start without API keys (exit 78), with a bad key, and --insecure-no-auth off loopback', async () => {
    await refused(['--port', '0'], { API_KEYS: '' }, /no API keys/);
    await refused(
      ['--port', '0', '--insecure-no-auth', '--host', '0.0.0.0'],
      { API_KEYS: '' },
      /127\.0\.0\.1 only/,
    );
    await refused(
      ['--port', '0'],
      { ...API_ENV, API_KEYS: 'ops:short:write' },
      /API_KEYS: entry 1 \("ops"\)/,
    );
    await refused(['--port', '0'], { ...API_ENV, RESUME_TOKEN_SECRET: 'short' }, /RESUME_TOKEN_SECRET/);
  });

  it('--insecure-no-auth opens every route on 127.0.0.1', async () => {
    const s = serve(['--port', '0', '--insecure-no-auth'], { API_KEYS: '' });
    try {
      const doc = JSON.parse(await s.first);
      expect(doc).toMatchObject({ listening: true, insecureNoAuth: true });
      expect(doc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${doc.url}/v1/workers/nobody`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('RP-UNKNOWN-WORKER');
    } finally {
      s.child.kill('SIGTERM');
      await exited(s.child);
    }
  });

  it('SIGTERM: a request in flight is answered, then the process exits 0', async () => {
    const s = serve(['--port', '0'], API_ENV);
    const doc = JSON.parse(await s.first);
    const auth = { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' };
    await fetch(`${doc.url}/v1/workers`, {
      method: 'POST',
      headers: auth,
      body: '{"id":"slow","name":"s","task":"t"}',
    });
    await fetch(`${doc.url}/v1/workers/slow/suspend`, { method: 'POST', headers: auth, body: '{}' });
    // No consumer runs: the request waits its whole wait_ms, and the stop waits for it.
    const inFlight = fetch(`${doc.url}/v1/workers/slow/resume?wait_ms=1500`, {
      method: 'POST',
      headers: auth,
      body: '{"input":"go"}',
    });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(202);
    expect(await exited(s.child)).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(800);
  });
});

describe('limits', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi({ env: { HTTP_RATE_LIMIT: '5', HTTP_RATE_WINDOW_MS: '60000' }, consumer: false });
  });
  afterAll(async () => api.close());

  it('a key over its rate limit gets 429 with Retry-After; another key and the probes are not limited', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i++) answers.push(await api.call('GET', '/v1/workers/nobody', { key: 'write' }));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([404, 404, 404, 404, 404]);
    expectProblem(answers[5] as Answer, 429, 'RP-RATE-LIMITED');
    expect(Number(answers[5]?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api.call('GET', '/v1/workers/nobody', { key: 'read' })).status).toBe(404);
    for (let i = 0; i < 8; i++) expect((await api.call('GET', '/healthz', { key: 'none' })).status).toBe(200);
  });
});

describe('Redis', () => {
  let redis: RedisServerHandle;
  let api: Api;
  beforeAll(async () => {
    redis = await startRedisServer();
    api = await startApi({ redisUrl: redis.url, consumer: false });
  });
  afterAll(async () => {
    await api.close();
    await redis.stop();
  });

  it('maxmemory-policy other than noeviction: /readyz is 503 RP-NOT-READY', async () => {
    const admin = await import('ioredis').then((m) => new m.Redis(redis.url));
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expectProblem(await api.call('GET', '/readyz', { key: 'none' }), 503, 'RP-NOT-READY');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      expect((await api.call('GET', '/readyz', { key: 'none' })).status).toBe(200);
    } finally {
      admin.disconnect();
    }
  });

  it('down: 503 RP-REDIS-UNAVAILABLE with Retry-After; /healthz still 200', async () => {
    await redis.kill('SIGKILL');
    try {
      const a = await api.call('GET', '/v1/workers/anyone', { key: 'read' });
      expectProblem(a, 503, 'RP-REDIS-UNAVAILABLE');
      expect(a.headers.get('retry-after')).toBe('1');
      const w = await api.call('POST', '/v1/workers', { json: { name: 'n', task: 't' } });
      expectProblem(w, 503, 'RP-REDIS-UNAVAILABLE');
      const ready = await api.call('GET', '/readyz', { key: 'none' });
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBeTruthy();
      expect((await api.call('GET', '/healthz', { key: 'none' })).status).toBe(200);
    } finally {
      await redis.restart();
    }
  });
});
