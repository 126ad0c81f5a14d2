// `close`: cancels a worker in any status (or stops it with --graceful). Closing twice is a no-op.

import { positionalArgs } from '../args.js';
import type { Command } from '../command.js';
import { formatSummary } from '../format.js';

export const closeCommand: Command = {
  name: 'close',
  help: `Usage: resume-processor close ID [--graceful] [--json]

Moves the worker to cancelled (or stopped with --graceful), disarms its timeout and triggers, and
prints its summary. Closing a closed worker changes nothing. A resume after close is rejected with
HARN-SUS-010.

Example:
  resume-processor close reviewer-42 --json`,
  flags: { graceful: { type: 'boolean' } },
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const worker = await ctx.producer().close(id, { graceful: ctx.flags.graceful === true });
    return { document: worker, human: formatSummary(worker) };
  },
};
