// The request and response schemas of the HTTP API. The same zod schemas validate requests (a
// mismatch is 422 RP-INVALID-INPUT naming each failing path) and become the OpenAPI document.
// Fields are snake_case like the CLI's --json output; the producer validates again what it takes.

import { z } from 'zod';
import { WORKER_STATUSES } from '../lib/policy/types.js';
import { WorkerIdSchema } from '../lib/queues/catalog.js';
import { isSnapshotPath } from '../lib/snapshot/snapshot-files.js';
import { MAX_EARLY_TTL_MS } from '../producers/validation.js';
import { MAX_TOKEN_TTL_MS } from './config.js';

/** Any JSON value (the producer checks depth and shape). */
const Json = z.unknown().describe('any JSON value');

/** A body that may be left out (fastify validates a missing body as null). */
const optionalBody = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => v ?? undefined, schema.optional());

/** A worker id; one that names a snapshot file (`*.json`) is not reachable over HTTP. */
export const WorkerIdParam = z.strictObject({
  id: WorkerIdSchema.refine((id) => !isSnapshotPath(id), {
    message: 'worker ids ending in .json name snapshot files, which the HTTP API does not read',
  }),
});

export const RegisterBody = z.strictObject({
  id: WorkerIdSchema.optional(),
  name: z.string().min(1).max(200),
  task: z.string().max(1_000_000),
  mode: z.enum(['workflow', 'stage', 'sub_agent', 'delegated_stage', 'top_level_agent']).optional(),
  config: Json.optional(),
  transcript: Json.optional(),
  parent_worker_id: WorkerIdSchema.optional(),
});

export const SuspendBody = optionalBody(
  z.strictObject({
    reason: z.string().max(10_000).optional(),
    initiator: z.enum(['self', 'parent', 'operator', 'triggered']).optional(),
    conditions: Json.optional().describe('resume conditions: {timeout?, trigger?, on_event?}'),
    expect_version: z.number().int().positive().optional(),
    suspended_at_turn: z.number().int().nonnegative().optional(),
    input_schema: Json.optional().describe('a JSON Schema every resume input must match'),
    resume_token: z
      .union([z.boolean(), z.strictObject({ ttl_ms: z.number().int().min(1000).max(MAX_TOKEN_TTL_MS) })])
      .optional()
      .describe('true (or {ttl_ms}) for a signed single-use resume link to this suspension'),
  }),
);

export const ResumeBody = optionalBody(
  z
    .strictObject({
      input: Json.optional().describe('the resume input (any JSON; text is used as it is)'),
      options: Json.optional().describe("Harn's resume argument: an options dict or the input itself"),
      continue_transcript: z.boolean().nullable().optional(),
      early_ttl_ms: z
        .number()
        .int()
        .positive()
        .max(MAX_EARLY_TTL_MS)
        .optional()
        .describe(
          'a worker still running keeps the request for its next suspension within this many ms (outcome expired after)',
        ),
    })
    .refine((b) => !('input' in b && 'options' in b), {
      message: 'give input or options, not both',
      path: ['options'],
    }),
);

export const WaitQuery = z.strictObject({
  wait_ms: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .optional()
    .describe('wait up to this long for the outcome (200); else, or when it is not there yet, 202'),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional(),
});

export const CloseBody = optionalBody(z.strictObject({ graceful: z.boolean().optional() }));

export const CancelWaitBody = optionalBody(
  z.strictObject({
    conditions: z
      .array(z.enum(['timeout', 'trigger']))
      .min(1)
      .optional()
      .describe('what to disarm (default both); the worker stays suspended'),
  }),
);

const TimeText = z
  .string()
  .refine((s) => /^\d+$/.test(s) || !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO-8601 time or epoch ms',
  })
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : s));

export const TimeoutBody = z
  .strictObject({
    by_ms: z
      .number()
      .int()
      .min(-365 * 86_400_000)
      .max(365 * 86_400_000)
      .optional(),
    until: z.union([z.number().int().nonnegative(), z.string().min(1).max(100)]).optional(),
    expect_epoch: z.number().int().positive().optional(),
  })
  .refine((b) => (b.by_ms === undefined) !== (b.until === undefined), {
    message: 'give exactly one of by_ms and until',
    path: ['by_ms'],
  });

export const EventBody = z.strictObject({
  provider: z.string().min(1).max(200),
  kind: z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'must be a topic of A-Z a-z 0-9 . _ : / -'),
  id: z.string().min(1).max(200),
  payload: Json.optional(),
  dedupe_key: z.string().min(1).max(400).optional(),
});

