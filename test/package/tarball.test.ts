// The package as a user gets it: `npm run build`, `npm pack`, `npm install --omit=dev` of the
// tarball into an empty project (real npm, from the local cache where it can), then the library,
// `resume-processor/http` and the installed `resume-processor` command used from that project
// against the test Redis, and the image's command (`node dist/cli/main.js consumer` over production
// dependencies only, as an unprivileged user) resuming a worker. A file the package needs but `files` in package.json leaves out (the
// compiled CLI, a Lua script, a dashboard asset, the bin) fails it.

import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const redisUrl = inject('redisUrl');
const prefix = `pkg-${randomUUID().slice(0, 8)}`;
const SETUP_TIMEOUT_MS = 300_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env, timeout: SETUP_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function succeed(file: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(file, args, cwd, env);
  expect(r.code, `${file} ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

// What a user's code does with the package: the library and the HTTP entry point, both ESM.
const CHECK_SCRIPT = `
import { createProducer, RpCode } from 'resume-processor';
import { createHttpApp, loadHttpConfig } from 'resume-processor/http';

const [url, prefix, id] = process.argv.slice(2);
const producer = createProducer({ connection: url, prefix });
const worker = await producer.getWorker(id);
await producer.disconnect();
const { app, close } = await createHttpApp({ connection: url, prefix, config: loadHttpConfig({}), insecureNoAuth: true });
const api = await app.inject({ method: 'GET', url: '/v1/workers/' + id });
const css = await app.inject({ method: 'GET', url: '/dashboard/assets/dashboard.css' });
await close();
console.log(JSON.stringify({ status: worker?.status, code: typeof RpCode, api: api.statusCode,
  apiStatus: api.json().status, css: css.statusCode, cssBytes: css.body.length }));
`;

// The same use in TypeScript, type-checked against the package's .d.ts files (skipLibCheck off).
const TYPED_USE = `
import { createProducer, type Producer, type WorkerSummary } from 'resume-processor';
import { createHttpApp, type HttpConfig, loadHttpConfig } from 'resume-processor/http';

const producer: Producer = createProducer({ connection: 'redis://127.0.0.1:6379' });
const worker: WorkerSummary | null = await producer.getWorker('w');
const config: HttpConfig = loadHttpConfig({});
const { app, close } = await createHttpApp({ connection: 'redis://127.0.0.1:6379', config });
app.get('/mine', async () => ({ status: worker?.status }));
await close();
`;

// Preloaded with --import: reports on stderr, at exit, every package an ESM import resolved into
// (node_modules/<package>/...), so a test sees what a command loaded.
const IMPORTS_HOOK = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const packages = new Set();
port1.on('message', (url) => {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(url);
  if (m && m[1] !== 'resume-processor') packages.add(m[1]);
});
port1.unref();
const hooks = 'let port; export function initialize(d) { port = d.port } ' +
  'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r }';
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => process.stderr.write('\\nimported: ' + JSON.stringify([...packages]) + '\\n'));
`;

let work: string;
let project: string;
let packed: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'rp-package-'));
  project = join(work, 'project');
  await succeed('npm', ['run', 'build'], ROOT);
  // --ignore-scripts: prepack would build a second time.
  const pack = await succeed('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT);
  const [info] = JSON.parse(pack) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package: ${pack}`);
  packed = info.files.map((f) => f.path);
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'uses-rp', private: true, type: 'module' }),
  );
  writeFileSync(join(project, 'check.mjs'), CHECK_SCRIPT);
  writeFileSync(join(project, 'imports-hook.mjs'), IMPORTS_HOOK);
  writeFileSync(join(project, 'use.ts'), TYPED_USE);
  await succeed(
    'npm',
    ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)],
    project,
  );
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  test('holds the compiled code and every non-TypeScript file of src/, and no sources or tests', () => {
    expect(packed).toContain('bin/resume-processor.js');
    expect(packed).toContain('dist/cli/main.js');
    expect(packed).toContain('dist/index.d.ts');
    expect(packed).toContain('dist/http/index.d.ts');
    const src = join(ROOT, 'src');
    const assets = readdirSync(src, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.endsWith('.ts'))
      .map((e) => `dist/${relative(src, join(e.parentPath, e.name))}`);
    expect(assets).toContain('dist/lib/store/lua/commit.lua');
    for (const asset of assets) expect(packed).toContain(asset);
    expect(packed.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
  });

  test('installs without dev dependencies: no tsx, no TypeScript', async () => {
    const ls = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], project);
    expect(ls.stdout).toContain('node_modules/resume-processor');
    expect(ls.stdout).not.toMatch(/node_modules\/(tsx|typescript|esbuild)$/m);
  });
});

describe('the installed package', () => {
  test('its types: the library and resume-processor/http type-check in a TypeScript project', async () => {
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        // The project has only the package; TypeScript and Node's types come from this clone.
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['use.ts'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    await succeed(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
      project,
    );
  });

  const bin = () => join(project, 'node_modules', '.bin', 'resume-processor');
  const env = () => ({ ...process.env, REDIS_URL: redisUrl, RESUME_PREFIX: prefix, LOG_LEVEL: 'warn' });

  test('resume-processor --help prints the usage with every command', async () => {
    const out = await succeed(bin(), ['--help'], project);
    expect(out).toMatch(/^Usage: resume-processor <command>/m);
    for (const command of ['register', 'status', 'consumer', 'serve', 'demo']) {
      expect(out).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  test('--help imports no dependency; status none of BullMQ, fastify or OpenTelemetry', async () => {
    const imported = async (args: string[]) => {
      const main = join(project, 'node_modules', 'resume-processor', 'dist', 'cli', 'main.js');
      const r = await run(
        process.execPath,
        ['--import', './imports-hook.mjs', main, ...args],
        project,
        env(),
      );
      const line = /^imported: (.*)$/m.exec(r.stderr);
      expect(line, r.stderr).not.toBeNull();
      return JSON.parse(line?.[1] ?? '[]') as string[];
    };
    expect(await imported(['--help'])).toEqual([]);
    const status = await imported(['status', 'no-such-worker', '--json']);
    expect(status).toContain('ioredis');
    expect(status.filter((p) => /^(bullmq|fastify|@opentelemetry\/)/.test(p))).toEqual([]);
  });

  test('register and status round trip through the CLI, the library and resume-processor/http', async () => {
    const id = `pkg-${randomUUID().slice(0, 12)}`;
    const registered = JSON.parse(
      await succeed(
        bin(),
        ['register', '--name', 'packaged', '--task', 'from the tarball', '--id', id, '--json'],
        project,
        env(),
      ),
    ) as { id: string; status: string };
    expect(registered).toMatchObject({ id, status: 'running' });
    const status = JSON.parse(await succeed(bin(), ['status', id, '--json'], project, env())) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({ id, name: 'packaged', task: 'from the tarball', status: 'running' });

    const checked = JSON.parse(
      await succeed(process.execPath, ['check.mjs', redisUrl, prefix, id], project, env()),
    ) as Record<string, unknown>;
    expect(checked).toEqual({
      status: 'running',
      code: 'object',
      api: 200,
      apiStatus: 'running',
      css: 200,
      cssBytes: expect.any(Number),
    });
    expect(checked.cssBytes).toBeGreaterThan(0);
  });

  test("the image's command: the installed consumer, unprivileged, resumes a worker and stops on SIGTERM", async () => {
    // The image runs `node dist/cli/main.js consumer` as a non-root user over `npm ci --omit=dev`:
    // the same files and dependencies as this project. As root (CI), run it as nobody.
    const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    chmodSync(work, 0o755);
    const id = `pkg-${randomUUID().slice(0, 12)}`;
    await succeed(
      bin(),
      ['register', '--name', 'imaged', '--task', 'before', '--id', id, '--json'],
      project,
      env(),
    );
    await succeed(bin(), ['suspend', id, '--reason', 'image test', '--json'], project, env());
    const main = join(project, 'node_modules', 'resume-processor', 'dist', 'cli', 'main.js');
    const consumer = spawn(process.execPath, [main, 'consumer'], {
      cwd: project,
      env: { ...env(), NODE_ENV: 'production', HOME: project },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...unprivileged,
    });
    let stderr = '';
    consumer.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => consumer.once('exit', (code) => resolve(code)));
    try {
      const outcome = JSON.parse(
        await succeed(bin(), ['resume', id, '--input', 'after', '--wait', '30000', '--json'], project, env()),
      ) as { outcome: string };
      expect(outcome.outcome, stderr).toBe('resumed');
      const status = JSON.parse(await succeed(bin(), ['status', id, '--json'], project, env())) as Record<
        string,
        unknown
      >;
      expect(status).toMatchObject({ id, status: 'running', task: 'after' });
    } finally {
      consumer.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
  }, 60_000);
});
