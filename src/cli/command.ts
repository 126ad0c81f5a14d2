// The shape of one CLI command: its flags, its help text and a run function that returns what to
// print. Commands never write to stdout themselves, so `--json` always yields exactly one document.

import type { Env } from '../lib/config.js';
import type { Producer } from '../producers/types.js';
import type { FlagSpec, FlagValues } from './args.js';
import type { WorkerReader } from './worker-reader.js';

export interface CliContext {
  flags: FlagValues;
  positionals: string[];
  env: Env;
  json: boolean;
  /** A producer on REDIS_URL / RESUME_PREFIX, created on first use and disconnected by main. */
  producer(): Producer;
  /** The worker reader of a `readsOnly` command, created on first use and disconnected by main. */
  reader(): Promise<WorkerReader>;
}

export interface CommandResult {
  /** The one JSON document printed with --json. */
  document: unknown;
  /** What a person reads without --json (stdout). */
  human: string;
  exitCode?: number;
  /** Long-running commands (consumer) keep the process alive after printing. */
  keepAlive?: boolean;
}

export interface Command {
  /** As in the command table (commands/index.ts), which also holds its one-line summary. */
  name: string;
  /** Full `--help` text of the command. */
  help: string;
  flags: FlagSpec;
  /** It only reads a worker (ctx.reader()): main loads no producer for it, so it starts faster. */
  readsOnly?: boolean;
  run(ctx: CliContext): Promise<CommandResult>;
}
