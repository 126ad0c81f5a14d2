// `event`: delivers an external event; every worker suspended with a matching trigger (or on_event
// topic) gets a resume request with the event payload as input, initiator `triggered`.

import type { DeliverEventInput } from '../../producers/types.js';
import { intFlag, jsonFlag, positionalArgs, requiredFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { formatOutcome } from '../format.js';

export const eventCommand: Command = {
  name: 'event',
  help: `Usage: resume-processor event --provider P --kind K --id ID [--payload JSON]
                              [--dedupe-key KEY] [--wait MS] [--json]

Enqueues one resume request per worker suspended with a matching trigger or on_event topic (= K).
Prints {"requests":[{"jobId","workerId"}]}, or with --wait {"outcomes":[...]}. Delivering the same
event (provider + id) twice does not enqueue a second request for the same suspension.
A rejected outcome is normal here (another winner came first) and does not change the exit code.

  --provider P       event source, e.g. github
  --kind K           event kind = the topic workers wait on, e.g. pull_request.review_approved
  --id ID            the event's id at its provider
  --payload JSON     the event payload; it becomes the resume input
  --dedupe-key KEY   dedupe key recorded in the trigger event (default provider:kind:id)
  --wait MS          wait up to MS milliseconds for every outcome

Example:
  resume-processor event --provider github --kind pull_request.review_approved --id 991 \\
    --payload '{"pr":42,"state":"approved"}' --wait 10000`,
  flags: {
    provider: { type: 'string' },
    kind: { type: 'string' },
    id: { type: 'string' },
    payload: { type: 'string' },
    'dedupe-key': { type: 'string' },
    wait: { type: 'string' },
  },
  async run(ctx) {
    positionalArgs(ctx.positionals, []);
    const event: DeliverEventInput = {
      provider: requiredFlag(ctx.flags, 'provider'),
      kind: requiredFlag(ctx.flags, 'kind'),
      id: requiredFlag(ctx.flags, 'id'),
    };
    const payload = jsonFlag(ctx.flags, 'payload');
    if (payload !== undefined) event.payload = payload;
    const dedupeKey = stringFlag(ctx.flags, 'dedupe-key');
    if (dedupeKey !== undefined) event.dedupe_key = dedupeKey;
    const waitMs = intFlag(ctx.flags, 'wait', 0);

    const tickets = await ctx.producer().deliverEvent(event);
    if (waitMs === undefined) {
      const requests = tickets.map((t) => ({ jobId: t.jobId, workerId: t.workerId }));
      const human =
        requests.length === 0
          ? 'no worker waits for this event'
          : requests.map((r) => `resume requested: job ${r.jobId} for ${r.workerId}`).join('\n');
      return { document: { requests }, human };
    }
    const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: waitMs })));
    const human =
      outcomes.length === 0 ? 'no worker waits for this event' : outcomes.map(formatOutcome).join('\n');
    return { document: { outcomes }, human };
  },
};
