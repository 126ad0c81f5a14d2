// Resume requests: the producer side of a resume. Options are parsed the way Harn parses them and
// blank input is refused before anything is written; the job goes on the worker's partition's
// `resume` queue with a random id, an id derived from the idempotency key, or (event delivery) one
// per worker + epoch + event.

import { createHash, randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import type { z } from 'zod';
import {
  idempotencyConflict,
  idempotencyJobId,
  idempotencyKeyHash,
  requestHash,
} from '../lib/idempotency.js';
import { invalidResumeInput, missingTarget, snapshotInvalid, unknownWorker } from '../lib/policy/messages.js';
import { parseResumeOptions, resumeInputText } from '../lib/policy/resume-options.js';
import type { JsonValue, ResumeOptions, StoredOutcome } from '../lib/policy/types.js';
import { type ResumeJob, WorkerIdSchema } from '../lib/queues/catalog.js';
import { resumeRequestAdd } from '../lib/queues/job-adds.js';
import type { QueueSet } from '../lib/queues/queues.js';
import { isSnapshotPath } from '../lib/snapshot/snapshot-files.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { EnqueueSpan, Tracing } from '../observability/tracing.js';
import type { SnapshotPort } from './snapshots.js';
import { settledTicket, ticketFor } from './ticket.js';
import type { DeliverEventInput, ResumeRequestOptions, ResumeTicket } from './types.js';
import { DeliverEventSchema, parseInput, ResumeRequestOptionsSchema } from './validation.js';

export interface ResumeRequestDeps {
  store: WorkerStore;
  queues: QueueSet;
  snapshots: SnapshotPort;
  clock: () => number;
  idempotencyTtlMs: number;
  tracing: Tracing;
}

export class ResumeRequests {
  constructor(private readonly deps: ResumeRequestDeps) {}

  /** A resume request; traced as `resume.enqueue`, its job carries the span (tracing on). */
  resume(
    target: string,
    inputOrOptions?: JsonValue,
    continueTranscript?: boolean | null,
    opts: ResumeRequestOptions = {},
  ): Promise<ResumeTicket> {
    return this.deps.tracing.enqueue((span) =>
      this.request(target, inputOrOptions, continueTranscript, opts, span),
    );
  }

  private async request(
    target: string,
    inputOrOptions: JsonValue | undefined,
    continueTranscript: boolean | null | undefined,
    opts: ResumeRequestOptions,
    span: EnqueueSpan,
  ): Promise<ResumeTicket> {
    const { idempotencyKey, early } = parseInput(ResumeRequestOptionsSchema, opts, 'options');
    const options = parseResumeOptions(inputOrOptions, continueTranscript);
    if (typeof target !== 'string' || target.trim() === '') throw missingTarget();
    // Validate everything before a cold load writes anything (validate before mutate).
    if (resumeInputText(options).kind === 'invalid')
      throw invalidResumeInput(isSnapshotPath(target) ? undefined : target);
    const id = isSnapshotPath(target)
      ? await this.importForResume(target)
      : parseInput(WorkerIdSchema, target, 'target');
    if (idempotencyKey !== undefined) {
      if (!(await this.deps.store.exists(id))) throw unknownWorker(id);
      return this.keyedResume(id, options, idempotencyKey, span);
    }
    // One script checks that the worker exists and adds the job: one request.
    const jobId = `r-${randomUUID()}`;
    const now = this.deps.clock();
    const job: ResumeJob = span.carry({ workerId: id, options, requestedAtMs: now });
    if (early) return this.earlyResume(id, jobId, job, early.ttlMs);
    if ((await this.deps.store.enqueue(id, resumeRequestAdd(jobId, job), now)) === 'no-worker')
      throw unknownWorker(id);
    return this.ticket(jobId, id);
  }

  /**
   * An early resume: kept in the inbox of a worker that is still running (as a job delayed until it
   * expires), an ordinary resume to any other; one script decides which, from the worker's status.
   */
  private async earlyResume(id: string, jobId: string, job: ResumeJob, ttlMs: number): Promise<ResumeTicket> {
    const expiresAtMs = job.requestedAtMs + ttlMs;
    const input = job.options.inputPresent ? job.options.input : null;
    const kept = await this.deps.store.inbox.keep(
      id,
      resumeRequestAdd(jobId, { ...job, early: { expiresAtMs } }, ttlMs),
      resumeRequestAdd(jobId, job),
      { jobId, expiresAtMs, input },
      job.requestedAtMs,
    );
    if (kept === 'no-worker') throw unknownWorker(id);
    return this.ticket(jobId, id);
  }

  /** `resume("path/worker.json", …)`: a cold load, then a resume of what was loaded. */
  private async importForResume(path: string): Promise<string> {
    const [first, ...rest] = await this.deps.snapshots.importSnapshot(path);
    if (!first || rest.length > 0 || !('worker' in first)) {
      throw snapshotInvalid(path, 'resume takes one snapshot file, not a directory');
    }
    return first.worker.id;
  }

  /**
   * A keyed request: an applied key replays its first outcome; an in-flight one joins the same job
   * (its id is derived from the key); a different payload under the same key is a conflict.
   */
  private async keyedResume(
    id: string,
    options: ResumeOptions,
    key: string,
    span: EnqueueSpan,
  ): Promise<ResumeTicket> {
    const hash = requestHash(id, options);
    const jobId = idempotencyJobId(id, key);
    const replay = async (): Promise<ResumeTicket | null> => {
      const stored = await this.deps.store.idempotencyRecord(id, idempotencyKeyHash(key));
      if (!stored) return null;
      const first = JSON.parse(stored) as { hash: string; outcome: StoredOutcome };
      if (first.hash !== hash) throw idempotencyConflict(id, key);
      return settledTicket(jobId, id, { ...first.outcome, replayed: true }, this.deps.store);
    };
    const replayed = await replay();
    if (replayed) return replayed;
    const queue = this.deps.queues.of(id).resume;
    const existing = await Job.fromId(queue, jobId);
    if (existing?.finishedOn) {
      // The first job may have finished since the record was read (its settle writes the record
      // before the job completes): read again, and remove the finished job only if its key expired.
      const late = await replay();
      if (late) return late;
      await existing.remove();
    }
    const job: ResumeJob = span.carry({
      workerId: id,
      options,
      requestedAtMs: this.deps.clock(),
      idempotencyKey: key,
      idempotencyTtlMs: this.deps.idempotencyTtlMs,
    });
    await queue.add('resume', job, { jobId });
    const queued = await Job.fromId(queue, jobId);
    if (queued && requestHash(queued.data.workerId, queued.data.options) !== hash)
      throw idempotencyConflict(id, key);
    return this.ticket(jobId, id);
  }

  async deliverEvent(event: DeliverEventInput): Promise<ResumeTicket[]> {
    const e = parseInput(DeliverEventSchema, event, 'event');
    return this.deps.tracing.deliverEvent(e.kind, (span) => this.deliver(e, span));
  }

  private async deliver(e: z.infer<typeof DeliverEventSchema>, span: EnqueueSpan): Promise<ResumeTicket[]> {
    const waiting = await this.deps.store.indexes.triggerBindings(e.kind);
    const triggerEvent: JsonValue = {
      provider: e.provider,
      kind: e.kind,
      id: e.id,
      payload: e.payload ?? null,
      dedupe_key: e.dedupe_key ?? `${e.provider}:${e.kind}:${e.id}`,
    };
    const tickets: ResumeTicket[] = [];
    for (const { workerId, epoch } of waiting) {
      const job: ResumeJob = span.carry({
        workerId,
        options: {
          inputPresent: e.payload !== undefined && e.payload !== null,
          input: e.payload ?? null,
          continueTranscript: true,
          initiator: 'triggered',
          triggerEvent,
        },
        expectEpoch: epoch,
        requestedAtMs: this.deps.clock(),
      });
      // One job per (worker, suspension, event): a redelivered event is deduplicated by BullMQ.
      const jobId = `e-${digest(`${workerId}\u0000${epoch}\u0000${e.provider}\u0000${e.id}`)}`;
      await this.deps.queues.of(workerId).resume.add('resume', job, { jobId });
      tickets.push(this.ticket(jobId, workerId));
    }
    return tickets;
  }

  private ticket(jobId: string, workerId: string): ResumeTicket {
    return ticketFor(this.deps.queues.of(workerId).resume, jobId, workerId, this.deps.store);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 40);