export const ListQuery = z.strictObject({
  status: z.enum(WORKER_STATUSES).optional(),
  reason: z.string().min(1).max(1000).optional(),
  suspended_before: TimeText.optional(),
  suspended_after: TimeText.optional(),
  deadline_before: TimeText.optional(),
  overdue: z.enum(['true', 'false']).optional(),
  order_by: z.enum(['since', 'deadline']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(512).optional(),
});

/** A time in a JSON body: epoch ms, or an ISO-8601 string. */
const BodyTime = z.union([z.number().int().nonnegative(), TimeText]);

/** A batch's filter: listWorkers' filters (suspended workers), at least one of them. */
export const BatchFilterBody = z
  .strictObject({
    reason: z.string().min(1).max(1000).optional(),
    suspended_before: BodyTime.optional(),
    suspended_after: BodyTime.optional(),
    deadline_before: BodyTime.optional(),
    overdue: z.boolean().optional(),
  })
  .refine((f) => Object.keys(f).length > 0, {
    message:
      'name at least one filter (a batch over every suspended worker is spelled out: {"suspended_before": "<now>"})',
  });

export const ResumeManyBody = z
  .strictObject({
    filter: BatchFilterBody,
    input: Json.optional(),
    options: Json.optional(),
    continue_transcript: z.boolean().nullable().optional(),
    dry_run: z.boolean().optional(),
  })
  .refine((b) => !('input' in b && 'options' in b), {
    message: 'give input or options, not both',
    path: ['options'],
  });

export const CloseManyBody = z.strictObject({
  filter: BatchFilterBody,
  graceful: z.boolean().optional(),
  dry_run: z.boolean().optional(),
});

const Refused = z.strictObject({
  worker_id: z.string(),
  error: z.looseObject({ code: z.string(), message: z.string() }),
});

export const ResumeManyOut = z.strictObject({
  matched: z.number().int(),
  worker_ids: z.array(z.string()),
  dry_run: z.boolean(),
  requests: z.array(z.strictObject({ job_id: z.string(), worker_id: z.string() })),
  refused: z.array(Refused),
});

export const CloseManyOut = z.strictObject({
  matched: z.number().int(),
  worker_ids: z.array(z.string()),
  dry_run: z.boolean(),
  closed: z.array(z.looseObject({ id: z.string(), status: z.string() })),
  refused: z.array(Refused),
});

export const TokenParam = z.strictObject({ token: z.string().min(1).max(2048) });
export const TokenBody = optionalBody(z.strictObject({ input: Json.optional() }));
export const ProviderParam = z.strictObject({
  provider: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 of a-z 0-9 _ -'),
});

// Responses (documentation, and the shape tests check). Loose: a summary may carry more fields.

export const WorkerSummaryOut = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    task: z.string(),
    mode: z.string(),
    status: z.enum(WORKER_STATUSES),
    version: z.number().int(),
    history: z.array(z.string()),
    suspension: z
      .looseObject({
        reason: z.string(),
        initiator: z.string(),
        suspended_at: z.string(),
        epoch: z.number().int(),
        conditions: Json,
        deadline_ms: z.number().optional(),
        on_timeout: z.string().optional(),
        input_schema: Json.optional(),
      })
      .nullable(),
    latest_error: z.string().nullable(),
    continuity: Json,
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'WorkerSummary' });

export const SuspendOut = WorkerSummaryOut.extend({
  resume_token: z.string().optional(),
  resume_url: z.string().optional(),
  resume_token_expires_at: z.string().optional(),
});

export const PageOut = z.strictObject({
  items: z.array(WorkerSummaryOut),
  next_cursor: z.string().nullable(),
});

export const EventsOut = z.strictObject({
  items: z.array(
    z.strictObject({
      type: z.string(),
      version: z.number().int(),
      at: z.string(),
      at_ms: z.number(),
      data: Json,
    }),
  ),
});

export const TicketOut = z.strictObject({ job_id: z.string(), worker_id: z.string() });

export const OutcomeOut = z
  .looseObject({
    outcome: z.string().describe('resumed | blocked | rejected (and expired for early resumes)'),
    job_id: z.string(),
    version: z.number().int().optional(),
    respawn_job_id: z.string().optional(),
    replayed: z.boolean().optional(),
    reason: z.string().optional(),
    worker: WorkerSummaryOut.nullable().optional(),
  })
  .meta({ id: 'ResumeOutcome' });

export const DeliveredOut = z.strictObject({
  event: z.strictObject({ provider: z.string(), kind: z.string(), id: z.string() }),
  resumes: z.array(TicketOut),
});

export const ProblemOut = z
  .strictObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable error code: HARN-SUS-*, RP-*'),
    detail: z.string(),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
