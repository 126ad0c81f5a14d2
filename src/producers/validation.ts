// zod schemas for producer inputs. Everything is checked before anything is written.

import { z } from 'zod';
import { RpCode, ValidationError } from '../lib/errors.js';
import { JsonValueSchema } from '../lib/policy/resume-options.js';
import { SUSPEND_INITIATORS, WORKER_MODES } from '../lib/policy/types.js';
import { WAIT_CONDITIONS } from '../lib/policy/wait.js';
import { WorkerIdSchema } from '../lib/queues/catalog.js';

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

export const RegisterSchema = z.strictObject({
  id: WorkerIdSchema.optional(),
  name: text(200).min(1, 'must not be empty'),
  task: text(1_000_000),
  mode: z.enum(WORKER_MODES).default('sub_agent'),
  config: JsonValueSchema.optional(),
  transcript: JsonValueSchema.optional(),
  parentWorkerId: WorkerIdSchema.optional(),
});

export const SuspendSchema = z.strictObject({
  reason: text(10_000).optional(),
  initiator: z.enum(SUSPEND_INITIATORS).optional(),
  conditions: JsonValueSchema.optional(),
  expectVersion: z.number().int().positive().optional(),
  suspendedAtTurn: z.number().int().nonnegative().optional(),
  /** JSON Schema the resume input must match; compiled (and refused when it cannot be) here. */
  inputSchema: JsonValueSchema.optional(),
});

export const FinishSchema = z.strictObject({
  expectVersion: z.number().int().positive().optional(),
  error: text(10_000).optional(),
  graceful: z.boolean().optional(),
});

/** A time bound: epoch milliseconds, an ISO-8601 string or a Date. */
export const TimeBound = z.union([
  z.number().int().nonnegative(),
  z.date().transform((d) => d.getTime()),
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 time or epoch ms' })
    .transform((s) => Date.parse(s)),
]);

/** extendTimeout's change: exactly one of byMs (relative to the current deadline) and until. */
export const DeadlineChangeSchema = z.union([
  z.strictObject({
    byMs: z
      .number()
      .int()
      .min(-365 * 86_400_000)
      .max(365 * 86_400_000),
  }),
  z.strictObject({ until: TimeBound }),
]);

export const ExtendOptionsSchema = z.strictObject({ expectEpoch: z.number().int().positive().optional() });

export const CancelWaitSchema = z.strictObject({
  conditions: z
    .array(z.enum(WAIT_CONDITIONS))
    .min(1, 'name at least one of timeout, trigger')
    .default([...WAIT_CONDITIONS]),
});

export const CloseSchema = z.strictObject({ graceful: z.boolean().optional() });

/** The longest an early resume may wait for the worker's next suspension (30 days). */
export const MAX_EARLY_TTL_MS = 30 * 24 * 3600 * 1000;

export const ResumeRequestOptionsSchema = z
  .strictObject({
    idempotencyKey: z.string().min(1).max(200).optional(),
    early: z
      .strictObject({
        ttlMs: z
          .number()
          .int()
          .positive()
          .max(MAX_EARLY_TTL_MS, `must be at most ${MAX_EARLY_TTL_MS} ms (30 days)`),
      })
      .optional(),
  })
  .refine((o) => o.early === undefined || o.idempotencyKey === undefined, {
    message: 'early resumes do not take an idempotencyKey (each early resume is its own request)',
    path: ['early'],
  });

export const QuarantineListSchema = z.strictObject({
  limit: z.number().int().min(1).max(1000).default(100),
});

export const DeliverEventSchema = z.strictObject({
  provider: text(200).min(1),
  kind: z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'must be a topic of A-Z a-z 0-9 . _ : / -'),
  id: text(200).min(1),
  payload: JsonValueSchema.optional(),
  dedupe_key: text(400).optional(),
});

/** Parses or throws RP-INVALID-INPUT naming the offending path (prefixed with the argument name). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, argument: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: [argument, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0];
  throw new ValidationError(
    RpCode.InvalidInput,
    `invalid ${first?.path ?? argument}: ${first?.message ?? 'invalid'}`,
    issues,
  );
}
