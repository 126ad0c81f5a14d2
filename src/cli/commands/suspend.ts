// `suspend`: parks a running worker, optionally with a timeout. --timeout-ms/--on-timeout are a
// shorthand for conditions.timeout and merge into --conditions; the producer validates the result.

import type { JsonObject, JsonValue } from '../../lib/policy/types.js';
import type { SuspendInput } from '../../producers/types.js';
import { type FlagValues, intFlag, jsonFlag, positionalArgs, stringFlag, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatSummary } from '../format.js';

export const suspendCommand: Command = {
  name: 'suspend',
  help: `Usage: resume-processor suspend ID [--reason R] [--initiator I] [--timeout-ms MS]
                                [--on-timeout ACTION] [--conditions JSON] [--input-schema JSON] [--json]

Suspends a running worker and prints its summary. Suspending a suspended worker is a no-op.

  --reason R            why the worker is parked
  --initiator I         self | parent | operator (default) | triggered
  --timeout-ms MS       arm a timeout: conditions.timeout.duration_ms
  --on-timeout ACTION   resume_with_summary (default) | fail | resume_with_input
  --conditions JSON     resume conditions: {"timeout":{...},"trigger":{...},"on_event":"topic"}
  --input-schema JSON   a JSON Schema the resume input must match (else RP-INPUT-SCHEMA; timeouts
                        are not checked)

Example:
  resume-processor suspend reviewer-42 --reason "waiting for review" --timeout-ms 60000 --on-timeout fail`,
  flags: {
    reason: { type: 'string' },
    initiator: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'on-timeout': { type: 'string' },
    conditions: { type: 'string' },
    'input-schema': { type: 'string' },
  },
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const input: SuspendInput = {};
    const reason = stringFlag(ctx.flags, 'reason');
    if (reason !== undefined) input.reason = reason;
    const initiator = stringFlag(ctx.flags, 'initiator');
    // The producer's zod schema names the allowed initiators; the cast only carries the text there.
    if (initiator !== undefined) input.initiator = initiator as NonNullable<SuspendInput['initiator']>;
    const conditions = buildConditions(ctx.flags);
    if (conditions !== undefined) input.conditions = conditions;
    const schema = jsonFlag(ctx.flags, 'input-schema');
    if (schema !== undefined) input.inputSchema = schema;
    const worker = await ctx.producer().suspend(id, input);
    return { document: worker, human: formatSummary(worker) };
  },
};

export function buildConditions(flags: FlagValues): JsonValue | undefined {
  const given = jsonFlag(flags, 'conditions');
  const durationMs = intFlag(flags, 'timeout-ms');
  const onTimeout = stringFlag(flags, 'on-timeout');
  if (durationMs === undefined && onTimeout === undefined) return given;
  if (given !== undefined && given !== null && !isObject(given)) {
    throw new UsageError(
      '--conditions must be a JSON object to combine with --timeout-ms/--on-timeout',
      '--conditions',
    );
  }
  const base: JsonObject = isObject(given) ? { ...given } : {};
  const timeout: JsonObject = isObject(base.timeout) ? { ...base.timeout } : {};
  if (durationMs !== undefined) timeout.duration_ms = durationMs;
  if (onTimeout !== undefined) timeout.on_timeout = onTimeout;
  base.timeout = timeout;
  return base;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
