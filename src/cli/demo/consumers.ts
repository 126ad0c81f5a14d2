// Consumer processes for the demo: real `resume-processor consumer` children, as an operator would
// run them, so the demo exercises cross-process locking and the graceful SIGTERM path.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/resume-processor.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ConsumerProcessHandle {
  index: number;
  pid: number | undefined;
  /** SIGTERM, then waits for the exit; returns the exit code (null if it had to be killed). */
  stop(): Promise<number | null>;
}

export interface ConsumerSpawnOptions {
  /** REDIS_URL or REDIS_CLUSTER_NODES (and RESUME_PARTITIONS) for the processes. */
  env: Record<string, string>;
  prefix: string;
  /** Receives each stderr line of a consumer (its warn-level logs). */
  onLog(index: number, line: string): void;
}

export async function startConsumers(
  count: number,
  opts: ConsumerSpawnOptions,
): Promise<ConsumerProcessHandle[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startOne(i + 1, opts)));
  const handles = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(handles.map((h) => h.stop()));
    throw failure.reason;
  }
  return handles;
}

function startOne(index: number, opts: ConsumerSpawnOptions): Promise<ConsumerProcessHandle> {
  const child = spawn(process.execPath, [BIN, 'consumer', '--json'], {
    env: {
      ...process.env,
      ...opts.env,
      RESUME_PREFIX: opts.prefix,
      LOG_LEVEL: 'warn',
      // Short intervals so a stalled job or a late timeout is handled within the demo's run time.
      STALLED_INTERVAL_MS: '1000',
      RECONCILE_INTERVAL_MS: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NonNullable<ChildProcess['stderr']> }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 20) stderr.shift();
    opts.onLog(index, line);
  });

  const handle: ConsumerProcessHandle = {
    index,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };

  // The consumer prints one JSON line once its queue workers run: that is "ready".
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`consumer ${index} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
    lines.once('line', (line) => {
      clearTimeout(timer);
      if (line.includes('"started":true')) resolve(handle);
      else reject(new Error(`consumer ${index} failed to start: ${line}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`consumer ${index} exited with code ${code} before starting:\n${stderr.join('\n')}`));
    });
  });
}
