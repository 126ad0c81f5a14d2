// `status` and `list`: read-only views of worker records.

import { unknownWorker } from '../../lib/policy/messages.js';
import type { WorkerStatus } from '../../lib/policy/types.js';
import { positionalArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { formatList, formatSummary } from '../format.js';

export const statusCommand: Command = {
  name: 'status',
  summary: "print a worker's summary",
  help: `Usage: resume-processor status ID [--json]

Prints the worker's summary: status, version, history, suspension (reason, initiator, epoch,
deadline_ms when a timeout is armed), latest_error and the continuity of the last resume.
An unknown id is an error (RP-UNKNOWN-WORKER).

Example:
  resume-processor status reviewer-42 --json`,
  flags: {},
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const worker = await ctx.producer().getWorker(id);
    if (!worker) throw unknownWorker(id);
    return { document: worker, human: formatSummary(worker) };
  },
};

export const listCommand: Command = {
  name: 'list',
  summary: 'list workers (optionally by status)',
  help: `Usage: resume-processor list [--status STATUS] [--json]

Lists worker summaries sorted by id; prints {"count","workers":[...]} with --json.

  --status STATUS   running | suspended | completed | failed | cancelled | stopped | interrupted

Example:
  resume-processor list --status suspended`,
  flags: { status: { type: 'string' } },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const status = stringFlag(ctx.flags, 'status');
    // The producer's zod schema names the allowed statuses; the cast only carries the text there.
    const workers = await ctx
      .producer()
      .listWorkers(status === undefined ? {} : { status: status as WorkerStatus });
    return { document: { count: workers.length, workers }, human: formatList(workers) };
  },
};
