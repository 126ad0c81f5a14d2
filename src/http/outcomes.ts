// Resume requests as HTTP answers: 202 with the job id, or (with ?wait_ms) 200 with the outcome in
// snake_case; a rejected outcome is the rejection's problem (HARN-SUS-003 → 409, ...).

import type { ErrorCode } from '../lib/errors.js';
import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import type { ResumeOutcome } from '../lib/policy/types.js';
import type { ResumeTicket } from '../producers/types.js';

/** A summary (or outcome) as the loose response object its schema documents. */
export const loose = <T extends object>(value: T) => value as T & Record<string, unknown>;

export const ticketOut = (t: Pick<ResumeTicket, 'jobId' | 'workerId'>) => ({
  job_id: t.jobId,
  worker_id: t.workerId,
});

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The outcome with its own fields in snake_case (the worker summary already is). */
export function outcomeOut(jobId: string, outcome: ResumeOutcome) {
  const out: Record<string, unknown> & { job_id: string; outcome: string } = {
    job_id: jobId,
    outcome: outcome.outcome,
  };
  for (const [key, value] of Object.entries(outcome)) out[snake(key)] = value;
  return out;
}

/** The outcome within `waitMs`, or null when it is not there yet. */
export async function outcomeWithin(ticket: ResumeTicket, waitMs: number): Promise<ResumeOutcome | null> {
  try {
    return await ticket.result({ timeoutMs: waitMs });
  } catch (err) {
    if (err instanceof ResumeProcessorError && err.code === RpCode.Timeout) return null;
    throw err;
  }
}

/** A rejected outcome as the error it carries (the error handler answers with its status). */
export function rejection(outcome: Extract<ResumeOutcome, { outcome: 'rejected' }>): ResumeProcessorError {
  const { code, message, details } = outcome.error;
  const text = message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
  return new ResumeProcessorError(code as ErrorCode, text, details ? { details } : {});
}
