// Parent side of a bench child process: spawn with an IPC channel, wait for 'ready', ask for
// stats, start/stop a CPU profile, stop gracefully, kill as a last resort.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildStats, ParentMessage } from './ipc.js';

export type ChildKind = 'plain-worker' | 'hand-rolled-worker' | 'rp-consumer' | 'forwarder-worker';

export interface SpawnOptions {
  env: Record<string, string>;
  /** Another entry script speaking the same protocol (e.g. a consumer built from a patched engine). */
  script?: string;
}

export class BenchChild {
  private nextRequest = 1;
  private readonly waiting = new Map<number, (stats: ChildStats) => void>();
  private readonly pending = new Map<number, () => void>();
  private exited = false;

  private constructor(
    readonly kind: ChildKind,
    private readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'stats') {
        this.waiting.get(m.requestId)?.(m.stats);
        this.waiting.delete(m.requestId);
      } else if (m.type === 'done') {
        this.pending.get(m.requestId)?.();
        this.pending.delete(m.requestId);
      } else if (m.type === 'error') {
        console.error(`[bench] ${kind} reported: ${m.message}`);
      }
    });
    proc.on('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  static async spawn(kind: ChildKind, opts: SpawnOptions): Promise<BenchChild> {
    const script = opts.script ?? fileURLToPath(new URL(`../children/${kind}.ts`, import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new BenchChild(kind, proc);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'ready') {
          proc.off('exit', onExit);
          proc.off('message', onMessage);
          resolve();
        }
      };
      const onExit = (code: number | null) => reject(new Error(`${kind} exited with ${code} before ready`));
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });
    return child;
  }

  stats(): Promise<ChildStats> {
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`${this.kind} has exited`));
      this.waiting.set(requestId, resolve);
      this.proc.send({ type: 'stats', requestId } satisfies ParentMessage);
    });
  }

  /** Starts the V8 sampling profiler inside the child. */
  startProfile(intervalUs = 200): Promise<void> {
    return this.request((requestId) => ({ type: 'profile-start', requestId, intervalUs }));
  }

  /** Stops the profiler and has the child write the .cpuprofile to `path`. */
  stopProfile(path: string): Promise<void> {
    return this.request((requestId) => ({ type: 'profile-stop', requestId, path }));
  }

  private request(make: (requestId: number) => ParentMessage): Promise<void> {
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`${this.kind} has exited`));
      this.pending.set(requestId, resolve);
      this.proc.send(make(requestId));
    });
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}
