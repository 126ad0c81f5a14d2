// `npm run bench:cli`: the compiled CLI's cold start, as a script calling it in a loop pays it:
// `resume-processor --help` and `status ID --json` against a private redis-server, each run as a
// fresh process of the command as installed: `bin/resume-processor.js` in a directory laid out as an
// install is (bin/, dist/, package.json, no src/: the bin runs the compiled CLI; node_modules is
// this clone's). Prints median and p95 per command and whether the targets (docs/cli.md) hold.
// Needs `npm run build` first. Flags: --runs N (default 20).

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../src/lib/redis-server.js';
import { percentile } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const WARMUP_RUNS = 2;

interface Case {
  label: string;
  args: string[];
  /** Absent: a reference, not the CLI. */
  targetMs?: number;
  script: string[];
}

function runs(): number {
  const i = process.argv.indexOf('--runs');
  const n = i === -1 ? 20 : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--runs takes a positive integer, got ${process.argv[i + 1]}`);
  return n;
}

/** A directory laid out as `npm install` leaves the package, for the bin to run from. */
function installedLayout(): { bin: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rp-cli-bench-'));
  for (const entry of ['bin', 'dist', 'package.json'])
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    bin: join(dir, 'bin', 'resume-processor.js'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs node once (the CLI unless `script` says otherwise) and returns its wall time in ms; a failed run stops the benchmark. */
function timeOnce(args: string[], env: NodeJS.ProcessEnv, script: string[]): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, [...script, ...args], { env, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (run.status !== 0)
    throw new Error(`resume-processor ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  const count = runs();
  const redis = await startRedisServer();
  const installed = installedLayout();
  // Traces off: the figures are the CLI's own, without an OTLP export at exit.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    RESUME_PREFIX: 'bench-cli',
    LOG_LEVEL: 'warn',
  };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  try {
    const id = 'bench-cli-worker';
    const cli = [installed.bin];
    timeOnce(['register', '--name', 'bench', '--task', 'cold start', '--id', id, '--json'], env, cli);
    const cases: Case[] = [
      // Node's own start on this machine: what no change to the CLI can take off.
      { label: 'node -e 0 (reference)', args: [], script: ['-e', '0'] },
      { label: 'resume-processor --help', args: ['--help'], targetMs: 150, script: cli },
      {
        label: 'resume-processor status ID --json',
        args: ['status', id, '--json'],
        targetMs: 300,
        script: cli,
      },
    ];
    console.log(`node ${process.version}, ${count} runs each after ${WARMUP_RUNS} warm-up runs`);
    let failed = false;
    for (const c of cases) {
      for (let i = 0; i < WARMUP_RUNS; i++) timeOnce(c.args, env, c.script);
      const times = Array.from({ length: count }, () => timeOnce(c.args, env, c.script)).sort(
        (a, b) => a - b,
      );
      const p50 = percentile(times, 50);
      const p95 = percentile(times, 95);
      const ok = c.targetMs === undefined || p50 <= c.targetMs;
      failed ||= !ok;
      const verdict =
        c.targetMs === undefined ? '' : ` (target ≤ ${c.targetMs} ms: ${ok ? 'met' : 'NOT met'})`;
      console.log(`${c.label.padEnd(36)} median ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms${verdict}`);
    }
    process.exitCode = failed ? 1 : 0;
  } finally {
    installed.remove();
    await redis.stop();
  }
}

await main();
