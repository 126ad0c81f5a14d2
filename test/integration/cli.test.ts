// The command line end to end: real `resume-processor` processes against the test Redis, with one
// consumer process started by the `consumer` command and stopped with SIGTERM.

import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/resume-processor.js', import.meta.url));
const redisUrl = inject('redisUrl');
const prefix = `cli-${randomUUID().slice(0, 8)}`;
const baseEnv = { ...process.env, REDIS_URL: redisUrl, RESUME_PREFIX: prefix, LOG_LEVEL: 'warn' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs with --json and parses stdout, which must hold exactly one JSON document. */
async function cliJson(
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<Run & { doc: Record<string, unknown> }> {
  const run = await cli([...args, '--json'], env);
  const lines = run.stdout.trim().split('\n');
  expect(lines, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toHaveLength(1);
  return { ...run, doc: JSON.parse(lines[0] ?? '') as Record<string, unknown> };
}

const workerId = () => `w-${randomUUID().slice(0, 12)}`;

let consumer: ChildProcessByStdio<null, Readable, Readable> | undefined;
let consumerExit: Promise<number | null> | undefined;

beforeAll(async () => {
  const child = spawn(process.execPath, [BIN, 'consumer', '--json', '--concurrency', '4'], {
    env: { ...baseEnv, STALLED_INTERVAL_MS: '1000', RECONCILE_INTERVAL_MS: '200' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  consumer = child;
  consumerExit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr.resume();
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`consumer exited with ${code} before starting`)));
  });
  expect(JSON.parse(first)).toMatchObject({ started: true, prefix });
});

afterAll(async () => {
  // Only reached with a consumer still running when the graceful-stop test did not run or failed.
  if (consumer && consumer.exitCode === null && consumer.signalCode === null) {
    consumer.kill('SIGKILL');
    await consumerExit;
  }
});

describe('resume-processor CLI', () => {
  test('register, suspend with a timeout, resume --wait, status, list, close, resume after close', async () => {
    const id = workerId();
    const registered = await cliJson([
      'register',
      '--name',
      'reviewer',
      '--task',
      'review PR 42',
      '--id',
      id,
    ]);
    expect(registered.code).toBe(0);
    expect(registered.doc).toMatchObject({
      id,
      name: 'reviewer',
      task: 'review PR 42',
      status: 'running',
      version: 1,
    });

    const suspended = await cliJson([
      'suspend',
      id,
      '--reason',
      'waiting for review',
      '--timeout-ms',
      '60000',
      '--on-timeout',
      'fail',
    ]);
    expect(suspended.code).toBe(0);
    expect(suspended.doc).toMatchObject({
      status: 'suspended',
      suspension: { reason: 'waiting for review', initiator: 'operator', on_timeout: 'fail' },
    });
    const suspension = suspended.doc.suspension as { deadline_ms: number; epoch: number };
    expect(suspension.deadline_ms).toBeGreaterThan(Date.now() + 50_000);

    const resumed = await cliJson(['resume', id, '--input', 'the review was approved', '--wait', '20000']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.doc).toMatchObject({ outcome: 'resumed', worker: { id, status: 'running' } });
    expect(resumed.doc.respawnJobId).toBe(`respawn-${id}-${suspension.epoch + 1}`);

    const status = await cliJson(['status', id]);
    expect(status.doc).toMatchObject({
      status: 'running',
      suspension: null,
      task: 'the review was approved',
    });
    expect(status.doc.history).toContain('the review was approved');
    expect(status.doc.continuity).not.toBeNull();

    const running = await cliJson(['list', '--status', 'running']);
    expect((running.doc.workers as { id: string }[]).map((w) => w.id)).toContain(id);
    const stillSuspended = await cliJson(['list', '--status', 'suspended']);
    expect((stillSuspended.doc.workers as { id: string }[]).map((w) => w.id)).not.toContain(id);

    const closed = await cliJson(['close', id]);
    expect(closed.doc).toMatchObject({ id, status: 'cancelled' });

    const afterClose = await cliJson(['resume', id, '--input', 'too late', '--wait', '20000']);
    expect(afterClose.code).toBe(2);
    expect(afterClose.doc).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-010' } });
  });

  test('list pages, extend, cancel-wait, resume-many and close-many', async () => {
    const reason = `batch-${randomUUID().slice(0, 6)}`;
    const ids = [workerId(), workerId(), workerId()];
    for (const id of ids) {
      expect((await cliJson(['register', '--id', id, '--name', 'b', '--task', 't'])).code).toBe(0);
      expect((await cliJson(['suspend', id, '--reason', reason, '--timeout-ms', '60000'])).code).toBe(0);
    }
    const first = await cliJson(['list', '--reason', reason, '--limit', '2']);
    expect(first.doc.count).toBe(2);
    const next = await cliJson([
      'list',
      '--reason',
      reason,
      '--limit',
      '2',
      '--cursor',
      String(first.doc.nextCursor),
    ]);
    expect(next.doc).toMatchObject({ count: 1, nextCursor: null });
    const listed = [...(first.doc.workers as { id: string }[]), ...(next.doc.workers as { id: string }[])];
    expect(listed.map((w) => w.id).sort()).toEqual([...ids].sort());

    const [a = '', b = ''] = ids;
    const before = (await cliJson(['status', a])).doc.suspension as { deadline_ms: number };
    const extended = await cliJson(['extend', a, '--by', '5000']);
    expect(extended.code, extended.stderr).toBe(0);
    expect((extended.doc.suspension as { deadline_ms: number }).deadline_ms).toBe(before.deadline_ms + 5000);
    const usage = await cliJson(['extend', a]);
    expect(usage.code).toBe(64);
    const cancelled = await cliJson(['cancel-wait', b, '--timeout']);
    expect(cancelled.doc).toMatchObject({ status: 'suspended', suspension: { reason } });
    expect((cancelled.doc.suspension as { deadline_ms?: number }).deadline_ms).toBeUndefined();

    const dry = await cliJson(['resume-many', '--reason', reason, '--input', 'go', '--dry-run']);
    expect(dry.doc).toMatchObject({ matched: 3, dryRun: true });
    expect((dry.doc.workerIds as string[]).sort()).toEqual([...ids].sort());
    const resumed = await cliJson(['resume-many', '--reason', reason, '--input', 'go', '--wait', '20000']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.doc).toMatchObject({ matched: 3, counts: { resumed: 3 } });
    const again = await cliJson(['resume-many', '--reason', reason, '--input', 'go']);
    expect(again.doc).toMatchObject({ matched: 0 });

    const refused = await cliJson(['close-many']);
    expect(refused.code).toBe(64);
    const closed = await cliJson(['close-many', '--status', 'running', '--dry-run']);
    expect(closed.doc.workerIds).toEqual(expect.arrayContaining(ids));
  });

  test('a short timeout fires through the consumer (on_timeout fail)', async () => {
    const id = workerId();
    await cliJson(['register', '--name', 'sleeper', '--task', 'wait', '--id', id]);
    const suspended = await cliJson(['suspend', id, '--timeout-ms', '300', '--on-timeout', 'fail']);
    expect(suspended.code).toBe(0);
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 50 && status.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await cliJson(['status', id])).doc;
    }
    expect(status).toMatchObject({
      status: 'failed',
      latest_error: 'auto-resume timeout expired',
      suspension: null,
    });
  });

  test('resume without --wait prints the job id; a duplicate gets HARN-SUS-003', async () => {
    const id = workerId();
    await cliJson(['register', '--name', 'dup', '--task', 't', '--id', id]);
    await cliJson(['suspend', id, '--conditions', '{"timeout":{"duration_ms":60000}}']);
    const queued = await cliJson(['resume', id, '--options', '{"input":"go","continue_transcript":false}']);
    expect(queued.code).toBe(0);
    expect(queued.doc).toMatchObject({ workerId: id, jobId: expect.any(String) });
    const second = await cliJson(['resume', id, '--input', 'again', '--wait', '20000']);
    expect(second.code).toBe(2);
    expect(second.doc).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
  });

  test('resume --key replays the first outcome; another request under the key is a conflict', async () => {
    const id = workerId();
    await cliJson(['register', '--name', 'keyed', '--task', 't', '--id', id]);
    await cliJson(['suspend', id]);
    const first = await cliJson(['resume', id, '--input', 'go', '--key', 'req-1', '--wait', '20000']);
    expect(first.doc).toMatchObject({ outcome: 'resumed' });
    const replay = await cliJson(['resume', id, '--input', 'go', '--key', 'req-1', '--wait', '20000']);
    expect(replay.code).toBe(0);
    expect(replay.doc).toEqual({ ...first.doc, replayed: true });
    const conflict = await cliJson(['resume', id, '--input', 'other', '--key', 'req-1', '--wait', '20000']);
    expect(conflict.code).toBe(1);
    expect(conflict.doc).toMatchObject({ error: { code: 'RP-IDEMPOTENCY-CONFLICT' } });
  });

  test('event resumes the worker waiting on its topic, once', async () => {
    const id = workerId();
    const topic = `review.approved.${id}`;
    await cliJson(['register', '--name', 'waiter', '--task', 't', '--id', id]);
    await cliJson(['suspend', id, '--conditions', JSON.stringify({ on_event: topic })]);
    const args = ['event', '--provider', 'github', '--kind', topic, '--id', 'ev-1', '--payload', '{"pr":42}'];
    const delivered = await cliJson([...args, '--wait', '20000']);
    expect(delivered.code, delivered.stderr).toBe(0);
    expect(delivered.doc.outcomes).toEqual([
      expect.objectContaining({ outcome: 'resumed', worker: expect.objectContaining({ id }) }),
    ]);
    const again = await cliJson([...args, '--wait', '20000']);
    expect(again.doc).toEqual({ outcomes: [] });
  });

  test('an unknown worker is RP-UNKNOWN-WORKER, in JSON and in text', async () => {
    const json = await cliJson(['status', 'no-such-worker']);
    expect(json.code).toBe(1);
    expect(json.doc).toMatchObject({
      error: { code: 'RP-UNKNOWN-WORKER', message: expect.stringContaining('no-such-worker') },
    });
    const text = await cli(['status', 'no-such-worker']);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('RP-UNKNOWN-WORKER');
  });

  test('a bad environment is refused at start with a readable error', async () => {
    const env = { ...baseEnv, REDIS_URL: 'localhost' };
    const json = await cliJson(['list'], env);
    expect(json.code).toBe(78);
    expect(json.doc).toMatchObject({ error: { code: 'RP-INVALID-CONFIG', path: 'REDIS_URL' } });
    const text = await cli(['list'], env);
    expect(text.code).toBe(78);
    expect(text.stderr).toMatch(/REDIS_URL/);
    expect(text.stderr).toMatch(/redis:\/\//);
  });

  test.each([
    { name: 'an unknown flag', args: ['register', '--name', 'a', '--task', 'b', '--bogus'], path: 'argv' },
    { name: 'a missing required flag', args: ['register', '--task', 'b'], path: '--name' },
    {
      name: 'invalid --conditions JSON',
      args: ['suspend', 'w1', '--conditions', '{not json'],
      path: '--conditions',
    },
    {
      name: 'a non-integer --timeout-ms',
      args: ['suspend', 'w1', '--timeout-ms', 'soon'],
      path: '--timeout-ms',
    },
    {
      name: '--input with --options',
      args: ['resume', 'w1', '--input', 'a', '--options', '{"input":"b"}'],
      path: '--options',
    },
    {
      name: 'a non-boolean --continue-transcript',
      args: ['resume', 'w1', '--continue-transcript', 'maybe'],
      path: '--continue-transcript',
    },
    { name: 'a missing worker id', args: ['status'], path: 'ID' },
    { name: 'an unknown command', args: ['frobnicate'], path: 'command' },
  ])('$name is RP-INVALID-INPUT (exit 64) before touching Redis', async ({ args, path }) => {
    const run = await cliJson(args, { ...baseEnv, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(64);
    expect(run.doc).toMatchObject({ error: { code: 'RP-INVALID-INPUT', path } });
  });

  test('the producer refuses invalid values with their code (no job is enqueued)', async () => {
    const id = workerId();
    await cliJson(['register', '--name', 'x', '--task', 'y', '--id', id]);
    const badAction = await cliJson(['suspend', id, '--timeout-ms', '1000', '--on-timeout', 'explode']);
    expect(badAction.code).toBe(1);
    expect(badAction.doc).toMatchObject({ error: { code: 'HARN-SUS-008' } });
    const badMode = await cliJson(['register', '--name', 'x', '--task', 'y', '--mode', 'wizard']);
    expect(badMode.doc).toMatchObject({ error: { code: 'RP-INVALID-INPUT' } });
    expect((await cliJson(['status', id])).doc).toMatchObject({ status: 'running' });
  });

  test('export writes a Harn snapshot; import reads it back; resume PATH.json imports and resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-cli-snap-'));
    const id = workerId();
    await cliJson(['register', '--name', 'snap', '--task', 'work', '--id', id, '--mode', 'stage']);
    await cliJson(['suspend', id, '--reason', 'park']);
    const out = join(dir, `${id}.json`);
    const exported = await cliJson(['export', id, '--out', out]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      _type: 'worker_snapshot',
      id,
      status: 'suspended',
    });

    writeFileSync(join(dir, 'broken.json'), 'not json');
    const imported = await cliJson(['import', dir]);
    expect(imported.code).toBe(1);
    expect(imported.doc).toMatchObject({
      imported: [{ path: out, worker: { id, status: 'suspended' } }],
      failed: [{ path: join(dir, 'broken.json'), error: { code: 'HARN-SUS-004' } }],
    });

    const resumed = await cliJson(['resume', out, '--input', 'from the file', '--wait', '20000']);
    expect(resumed.doc).toMatchObject({ outcome: 'resumed', worker: { id, task: 'from the file' } });
    const missing = await cliJson(['import', join(dir, 'missing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.doc).toMatchObject({ error: { code: 'HARN-SUS-004' } });
  });

  test('--help prints the usage and each command its own help', async () => {
    const overall = await cli(['--help']);
    expect(overall.code).toBe(0);
    for (const name of [
      'register',
      'suspend',
      'resume',
      'event',
      'close',
      'status',
      'list',
      'import',
      'export',
      'consumer',
      'demo',
    ]) {
      expect(overall.stdout).toContain(name);
    }
    const resume = await cli(['resume', '--help']);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain('--wait MS');
  });

  test('the consumer stops gracefully on SIGTERM (exit 0)', async () => {
    expect(consumer).toBeDefined();
    consumer?.kill('SIGTERM');
    expect(await consumerExit).toBe(0);
  });
});
