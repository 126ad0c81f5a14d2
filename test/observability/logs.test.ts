// The logs, read as written (pino JSON lines into a buffer, and a consumer process's stderr): one
// `component` key on every line, the lines of a running job bound to it (jobId, workerId,
// partition), inputs and credentials redacted.

import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { type Api, startApi } from '../http/support.js';
import { waitFor } from '../support/harness.js';

const BIN = fileURLToPath(new URL('../../bin/resume-processor.js', import.meta.url));
const SECRET = 'SECRET-INPUT-7f3a';

const sink = (lines: string[]) =>
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });

/** Every line: JSON with exactly one `component` key (pino writes a repeated binding twice). */
const expectOneComponent = (lines: string[]) => {
  for (const line of lines) {
    expect(line.match(/"component":/g)?.length ?? 0, line).toBe(1);
    expect(typeof JSON.parse(line).component, line).toBe('string');
  }
};

let api: Api;
beforeAll(async () => {
  api = await startApi({ consumer: false });
});
afterAll(async () => api.close());

describe('logs', () => {
  it("bind a running job's lines to it, carry one component each, and never show inputs or tokens", async () => {
    const consumerLines: string[] = [];
    let failedOnce = false;
    await api.h.startConsumer({
      logger: createLogger('debug', sink(consumerLines)),
      hooks: {
        preResume: [
          () => {
            if (failedOnce) return undefined;
            failedOnce = true;
            throw new Error('approval service unreachable');
          },
        ],
        postResume: [
          () => {
            throw new Error('notification failed');
          },
        ],
      },
    });
    // Over HTTP: a resume with a secret input, and one through a resume link (a token in the path).
    const reg = await api.call('POST', '/v1/workers', { json: { name: 'r', task: 'review' } });
    const id = reg.body.id as string;
    const suspended = await api.call('POST', `/v1/workers/${id}/suspend`, {
      json: { reason: 'approval', resume_token: true },
    });
    expect(suspended.status, suspended.text).toBe(200);
    const link = String(suspended.body.resume_url ?? '');
    const token = link.split('/v1/resume/')[1] ?? '';
    expect(token.length).toBeGreaterThan(20);
    const resumed = await api.call('POST', `/v1/workers/${id}/resume?wait_ms=20000`, {
      json: { input: SECRET },
    });
    expect(resumed.body.outcome, resumed.text).toBe('resumed');
    await waitFor('the PostResume failure line', async () =>
      consumerLines.some((l) => l.includes('PostResume hook failed')),
    );
    await api.call('POST', `/v1/resume/${token}`, { key: 'none', json: { input: SECRET } });

    // The job's own lines carry its binding, once.
    const jobLines = consumerLines
      .map((l) => JSON.parse(l))
      .filter((l) => /retrying with backoff|PostResume hook failed/.test(l.msg));
    expect(jobLines.map((l) => l.msg)).toEqual([
      'job failed; retrying with backoff',
      'PostResume hook failed; the resume stands',
    ]);
    for (const l of jobLines) {
      expect(l).toMatchObject({ component: 'consumer', workerId: id, partition: 0 });
      expect(l.jobId).toEqual(expect.any(String));
    }
    const raw = [...consumerLines, ...api.logs.flatMap((l) => l.split('\n').filter(Boolean))];
    for (const line of raw) expect(line).not.toContain(SECRET);
    for (const line of raw) expect(line).not.toContain(token);
    expectOneComponent(raw);

    // Credentials under the names the code uses are redacted wherever a line carries them.
    const direct: string[] = [];
    createLogger('info', sink(direct))
      .child({ component: 'check' })
      .info(
        {
          resume_token: 'tok-1',
          job: { resumeToken: 'tok-2', options: { input: SECRET } },
          req: { headers: { authorization: 'Bearer key-3', cookie: 'session=key-4' } },
          input: SECRET,
        },
        'a line with credentials',
      );
    await waitFor('the direct line', async () => direct.length > 0);
    for (const secret of ['tok-1', 'tok-2', 'key-3', 'key-4', SECRET])
      expect(direct[0]).not.toContain(secret);
    expect(JSON.parse(direct[0] ?? '{}')).toMatchObject({ resume_token: '[redacted]', input: '[redacted]' });
  });

  it('a consumer process writes one component on every line, from start to its graceful stop', async () => {
    const child = spawn(process.execPath, [BIN, 'consumer', '--json', '--metrics-port', '0'], {
      env: { ...process.env, ...api.h.target.env, RESUME_PREFIX: api.h.prefix, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    child.stderr.pipe(sink(lines));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the consumer to start', async () => lines.some((l) => l.includes('consumer started')));
      await waitFor('its metrics line', async () => lines.some((l) => l.includes('/metrics')));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const messages = lines.map((l) => JSON.parse(l).msg);
      expect(messages).toEqual(expect.arrayContaining(['consumer started', 'consumer stopped']));
      expect(messages.some((m) => /^stopping/.test(m))).toBe(true);
      expectOneComponent(lines);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
