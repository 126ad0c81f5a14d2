// Errors that cross into BullMQ. BullMQ keeps only a failed job's message, so the message starts
// with the stable code; `codeOf` reads it back for callers waiting on the job (tickets, the CLI).

import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import { type ErrorCode, HarnCode, ResumeProcessorError, RpCode } from '../errors.js';

/** A non-retryable failure: BullMQ moves the job to the failed set at once, code and message kept. */
export class JobFailure extends UnrecoverableError {
  readonly code: ErrorCode;
  constructor(error: ResumeProcessorError) {
    super(error.message);
    this.code = error.code;
  }
}

/** The last failure of a job out of retries: failed for good, its code kept in the message. */
export function asFailure(err: unknown): Error {
  if (err instanceof ResumeProcessorError) return new JobFailure(err);
  return new UnrecoverableError(`${RpCode.Internal}: ${err instanceof Error ? err.message : String(err)}`);
}

/** A payload that does not match the catalog: refused once, kept in the failed set for inspection. */
export function invalidJob(
  job: { queueName: string; id?: string | undefined },
  error: z.ZodError,
): UnrecoverableError {
  const issues = error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return new UnrecoverableError(
    `${RpCode.InvalidJob}: ${job.queueName} job ${job.id} has an invalid payload: ${issues}`,
  );
}

const CODES: ReadonlySet<string> = new Set([...Object.values(HarnCode), ...Object.values(RpCode)]);
const isCode = (text: string): text is ErrorCode => CODES.has(text);

/** The stable code a failed job's reason starts with, if any. */
export function codeOf(failedReason: string): ErrorCode | null {
  const head = failedReason.slice(0, failedReason.indexOf(':'));
  return isCode(head) ? head : null;
}
