// `status` and `list`: read-only views of worker records.

import { unknownWorker } from '../../lib/policy/messages.js';
import type { ListFilter } from '../../producers/listing.js';
import { type FlagValues, intFlag, positionalArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { formatList, formatQuarantined, formatSummary } from '../format.js';

export const statusCommand: Command = {
  name: 'status',
  help: `Usage: resume-processor status ID [--json]

Prints the worker's summary: status, version, history, suspension (reason, initiator, epoch,
deadline_ms when a timeout is armed), latest_error and the continuity of the last resume.
An unknown id is an error (RP-UNKNOWN-WORKER).

Example:
  resume-processor status reviewer-42 --json`,
  flags: {},
  readsOnly: true,
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const worker = await (await ctx.reader()).getWorker(id);
    if (!worker) throw unknownWorker(id);
    return { document: worker, human: formatSummary(worker) };
  },
};

/** The listing filters as flags (list, resume-many, close-many). */
export const FILTER_FLAGS = {
  status: { type: 'string' },
  reason: { type: 'string' },
  'suspended-before': { type: 'string' },
  'suspended-after': { type: 'string' },
  'deadline-before': { type: 'string' },
  overdue: { type: 'boolean' },
  'order-by': { type: 'string' },
} as const;

/** The filter the flags name (fields left out when their flag is absent; the producer validates). */
export function filterFromFlags(flags: FlagValues): Record<string, unknown> {
  const time = (name: string) => {
    const v = stringFlag(flags, name);
    return v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v;
  };
  const filter: Record<string, unknown> = {
    status: stringFlag(flags, 'status'),
    reason: stringFlag(flags, 'reason'),
    suspendedBefore: time('suspended-before'),
    suspendedAfter: time('suspended-after'),
    deadlineBefore: time('deadline-before'),
    overdue: flags.overdue === true ? true : undefined,
    orderBy: stringFlag(flags, 'order-by'),
  };
  for (const key of Object.keys(filter)) if (filter[key] === undefined) delete filter[key];
  return filter;
}

export const listCommand: Command = {
  name: 'list',
  help: `Usage: resume-processor list [filters] [--limit N] [--cursor C] [--json]

Lists worker summaries from the indexes, oldest first: by when each entered its status (a
suspended worker: when it was suspended), or by deadline. Prints one page; when there are more,
the last line (or "nextCursor" with --json) is the cursor to pass back with the same filters.
With --json prints {"count","workers":[...],"nextCursor"}.

  --status STATUS           running | suspended | completed | failed | cancelled | stopped | interrupted
  --reason TEXT             suspended workers parked with this reason
  --suspended-before TIME   suspended before TIME (ISO-8601 or epoch ms; exclusive)
  --suspended-after TIME    suspended after TIME (exclusive)
  --deadline-before TIME    suspended with a timeout due before TIME, soonest first
  --overdue                 suspended workers whose timeout was due more than RECONCILE_INTERVAL_MS
                            ago and did not fire (should be empty: an alarm)
  --order-by since|deadline order (default since; deadline with --deadline-before/--overdue)
  --limit N                 workers per page, 1-1000 (default 100)
  --cursor C                the next page of an earlier listing
  --quarantined             jobs quarantined as poison instead (their consumer died POISON_JOB_DEATHS
                            times running them; RP-POISON-JOB): queue, job id, worker id, deaths, when

Examples:
  resume-processor list --status suspended
  resume-processor list --reason "needs approval" --suspended-before 2026-12-01T00:00:00Z --json
  resume-processor list --overdue
  resume-processor list --quarantined --json`,
  flags: {
    ...FILTER_FLAGS,
    limit: { type: 'string' },
    cursor: { type: 'string' },
    quarantined: { type: 'boolean' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    if (ctx.flags.quarantined === true) {
      const limit = intFlag(ctx.flags, 'limit');
      const jobs = await ctx.producer().listQuarantined(limit === undefined ? {} : { limit });
      return {
        document: { count: jobs.length, quarantined: jobs },
        human: formatQuarantined(jobs),
      };
    }
    const filter: Record<string, unknown> = {
      ...filterFromFlags(ctx.flags),
      limit: intFlag(ctx.flags, 'limit'),
      cursor: stringFlag(ctx.flags, 'cursor'),
    };
    for (const key of Object.keys(filter)) if (filter[key] === undefined) delete filter[key];
    // The producer's zod schema checks every field (and names the flag's field in its error).
    const page = await ctx.producer().listWorkers(filter as ListFilter);
    const more = page.nextCursor ? `\nmore: --cursor ${page.nextCursor}` : '';
    return {
      document: { count: page.items.length, workers: page.items, nextCursor: page.nextCursor },
      human: formatList(page.items) + more,
    };
  },
};
