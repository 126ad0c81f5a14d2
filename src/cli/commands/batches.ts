// `resume-many` and `close-many`: one request per worker the listing filters match, with a
// progress bar on a terminal and a summary; `--dry-run` lists what would be touched.

import type { ResumeOutcome } from '../../lib/policy/types.js';
import type { BatchFilter } from '../../producers/batches.js';
import { boolFlag, intFlag, jsonFlag, positionalArgs, stringFlag, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { progressBar, table } from '../format.js';
import { EXIT } from '../output.js';
import { FILTER_FLAGS, filterFromFlags } from './inspect.js';

const FILTER_HELP = `Filters (as for list): --status, --reason TEXT, --suspended-before TIME,
--suspended-after TIME, --deadline-before TIME, --overdue, --order-by since|deadline.`;

const countBy = <T>(items: readonly T[], key: (t: T) => string) => {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
};

/** What a --dry-run prints: the workers the batch would touch. */
const dryRunReport = (result: { matched: number; workerIds: string[] }, verb: string) => ({
  document: { matched: result.matched, workerIds: result.workerIds, dryRun: true },
  human: `${result.matched} workers would be ${verb}:\n${result.workerIds.join('\n')}`,
});

const summaryTable = (counts: Record<string, number>) =>
  table(
    ['RESULT', 'WORKERS'],
    Object.entries(counts).map(([k, n]) => [k, String(n)]),
  );

export const resumeManyCommand: Command = {
  name: 'resume-many',
  help: `Usage: resume-processor resume-many [filters] (--input TEXT | --options JSON)
         [--continue-transcript true|false] [--key K] [--wait MS] [--concurrency N] [--dry-run] [--json]

Takes the suspended workers the filters match (all of them without filters) and sends each its
own resume request, as resume would one by one: every worker gets its own job and outcome, and
one winner still holds per worker. With --wait, waits for every outcome and counts them.
--key gives every request the same idempotency key (keys are per worker), so a batch sent again
resumes nobody twice. --dry-run only lists the workers. A progress bar shows on a terminal.
${FILTER_HELP}

Examples:
  resume-processor resume-many --reason "needs approval" --input "approved" --dry-run
  resume-processor resume-many --suspended-before 2026-12-01T00:00:00Z --input "go on" --wait 60000`,
  flags: {
    ...FILTER_FLAGS,
    input: { type: 'string' },
    options: { type: 'string' },
    'continue-transcript': { type: 'string' },
    key: { type: 'string' },
    wait: { type: 'string' },
    concurrency: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const input = stringFlag(ctx.flags, 'input');
    const options = jsonFlag(ctx.flags, 'options');
    if (input !== undefined && options !== undefined)
      throw new UsageError('give either --input or --options, not both', '--options');
    const waitMs = intFlag(ctx.flags, 'wait', 0);
    const dryRun = ctx.flags['dry-run'] === true;
    const key = stringFlag(ctx.flags, 'key');
    const concurrency = intFlag(ctx.flags, 'concurrency');
    const result = await ctx
      .producer()
      .resumeMany(
        filterFromFlags(ctx.flags) as BatchFilter,
        input ?? options,
        boolFlag(ctx.flags, 'continue-transcript') ?? null,
        {
          dryRun,
          ...(key === undefined ? {} : { idempotencyKey: key }),
          ...(concurrency === undefined ? {} : { concurrency }),
          ...(ctx.json || dryRun ? {} : { onProgress: progressBar() }),
        },
      );
    if (dryRun) return dryRunReport(result, 'resumed');
    let outcomes: ResumeOutcome[] = [];
    if (waitMs !== undefined)
      outcomes = await Promise.all(result.requests.map((t) => t.result({ timeoutMs: waitMs })));
    const counts = {
      ...(waitMs === undefined
        ? { requested: result.requests.length }
        : countBy(outcomes, (o) => (o.outcome === 'rejected' ? `rejected ${o.error.code}` : o.outcome))),
      ...countBy(result.refused, (r) => `refused ${r.error.code}`),
    };
    const document = {
      matched: result.matched,
      requests: result.requests.map((t) => ({ jobId: t.jobId, workerId: t.workerId })),
      refused: result.refused,
      ...(waitMs === undefined ? {} : { outcomes }),
      counts,
    };
    const failed = result.refused.length > 0 || outcomes.some((o) => o.outcome !== 'resumed');
    return {
      document,
      human: `${result.matched} workers matched\n${summaryTable(counts)}`,
      ...(failed ? { exitCode: EXIT.rejected } : {}),
    };
  },
};

export const closeManyCommand: Command = {
  name: 'close-many',
  help: `Usage: resume-processor close-many [filters] [--graceful] [--concurrency N] [--dry-run] [--json]

Closes (cancels, or stops with --graceful) every worker the filters match, each as close would.
A filter is required (to close everything, say --status explicitly per status). --dry-run only
lists the workers. A progress bar shows on a terminal.
${FILTER_HELP}

Example:
  resume-processor close-many --overdue --dry-run`,
  flags: {
    ...FILTER_FLAGS,
    graceful: { type: 'boolean' },
    concurrency: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const filter = filterFromFlags(ctx.flags);
    if (Object.keys(filter).length === 0)
      throw new UsageError('close-many needs at least one filter (e.g. --status suspended)', '--status');
    const dryRun = ctx.flags['dry-run'] === true;
    const concurrency = intFlag(ctx.flags, 'concurrency');
    const result = await ctx.producer().closeMany(filter as BatchFilter, {
      dryRun,
      graceful: ctx.flags.graceful === true,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(ctx.json || dryRun ? {} : { onProgress: progressBar() }),
    });
    if (dryRun) return dryRunReport(result, 'closed');
    const counts = {
      ...countBy(result.closed, (w) => w.status),
      ...countBy(result.refused, (r) => `refused ${r.error.code}`),
    };
    return {
      document: {
        matched: result.matched,
        closed: result.closed.map((w) => w.id),
        refused: result.refused,
        counts,
      },
      human: `${result.matched} workers matched\n${summaryTable(counts)}`,
      ...(result.refused.length > 0 ? { exitCode: EXIT.rejected } : {}),
    };
  },
};
