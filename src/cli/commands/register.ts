// `register`: creates a running worker. The producer validates every field (mode, id pattern).

import type { RegisterWorkerInput } from '../../producers/types.js';
import { positionalArgs, requiredFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { formatSummary } from '../format.js';

export const registerCommand: Command = {
  name: 'register',
  help: `Usage: resume-processor register --name NAME --task TASK [--id ID] [--mode MODE] [--json]

Creates a running worker and prints its summary.

  --name NAME   worker name (required)
  --task TASK   the worker's task text (required)
  --id ID       worker id (default: worker_<uuid>); 1-128 of A-Z a-z 0-9 _ . -
  --mode MODE   workflow | stage | sub_agent (default) | delegated_stage | top_level_agent

Example:
  resume-processor register --name reviewer --task "review PR 42" --id reviewer-42 --json`,
  flags: {
    name: { type: 'string' },
    task: { type: 'string' },
    id: { type: 'string' },
    mode: { type: 'string' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const input: RegisterWorkerInput = {
      name: requiredFlag(ctx.flags, 'name'),
      task: requiredFlag(ctx.flags, 'task'),
    };
    const id = stringFlag(ctx.flags, 'id');
    if (id !== undefined) input.id = id;
    const mode = stringFlag(ctx.flags, 'mode');
    // The producer's zod schema names the allowed modes; the cast only carries the text there.
    if (mode !== undefined) input.mode = mode as NonNullable<RegisterWorkerInput['mode']>;
    const worker = await ctx.producer().registerWorker(input);
    return { document: worker, human: formatSummary(worker) };
  },
};
