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

/**
 * Runs `work` for each worker id, `width` at a time, collecting what it returns and each worker's
 * refusal (serialized, as a single call would have thrown it).
 */
async function run<T>(
  workerIds: readonly string[],
  o: { concurrency?: number | undefined; onProgress?: ((done: number, total: number) => void) | undefined },
  work: (id: string) => Promise<T>,
): Promise<{ done: T[]; refused: BatchRefusal[] }> {
  const done: T[] = [];
  const refused: BatchRefusal[] = [];
  let next = 0;
  let finished = 0;
  o.onProgress?.(0, workerIds.length);
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency ?? 32, workerIds.length) }, async () => {
      while (next < workerIds.length) {
        const id = workerIds[next++] as string;
        try {
          done.push(await work(id));
        } catch (err) {
          refused.push({ workerId: id, error: serializeError(err) });
        }
        finished += 1;
        o.onProgress?.(finished, workerIds.length);
      }
    }),
  );
  return { done, refused };
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
  const dryRun = o.dryRun === true;
  const key = o.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey };
  const { done, refused } = dryRun
    ? { done: [], refused: [] }
    : await run(workerIds, o, (id) => producer.resume(id, inputOrOptions, continueTranscript, key));
  return { matched: workerIds.length, workerIds, dryRun, requests: done, refused };
}

export async function closeMany(
  producer: Pick<Producer, 'listWorkers' | 'close'>,
  filter: BatchFilter,
  opts: BatchOptions & { graceful?: boolean },
): Promise<CloseManyResult> {
  const o = parseInput(BatchOptionsSchema, opts ?? {}, 'options');
  const workerIds = await matching(producer, filter ?? {});
  const dryRun = o.dryRun === true;
  const close = o.graceful === undefined ? {} : { graceful: o.graceful };
  const { done, refused } = dryRun
    ? { done: [], refused: [] }
    : await run(workerIds, o, (id) => producer.close(id, close));
  return { matched: workerIds.length, workerIds, dryRun, closed: done, refused };
}
