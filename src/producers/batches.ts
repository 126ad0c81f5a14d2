// Batches: resumeMany and closeMany over the workers a listing filter matches. The ids are taken
// page by page first (the listing's snapshot: workers that enter the filter later are not in the
// batch), then each worker gets its own request, as if called one by one: its own resume job and
// outcome, or its own close, so every guarantee holds per worker (one winner per suspension,
// duplicates absorbed). A few run at a time; a worker's refusal is reported, not thrown.

import { z } from 'zod';
import { RpCode, type SerializedError, serializeError, ValidationError } from '../lib/errors.js';
import { invalidResumeInput } from '../lib/policy/messages.js';
import { parseResumeOptions, resumeInputText } from '../lib/policy/resume-options.js';
import type { JsonValue, WorkerSummary } from '../lib/policy/types.js';
import type { ListFilter } from './listing.js';
import type { Producer, ResumeTicket } from './types.js';
import { parseInput } from './validation.js';

export type BatchFilter = Omit<ListFilter, 'cursor' | 'limit'>;

export interface BatchOptions {
  /** Only list the workers the batch would touch (`workerIds`); nothing is sent. */
  dryRun?: boolean;
  /** Requests in flight at once (default 32, at most 256). */
  concurrency?: number;
  /** Called after each worker (and once with 0 before the first), with the total matched. */
  onProgress?: (done: number, total: number) => void;
  /** resumeMany: an idempotency key for every worker's request (keys are per worker): a retried batch is safe. */
  idempotencyKey?: string;
}

export interface BatchRefusal {
  workerId: string;
  error: SerializedError;
}

export interface ResumeManyResult {
  matched: number;
  workerIds: string[];
  dryRun: boolean;
  /** One ticket per worker whose request was enqueued. */
  requests: ResumeTicket[];
  refused: BatchRefusal[];
}

export interface CloseManyResult {
  matched: number;
  workerIds: string[];
  dryRun: boolean;
  closed: WorkerSummary[];
  refused: BatchRefusal[];
}

const BatchOptionsSchema = z.strictObject({
  dryRun: z.boolean().optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  onProgress: z.custom<(done: number, total: number) => void>((v) => typeof v === 'function').optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  graceful: z.boolean().optional(),
});

/** Every worker id the filter matches now, in listing order. */
async function matching(producer: Pick<Producer, 'listWorkers'>, filter: BatchFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await producer.listWorkers({ ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((w) => w.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function each(
  ids: readonly string[],
  width: number,
  progress: ((done: number, total: number) => void) | undefined,
  work: (id: string) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  progress?.(0, ids.length);
  await Promise.all(
    Array.from({ length: Math.min(width, ids.length) }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        await work(id);
        done += 1;
        progress?.(done, ids.length);
      }
    }),
  );
}

export async function resumeMany(
  producer: Pick<Producer, 'listWorkers' | 'resume'>,
  filter: BatchFilter,
  inputOrOptions: JsonValue | undefined,
  continueTranscript: boolean | null | undefined,
  opts: BatchOptions,
): Promise<ResumeManyResult> {
  const o = parseInput(BatchOptionsSchema, opts ?? {}, 'options');
  // The same checks a single resume makes on its input, once for the batch.
  const options = parseResumeOptions(inputOrOptions, continueTranscript);
  if (resumeInputText(options).kind === 'invalid') throw invalidResumeInput();
  if (filter?.status !== undefined && filter.status !== 'suspended')
    throw new ValidationError(
      RpCode.InvalidInput,
      'invalid filter: filter.status: resumeMany takes suspended workers only',
      [{ path: 'filter.status', message: 'resumeMany takes suspended workers only' }],
    );
  const workerIds = await matching(producer, { ...filter, status: 'suspended' });
  const result: ResumeManyResult = {
    matched: workerIds.length,
    workerIds,
    dryRun: o.dryRun === true,
    requests: [],
    refused: [],
  };
  if (o.dryRun) return result;
  await each(workerIds, o.concurrency ?? 32, o.onProgress, async (id) => {
    try {
      const key = o.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey };
      result.requests.push(await producer.resume(id, inputOrOptions, continueTranscript, key));
    } catch (err) {
      result.refused.push({ workerId: id, error: serializeError(err) });
    }
  });
  return result;
}

export async function closeMany(
  producer: Pick<Producer, 'listWorkers' | 'close'>,
  filter: BatchFilter,
  opts: BatchOptions & { graceful?: boolean },
): Promise<CloseManyResult> {
  const o = parseInput(BatchOptionsSchema, opts ?? {}, 'options');
  const workerIds = await matching(producer, filter ?? {});
  const result: CloseManyResult = {
    matched: workerIds.length,
    workerIds,
    dryRun: o.dryRun === true,
    closed: [],
    refused: [],
  };
  if (o.dryRun) return result;
  await each(workerIds, o.concurrency ?? 32, o.onProgress, async (id) => {
    try {
      result.closed.push(await producer.close(id, o.graceful === undefined ? {} : { graceful: o.graceful }));
    } catch (err) {
      result.refused.push({ workerId: id, error: serializeError(err) });
    }
  });
  return result;
}
