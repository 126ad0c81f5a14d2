// Real consumer processes (test/support/consumer-process.ts, configured by env like the CLI), with
// their stderr parsed: pino lines are counted by message so the ledger can report fenced commits,
// reconciler work and failed attempts; anything else (stack traces, ioredis warnings) counts as raw.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sleep } from './rng.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER_SCRIPT = fileURLToPath(new URL('../support/consumer-process.ts', import.meta.url));

export interface LogLine {
  source: string;
  at: number;
  level: number;
  msg: string;
  errMessage?: string;
  fields: Record<string, unknown>;
}

/** What every consumer process of one scenario wrote, aggregated. */
export class LogBook {
  readonly byMessage = new Map<string, number>();
  readonly bySource = new Map<string, Map<string, number>>();
  readonly failedReasons = new Map<string, number>();
  /** warn and above: what an operator would see as a problem. */
  readonly problemLines: LogLine[] = [];
  readonly tail: string[] = [];
  rawLines = 0;
  unhandledIoredis = 0;
  /** Structured lines whose message matches one of `watch` are kept with their time. */
  readonly watched: LogLine[] = [];

  constructor(private readonly watch: RegExp[] = []) {}

  add(source: string, line: string): void {
    this.tail.push(`${source} ${line.slice(0, 300)}`);
    if (this.tail.length > 80) this.tail.shift();
    let parsed: unknown;
    try {
      parsed = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || !('msg' in parsed)) {
      this.rawLines += 1;
      if (line.includes('[ioredis] Unhandled error event')) this.unhandledIoredis += 1;
      return;
    }
    const fields = parsed as Record<string, unknown>;
    const err = fields.err as { message?: unknown } | undefined;
    const entry: LogLine = {
      source,
      at: typeof fields.time === 'number' ? fields.time : Date.now(),
      level: typeof fields.level === 'number' ? fields.level : 30,
      msg: String(fields.msg),
      fields,
      ...(typeof err?.message === 'string' ? { errMessage: err.message } : {}),
    };
    this.byMessage.set(entry.msg, (this.byMessage.get(entry.msg) ?? 0) + 1);
    const own = this.bySource.get(source) ?? new Map<string, number>();
    own.set(entry.msg, (own.get(entry.msg) ?? 0) + 1);
    this.bySource.set(source, own);
    // A retryable failure the consumer retries itself, or a job BullMQ failed for good.
    if (entry.msg === 'job failed' || entry.msg === 'job failed; retrying with backoff') {
      const reason = normalizeReason(entry.errMessage ?? 'unknown');
      this.failedReasons.set(reason, (this.failedReasons.get(reason) ?? 0) + 1);
    }
    if (entry.level >= 40 && this.problemLines.length < 5000) this.problemLines.push(entry);
    if (this.watch.some((re) => re.test(entry.msg))) this.watched.push(entry);
  }

  count(msg: string): number {
    return this.byMessage.get(msg) ?? 0;
  }

  countMatching(re: RegExp): number {
    let n = 0;
    for (const [msg, c] of this.byMessage) if (re.test(msg)) n += c;
    return n;
  }
}

/** "RP-LOCK-LOST: lost lock x:w:{id}:lock while working" -> "RP-LOCK-LOST: lost lock <key> while working". */
function normalizeReason(message: string): string {
  return message
    .replace(/\{[^}]*\}/g, '{…}')
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, '<uuid>')
    .replace(/\d{3,}/g, 'N')
    .slice(0, 120);
}

export interface ConsumerEnv {
  /** REDIS_URL; without it `env` says where Redis is (REDIS_URL, or REDIS_CLUSTER_NODES for a cluster). */
  url?: string;
  prefix: string;
  env: Record<string, string>;
}

