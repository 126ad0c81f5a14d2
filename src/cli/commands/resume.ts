// `resume`: enqueues a resume request. Without --wait it prints the job id; with --wait it waits
// for the consumer's outcome, which is what ResumeTicket.result() returns.

import type { JsonValue } from '../../lib/policy/types.js';
import { boolFlag, intFlag, jsonFlag, positionalArgs, stringFlag, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatOutcome } from '../format.js';
import { EXIT } from '../output.js';

export const resumeCommand: Command = {
  name: 'resume',
  help: `Usage: resume-processor resume ID [--input TEXT | --options JSON]
                               [--continue-transcript true|false] [--key K | --early-ttl MS]
                               [--wait MS] [--json]

Enqueues a resume request for a consumer. Prints {"jobId","workerId"}, or with --wait the outcome:
{"outcome":"resumed"|"blocked"|"rejected"|"expired","worker",...,"respawnJobId"?,"error"?}.

  --input TEXT                   the resume input (text)
  --options JSON                 Harn resume options or input: {"input":...,"continue_transcript":false,
                                 "initiator":"parent"}; a JSON value without those keys is the input itself
  --continue-transcript BOOL     keep the transcript (true) or replace it by a digest (false)
  --key K                        idempotency key: the same key for the same worker reuses the first request
  --early-ttl MS                 if the worker is still running, keep the request for its next suspension
                                 (within MS ms) instead of refusing it; that suspension is resumed at once
                                 and its timeout is not armed; past MS the outcome is "expired"
  --wait MS                      wait up to MS milliseconds for the outcome (needs a running consumer)

Exit codes with --wait: 0 resumed, 2 rejected (e.g. HARN-SUS-003, HARN-SUS-010) or expired, 3 blocked
by a hook, 1 no outcome in time (RP-TIMEOUT).

Example:
  resume-processor resume reviewer-42 --input "the review was approved" --wait 10000 --json`,
  flags: {
    input: { type: 'string' },
    options: { type: 'string' },
    'continue-transcript': { type: 'string' },
    key: { type: 'string' },
    'early-ttl': { type: 'string' },
    wait: { type: 'string' },
  },
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const input = stringFlag(ctx.flags, 'input');
    const options = jsonFlag(ctx.flags, 'options');
    if (input !== undefined && options !== undefined) {
      throw new UsageError('give either --input or --options, not both', '--options');
    }
    const inputOrOptions: JsonValue | undefined = input ?? options;
    const continueTranscript = boolFlag(ctx.flags, 'continue-transcript');
    const key = stringFlag(ctx.flags, 'key');
    const waitMs = intFlag(ctx.flags, 'wait', 0);
    const earlyTtlMs = intFlag(ctx.flags, 'early-ttl', 1);
    if (key !== undefined && earlyTtlMs !== undefined) {
      throw new UsageError('give either --key or --early-ttl, not both', '--early-ttl');
    }

    const ticket = await ctx
      .producer()
      .resume(
        id,
        inputOrOptions,
        continueTranscript ?? null,
        key !== undefined
          ? { idempotencyKey: key }
          : earlyTtlMs !== undefined
            ? { early: { ttlMs: earlyTtlMs } }
            : {},
      );
    if (waitMs === undefined) {
      const document = { jobId: ticket.jobId, workerId: ticket.workerId };
      return { document, human: `resume requested: job ${ticket.jobId} for ${ticket.workerId}` };
    }
    const outcome = await ticket.result({ timeoutMs: waitMs });
    const exitCode =
      outcome.outcome === 'rejected' || outcome.outcome === 'expired'
        ? EXIT.rejected
        : outcome.outcome === 'blocked'
          ? EXIT.blocked
          : EXIT.ok;
    return { document: outcome, human: formatOutcome(outcome), exitCode };
  },
};
