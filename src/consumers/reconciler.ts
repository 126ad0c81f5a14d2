// Finishes what crashed consumers and producers left behind. One consumer at a time holds the
// lease; every action is idempotent, so a lease that changes hands mid-pass is harmless.
//  - pending: commits whose outbox was not cleared (consumer died after commit) -> finish effects
//  - deadlines: armed timeouts that are overdue but whose job is missing or failed -> re-add/retry

import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { deadlineMember } from '../lib/effects.js';
import { jobIds } from '../lib/store/keys.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import type { ResumeEngine } from './resume-engine.js';

export interface ReconcilerOptions {
  store: WorkerStore;
  engine: ResumeEngine;
  timeoutQueue: Queue;
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

const LEASE_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const LEASE_TAKE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

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
    this.timer = setTimeout(tick, this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    const { store } = this.opts;
    await store.client.eval(LEASE_RELEASE, 1, store.keys.reconcilerLease, this.owner).catch(() => {});
  }

  /** One pass; returns false when another consumer holds the lease. */
  async pass(): Promise<boolean> {
    const { store } = this.opts;
    const held = await store.client.eval(
      LEASE_TAKE,
      1,
      store.keys.reconcilerLease,
      this.owner,
      this.opts.intervalMs * 3,
    );
    if (held !== 1) return false;
    this.stats.passes += 1;
    await this.finishOrphanedOutboxes();
    await this.rearmLateTimeouts();
    return true;
  }

  private async finishOrphanedOutboxes(): Promise<void> {
    const { store, engine } = this.opts;
    const ids = await store.client.zrangebyscore(
      store.keys.pending,
      '-inf',
      this.now() - this.opts.orphanAfterMs,
      'LIMIT',
      0,
      200,
    );
    for (const id of ids) {
      const record = await store.read(id);
      if (record?.outbox) {
        await engine.finishOutbox(record);
        this.stats.outboxesFinished += 1;
        this.opts.logger.info(
          { workerId: id, version: record.version },
          'reconciler finished an orphaned outbox',
        );
      } else {
        await store.client.zrem(store.keys.pending, id);
      }
    }
  }

  private async rearmLateTimeouts(): Promise<void> {
    const { store, timeoutQueue } = this.opts;
    const members = await store.client.zrangebyscore(
      store.keys.deadlines,
      '-inf',
      this.now() - this.opts.lateAfterMs,
      'LIMIT',
      0,
      500,
    );
    for (const member of members) {
      const sep = member.lastIndexOf('|');
      const workerId = member.slice(0, sep);
      const epoch = Number(member.slice(sep + 1));
      const record = await store.read(workerId);
      if (record?.status !== 'suspended' || record.suspension?.epoch !== epoch) {
        await store.client.zrem(store.keys.deadlines, deadlineMember(workerId, epoch));
        this.stats.staleEntriesDropped += 1;
        continue;
      }
      // The index score may be a losing writer's deadline (two suspends raced for one epoch, each
      // writing its intent first): the committed record is the truth.
      const deadline = record.suspension.deadline_ms;
      if (deadline === undefined || deadline > this.now() - this.opts.lateAfterMs) {
        if (deadline === undefined) await store.client.zrem(store.keys.deadlines, member);
        else await store.client.zadd(store.keys.deadlines, deadline, member);
        continue;
      }
      const jobId = jobIds.timeout(workerId, epoch);
      const job = await timeoutQueue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'unknown') {
        await timeoutQueue.add(
          'timeout',
          { workerId, epoch, dueAtMs: record.suspension.deadline_ms ?? this.now() },
          { jobId },
        );
      } else if (state === 'failed' && job) {
        await job.retry('failed');
      } else if (state === 'delayed' && job) {
        await job.promote();
      } else if (state === 'completed' && job) {
        // Completed yet the suspension is still armed: the worker was re-read after a crash. Fire again.
        await job.remove();
        await timeoutQueue.add(
          'timeout',
          { workerId, epoch, dueAtMs: record.suspension.deadline_ms ?? this.now() },
          { jobId },
        );
      } else {
        continue; // waiting or active: it will run
      }
      this.stats.timeoutsRearmed += 1;
      this.opts.logger.info({ workerId, epoch, state }, 'reconciler re-armed a late timeout');
    }
  }
}