// Consumer processes still running when the harness exits are killed with it (they would otherwise
// keep retrying against a Redis that is gone).
const running = new Set<ConsumerProcess>();
process.once('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

export class ConsumerProcess {
  readonly child: ChildProcess;
  readonly spawnedAt = Date.now();
  readyAt: number | undefined;
  /** Set when the harness sent the signal, so an exit we caused is not a crash. */
  expectedExit = false;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lastLines: string[] = [];

  constructor(
    readonly name: string,
    opts: ConsumerEnv,
    logs: LogBook,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CONSUMER_SCRIPT], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...(opts.url ? { REDIS_URL: opts.url } : {}),
        RESUME_PREFIX: opts.prefix,
        LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const stderr = this.child.stderr;
    if (stderr)
      createInterface({ input: stderr }).on('line', (line) => {
        this.lastLines.push(line.slice(0, 400));
        if (this.lastLines.length > 5) this.lastLines.shift();
        logs.add(this.name, line);
      });
    running.add(this);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.once('message', () => {
        this.readyAt = Date.now();
        resolve();
      });
      void this.exited.then(({ code, signal }) =>
        reject(
          new Error(
            `consumer ${this.name} exited before it was ready (code ${code}, ${signal}): ${this.lastLines.join(' | ')}`,
          ),
        ),
      );
    });
    // A consumer killed before it was ready must not surface as an unhandled rejection.
    this.ready.catch(() => {});
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Linux process state letter: R running, S sleeping, T stopped, Z zombie. */
  state(): string | null {
    try {
      return readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? null;
    } catch {
      return null;
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (sig === 'SIGKILL' || sig === 'SIGTERM') this.expectedExit = true;
    if (this.alive) this.child.kill(sig);
  }

  /** SIGTERM (graceful stop), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.expectedExit = true;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A fixed number of consumer slots; a killed slot is refilled with a fresh process. */
export class ConsumerFleet {
  readonly slots: (ConsumerProcess | undefined)[] = [];
  readonly all: ConsumerProcess[] = [];
  /** Environment of a slot's own (a skewed clock, another Redis URL): kept across restarts. */
  private readonly slotEnv = new Map<number, Record<string, string>>();
  private spawned = 0;

  constructor(
    private readonly opts: ConsumerEnv,
    readonly logs: LogBook,
  ) {}

  async start(count: number, envOf?: (slot: number) => Record<string, string> | undefined): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, i) => this.spawn(i, envOf?.(i))));
  }

  /** Starts a process in `slot`; `extraEnv`, when given, stays the slot's for later restarts. */
  async spawn(slot: number, extraEnv?: Record<string, string>): Promise<ConsumerProcess> {
    if (extraEnv) this.slotEnv.set(slot, extraEnv);
    this.spawned += 1;
    const proc = new ConsumerProcess(
      `c${slot}#${this.spawned}`,
      { ...this.opts, env: { ...this.opts.env, ...this.slotEnv.get(slot) } },
      this.logs,
    );
    this.slots[slot] = proc;
    this.all.push(proc);
    await proc.ready;
    return proc;
  }

  /** SIGKILL the process in `slot` and start a replacement; resolves when the replacement is ready. */
  async killAndRestart(slot: number): Promise<{ killedAt: number; pid: number; readyAfterMs: number }> {
    const victim = this.slots[slot];
    const killedAt = Date.now();
    if (victim) {
      victim.signal('SIGKILL');
      await victim.exited;
    }
    const next = await this.spawn(slot);
    return { killedAt, pid: victim?.pid ?? -1, readyAfterMs: (next.readyAt ?? Date.now()) - killedAt };
  }

  /** Processes that exited without the harness asking them to. */
  crashed(): ConsumerProcess[] {
    return this.all.filter((p) => !p.alive && !p.expectedExit);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((p) => p.stop()));
  }
}

/** Polls until `probe` is truthy or `timeoutMs` passed; returns the value or undefined. */
export async function until<T>(
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs: number,
  everyMs = 100,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(everyMs);
  }
}
