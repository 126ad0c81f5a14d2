// Resume requests: the producer side of a resume. Options are parsed the way Harn parses them and
// blank input is refused before anything is written; the job goes on the `resume` queue with a
// random id, an id derived from the idempotency key, or (event delivery) one per worker+epoch+event.

import { createHash, randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import {
  type IdempotencyStore,
  idempotencyConflict,
  idempotencyJobId,
  requestHash,
} from '../lib/idempotency.js';
import { invalidResumeInput, missingTarget, snapshotInvalid } from '../lib/policy/messages.js';
import { parseResumeOptions, resumeInputText } from '../lib/policy/resume-options.js';
import type { JsonValue, ResumeOptions } from '../lib/policy/types.js';
import { type ResumeJob, WorkerIdSchema } from '../lib/queues/catalog.js';
import type { QueueSet } from '../lib/queues/queues.js';
import { isSnapshotPath } from '../lib/snapshot/snapshot-files.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { SnapshotPort } from './snapshots.js';
import { settledTicket, ticketFor } from './ticket.js';
import type { DeliverEventInput, ResumeRequestOptions, ResumeTicket } from './types.js';
import { DeliverEventSchema, parseInput, ResumeRequestOptionsSchema } from './validation.js';

export interface ResumeRequestDeps {
  redis: Redis;
  store: WorkerStore;
  queues: QueueSet;
  idempotency: IdempotencyStore;
  snapshots: SnapshotPort;
  clock: () => number;
  idempotencyTtlMs: number;
}

export class ResumeRequests {
  constructor(private readonly deps: ResumeRequestDeps) {}

  async resume(
    target: string,
    inputOrOptions?: JsonValue,
    continueTranscript?: boolean | null,
    opts: ResumeRequestOptions = {},
  ): Promise<ResumeTicket> {
    const { idempotencyKey } = parseInput(ResumeRequestOptionsSchema, opts, 'options');
    const options = parseResumeOptions(inputOrOptions, continueTranscript);
    if (typeof target !== 'string' || target.trim() === '') throw missingTarget();
    // Validate everything before a cold load writes anything (validate before mutate).
    if (resumeInputText(options).kind === 'invalid')
      throw invalidResumeInput(isSnapshotPath(target) ? undefined : target);
    const id = isSnapshotPath(target)
      ? await this.importForResume(target)
      : parseInput(WorkerIdSchema, target, 'target');
    const exists = await this.deps.redis.exists(this.deps.store.keys.worker(id));
    if (!exists) throw unknownWorker(id);
    if (idempotencyKey === undefined) {
      const jobId = `r-${randomUUID()}`;
      await this.deps.queues.resume.add(
        'resume',
        { workerId: id, options, requestedAtMs: this.deps.clock() } satisfies ResumeJob,
        {
          jobId,
        },
      );
      return ticketFor(this.deps.queues, jobId, id);
    }
    return this.keyedResume(id, options, idempotencyKey);
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
  private async keyedResume(id: string, options: ResumeOptions, key: string): Promise<ResumeTicket> {
    const hash = requestHash(id, options);
    const jobId = idempotencyJobId(id, key);
    const applied = await this.deps.idempotency.get(id, key);
    if (applied) {
      if (applied.payloadHash !== hash) throw idempotencyConflict(id, key);
      return settledTicket(jobId, id, { ...applied.outcome, replayed: true });
    }
    const existing = await Job.fromId(this.deps.queues.resume, jobId);
    if (existing?.finishedOn) await existing.remove(); // its key expired: the key may be used afresh
    const job: ResumeJob = {
      workerId: id,
      options,
      requestedAtMs: this.deps.clock(),
      idempotencyKey: key,
      idempotencyTtlMs: this.deps.idempotencyTtlMs,
    };
    await this.deps.queues.resume.add('resume', job, { jobId });
    const queued = await Job.fromId(this.deps.queues.resume, jobId);
    const queuedData = queued?.data as ResumeJob | undefined;
    if (queuedData && requestHash(queuedData.workerId, queuedData.options) !== hash)
      throw idempotencyConflict(id, key);
    return ticketFor(this.deps.queues, jobId, id);
  }

  async deliverEvent(event: DeliverEventInput): Promise<ResumeTicket[]> {
    const e = parseInput(DeliverEventSchema, event, 'event');
    const waiting = await this.deps.redis.hgetall(this.deps.store.keys.trigger(e.kind));
    const triggerEvent: JsonValue = {
      provider: e.provider,
      kind: e.kind,
      id: e.id,
      payload: e.payload ?? null,
      dedupe_key: e.dedupe_key ?? `${e.provider}:${e.kind}:${e.id}`,
    };
    const tickets: ResumeTicket[] = [];
    for (const [workerId, epoch] of Object.entries(waiting)) {
      const job: ResumeJob = {
        workerId,
        options: {
          inputPresent: e.payload !== undefined && e.payload !== null,
          input: e.payload ?? null,
          continueTranscript: true,
          initiator: 'triggered',
          triggerEvent,
        },
        expectEpoch: Number(epoch),
        requestedAtMs: this.deps.clock(),
      };
      // One job per (worker, suspension, event): a redelivered event is deduplicated by BullMQ.
      const jobId = `e-${digest(`${workerId}\u0000${epoch}\u0000${e.provider}\u0000${e.id}`)}`;
      await this.deps.queues.resume.add('resume', job, { jobId });
      tickets.push(ticketFor(this.deps.queues, jobId, workerId));
    }
    return tickets;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 40);

export const unknownWorker = (id: string) =>
  new ResumeProcessorError(RpCode.UnknownWorker, `unknown worker: ${id}`, { workerId: id });
