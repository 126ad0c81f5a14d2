// `extend` and `cancel-wait`: change what a suspended worker waits for, without resuming it.

import { positionalArgs, stringFlag, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatSummary } from '../format.js';

export const extendCommand: Command = {
  name: 'extend',
  help: `Usage: resume-processor extend ID (--by MS | --until TIME) [--expect-epoch N] [--json]

Moves the deadline of the armed timeout of the worker's current suspension and prints its
summary. --by adds MS milliseconds to the current deadline (negative: sooner); --until sets it
(ISO-8601 or epoch ms). A deadline in the past fires at once. Refused with HARN-SUS-003 when the
worker is not suspended (its timeout already fired, say) or, with --expect-epoch, is in another
suspension; with RP-NO-TIMEOUT when no timeout is armed.

Examples:
  resume-processor extend reviewer-42 --by 3600000
  resume-processor extend reviewer-42 --until 2026-12-24T09:00:00Z --json`,
  flags: { by: { type: 'string' }, until: { type: 'string' }, 'expect-epoch': { type: 'string' } },
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const by = stringFlag(ctx.flags, 'by');
    const until = stringFlag(ctx.flags, 'until');
    if ((by === undefined) === (until === undefined))
      throw new UsageError('extend needs exactly one of --by MS and --until TIME', '--by');
    let change: { byMs: number } | { until: number | string };
    if (by !== undefined) {
      if (!/^-?\d+$/.test(by))
        throw new UsageError(`--by must be an integer number of ms: got "${by}"`, '--by');
      change = { byMs: Number(by) };
    } else {
      change = { until: /^\d+$/.test(until as string) ? Number(until) : (until as string) };
    }
    const epoch = stringFlag(ctx.flags, 'expect-epoch');
    if (epoch !== undefined && !/^\d+$/.test(epoch))
      throw new UsageError(`--expect-epoch must be a positive integer: got "${epoch}"`, '--expect-epoch');
    const worker = await ctx
      .producer()
      .extendTimeout(id, change, epoch === undefined ? {} : { expectEpoch: Number(epoch) });
    return { document: worker, human: formatSummary(worker) };
  },
};

export const cancelWaitCommand: Command = {
  name: 'cancel-wait',
  help: `Usage: resume-processor cancel-wait ID [--timeout] [--trigger] [--json]

Disarms the timeout (--timeout), the event trigger (--trigger) or both (neither flag) of the
worker's current suspension and prints its summary. The worker stays suspended for an operator to
resume or close. Cancelling what is already disarmed changes nothing. HARN-SUS-003 when the
worker is not suspended.

Example:
  resume-processor cancel-wait reviewer-42 --timeout`,
  flags: { timeout: { type: 'boolean' }, trigger: { type: 'boolean' } },
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const conditions = (['timeout', 'trigger'] as const).filter((c) => ctx.flags[c] === true);
    const worker = await ctx.producer().cancelWait(id, conditions.length > 0 ? { conditions } : {});
    return { document: worker, human: formatSummary(worker) };
  },
};
