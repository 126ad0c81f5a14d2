// The producer's suspend (Harn §2a): validate, run PreSuspend (a block leaves the worker as it
// is), commit the suspension through the kernel with the early resumes waiting in the worker's
// inbox, then run PostSuspend once the suspension stands.

import { randomUUID } from 'node:crypto';
import { RpCode, ValidationError } from '../lib/errors.js';
import { schemaIssues, schemaProblem } from '../lib/input-schema.js';
import type { Logger } from '../lib/logger.js';
import { parseResumeConditions } from '../lib/policy/conditions.js';
import { unknownWorker } from '../lib/policy/messages.js';
import { summarize } from '../lib/policy/summary.js';
import { decideSuspend } from '../lib/policy/suspend.js';
import type { JsonValue, WorkerRecord, WorkerSummary } from '../lib/policy/types.js';
import { WorkerIdSchema } from '../lib/queues/catalog.js';
import type { Applied, Kernel } from '../lib/store/kernel.js';
import type { SuspendSpan } from '../observability/tracing.js';
import { runPostSuspend, runPreSuspend, type SuspendHooks } from './suspend-hooks.js';
import type { SuspendInput } from './types.js';
import { parseInput, SuspendSchema } from './validation.js';

export interface SuspendDeps {
  kernel: Kernel;
  hooks: SuspendHooks;
  logger: Logger;
}

/** The record a change left, or the refusal it met, thrown. */
export function recordOf<Info>(applied: Applied<Info>): WorkerRecord | null {
  if (applied.kind === 'rejected') throw applied.error;
  if (applied.kind === 'replayed') return null;
  return applied.record;
}

export async function mustRead(kernel: Kernel, id: string): Promise<WorkerRecord> {
  const snapshot = await kernel.store.read(id);
  if (!snapshot) throw unknownWorker(id);
  return snapshot.record;
}

export async function suspendWorker(
  deps: SuspendDeps,
  workerId: string,
  input: SuspendInput,
  span: SuspendSpan,
): Promise<WorkerSummary> {
  const id = parseInput(WorkerIdSchema, workerId, 'workerId');
  const v = parseInput(SuspendSchema, input, 'options');
  const conditions = parseResumeConditions(v.conditions);
  const schemaIssue = v.inputSchema === undefined ? null : schemaProblem(v.inputSchema);
  if (schemaIssue)
    throw new ValidationError(RpCode.InvalidInput, `invalid options: options.inputSchema ${schemaIssue}`, [
      { path: 'options.inputSchema', message: schemaIssue },
    ]);
  const initiator = v.initiator ?? 'operator';
  // Harn runs PreSuspend before any status check; a block leaves the worker as it is.
  const pre = await runPreSuspend(deps.hooks, {
    event: 'PreSuspend',
    worker: { id },
    reason: v.reason ?? '',
    initiator,
    conditions: v.conditions ?? null,
  });
  if (pre.kind === 'block')
    return { ...summarize(await mustRead(deps.kernel, id)), pre_suspend_denied: pre.reason };
  const fitsSchema = (input: JsonValue) =>
    v.inputSchema === undefined || schemaIssues(v.inputSchema, input).length === 0;
  const request = {
    reason: pre.reason,
    initiator,
    rawConditions: v.conditions ?? null,
    conditions,
    ...(v.suspendedAtTurn === undefined ? {} : { suspendedAtTurn: v.suspendedAtTurn }),
    ...(v.expectVersion === undefined ? {} : { expectVersion: v.expectVersion }),
    ...(v.inputSchema === undefined ? {} : { inputSchema: v.inputSchema }),
    triggerUnique: randomUUID().replace(/-/g, ''),
  };
  // The worker's inbox is read with the record: early resumes waiting there are taken by this
  // suspension (an input the schema refuses does not stop its timeout from being armed).
  const applied = await deps.kernel.apply(
    id,
    (r, now, inbox) => {
      const early = inbox.map((e) => ({
        jobId: e.jobId,
        expiresAtMs: e.expiresAtMs,
        fits: fitsSchema(e.input),
      }));
      return span.decided(id, decideSuspend(r, id, { ...request, early }, now));
    },
    { inbox: true },
  );
  const record = recordOf(applied) as WorkerRecord;
  if (applied.kind === 'committed') {
    await runPostSuspend(
      deps.hooks,
      { event: 'PostSuspend', worker: { id }, reason: pre.reason, snapshot_path: record.snapshot_path },
      deps.logger,
    );
  }
  return summarize(record);
}
