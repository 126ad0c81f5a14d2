// The command table: the order here is the order of the usage text. Each entry holds what the
// usage text needs (name and summary) and loads its module only when that command runs, so
// `--help` and a one-shot command never load what other commands use (fastify for serve, the
// consumer's workers, the demo's redis-server).

import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  /** One line for the overall usage text. */
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'register',
    summary: 'register a running worker',
    load: async () => (await import('./register.js')).registerCommand,
  },
  {
    name: 'suspend',
    summary: 'suspend a running worker (optionally with a timeout)',
    load: async () => (await import('./suspend.js')).suspendCommand,
  },
  {
    name: 'resume',
    summary: 'request a resume (and optionally wait for its outcome)',
    load: async () => (await import('./resume.js')).resumeCommand,
  },
  {
    name: 'event',
    summary: 'deliver an external event to the workers waiting for it',
    load: async () => (await import('./event.js')).eventCommand,
  },
  {
    name: 'extend',
    summary: "move a suspended worker's timeout (later or sooner)",
    load: async () => (await import('./wait.js')).extendCommand,
  },
  {
    name: 'cancel-wait',
    summary: "disarm a suspended worker's timeout and/or trigger; it stays suspended",
    load: async () => (await import('./wait.js')).cancelWaitCommand,
  },
  {
    name: 'close',
    summary: 'cancel a worker (any status); later resumes get HARN-SUS-010',
    load: async () => (await import('./close.js')).closeCommand,
  },
  {
    name: 'resume-many',
    summary: 'resume every suspended worker a filter matches, one request each',
    load: async () => (await import('./batches.js')).resumeManyCommand,
  },
  {
    name: 'close-many',
    summary: 'close every worker a filter matches, one by one',
    load: async () => (await import('./batches.js')).closeManyCommand,
  },
  {
    name: 'status',
    summary: "print a worker's summary",
    load: async () => (await import('./inspect.js')).statusCommand,
  },
  {
    name: 'list',
    summary: 'list workers, a page at a time, by status, reason, suspension time or deadline',
    load: async () => (await import('./inspect.js')).listCommand,
  },
  {
    name: 'import',
    summary: 'import Harn worker_snapshot files (a file or a directory of *.json)',
    load: async () => (await import('./snapshots.js')).importCommand,
  },
  {
    name: 'export',
    summary: 'write a worker as a Harn worker_snapshot file',
    load: async () => (await import('./snapshots.js')).exportCommand,
  },
  {
    name: 'consumer',
    summary: 'run a consumer: takes resume and timeout jobs until SIGTERM/SIGINT',
    load: async () => (await import('./consumer.js')).consumerCommand,
  },
  {
    name: 'serve',
    summary: 'run the HTTP API (workers, resumes, resume links, webhooks) until SIGTERM/SIGINT',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'demo',
    summary: 'run a local demo with several consumers and check the guarantees',
    load: async () => (await import('./demo.js')).demoCommand,
  },
];

/** The command called `name`, loaded; undefined for an unknown name. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  return COMMANDS.find((c) => c.name === name)?.load();
}
