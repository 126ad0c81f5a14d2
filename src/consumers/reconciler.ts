// Finishes what crashed consumers and producers left behind. One consumer at a time holds the
// lease; every action is idempotent, so a lease that changes hands mid-pass is harmless.
//  - pending: commits whose outbox was not settled (the committer died) -> run and settle it
//  - deadlines: armed timeouts that are overdue but whose job is missing, failed or late -> re-arm

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { RpCode } from '../lib/errors.js';
import { jobIds } from '../lib/policy/ids.js';
import { codeOf } from '../lib/queues/job-errors.js';
import type { QueueSet } from '../lib/queues/queues.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { ResumeEngine } from './resume-engine.js';

export interface ReconcilerOptions {
  store: WorkerStore;
  engine: ResumeEngine;
  queues: QueueSet;
  /** Partitions this consumer serves. */
  partitions: readonly number[];
  logger: Logger;
  intervalMs: number;
  /** A pending commit older than this is presumed orphaned (its consumer lost the lock by now). */
  orphanAfterMs: number;
  /** How late a timeout may be before the reconciler steps in. */
  lateAfterMs: number;
  now?: () => number;
}

export interface ReconcilerStats {
  passes: number;
  outboxesFinished: number;
  timeoutsRearmed: number;
  staleEntriesDropped: number;
}

const BATCH = 200;

export class Reconciler {
  readonly stats: ReconcilerStats = {
    passes: 0,
    outboxesFinished: 0,
    timeoutsRearmed: 0,
    staleEntriesDropped: 0,
  };
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: ReconcilerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    const tick = () => {
      this.running = this.pass()
        .then(() => undefined)
        .catch((err: unknown) =>
          this.opts.logger.warn({ err }, 'reconciler pass failed; retrying next interval'),
        )
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.opts.intervalMs);
        });
    };
    // The first pass at once: a consumer that starts after a crash finishes what it left, and the
    // lease holder starts waking timeouts.
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.opts.store.indexes.releaseLease(this.owner).catch(() => {});
  }

  /** Whether this consumer held the lease at its last pass (it also wakes timeouts then). */
  get leading(): boolean {
    return this.leaseUntil > this.now();
  }
  private leaseUntil = 0;

  /** One pass; returns false when another consumer holds the lease. */
  async pass(): Promise<boolean> {
    const ttl = this.opts.intervalMs * 3;
    const started = this.now();
    if (!(await this.opts.store.indexes.takeLease(this.owner, ttl))) {
      this.leaseUntil = 0;
      return false;
    }
    this.leaseUntil = started + ttl;
    this.stats.passes += 1;
    for (const p of this.opts.partitions) {
      await this.finishOrphanedOutboxes(p);
      await this.rearmLateTimeouts(p);
    }
    return true;
  }

  private async finishOrphanedOutboxes(p: number): Promise<void> {
    const ids = await this.opts.store.indexes.pendingSince(p, this.now() - this.opts.orphanAfterMs, BATCH);
    for (const id of ids) {
      if (!(await this.opts.engine.settleOutbox(id))) continue;
      this.stats.outboxesFinished += 1;
      this.opts.logger.info({ workerId: id }, 'reconciler finished an orphaned outbox');
    }
  }

  private async rearmLateTimeouts(p: number): Promise<void> {
    const { store } = this.opts;
    const due = await store.indexes.deadlinesDue(p, this.now() - this.opts.lateAfterMs, BATCH);
    for (const { workerId } of due) {
      const record = (await store.read(workerId))?.record;
      const s = record?.status === 'suspended' ? record.suspension : null;
      if (!s || s.deadline_ms === undefined) {
        // Commits keep the index in step with the record; an entry without a backing is repaired.
        await store.indexes.dropDeadline(workerId);
        this.stats.staleEntriesDropped += 1;
        continue;
      }
      if (s.deadline_ms > this.now() - this.opts.lateAfterMs) {
        // The record is the truth: a wrong score is put right, and nothing fires early.
        await store.indexes.repairDeadline(workerId, s.deadline_ms);
        continue;
      }
      const queue = this.opts.queues.of(workerId).timeout;
      const rev = s.deadline_rev ?? 0;
      const jobId = jobIds.timeout(workerId, s.epoch, rev);
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'waiting' || state === 'active' || state === 'prioritized') continue; // it will run
      // Quarantined as poison (its consumers died running it): an operator decides, not a retry.
      if (state === 'failed' && codeOf(job?.failedReason ?? '') === RpCode.PoisonJob) continue;
      if (state === 'failed' && job) await job.retry('failed');
      else if (state === 'delayed' && job) await job.promote();
      else {
        // Missing, or completed while the suspension is still armed (a hook blocked the timeout's
        // resume, or a crash lost the commit): fire it again. The job may have finished between the
        // record read above and its state: read the record again, or its outcome would be replaced
        // by a stale one.
        const again = (await store.read(workerId))?.record;
        const still = again?.status === 'suspended' ? again.suspension : null;
        if (still?.epoch !== s.epoch || (still.deadline_rev ?? 0) !== rev) continue;
        if (job) await job.remove();
        await queue.add('timeout', { workerId, epoch: s.epoch, ...(rev === 0 ? {} : { rev }) }, { jobId });
      }
      this.stats.timeoutsRearmed += 1;
      this.opts.logger.info({ workerId, epoch: s.epoch, state }, 'reconciler re-armed a late timeout');
    }
  }
}
