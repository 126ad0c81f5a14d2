// Timeouts fire on time whatever Redis's `hz`. A BullMQ worker with nothing to do blocks until the
// next delayed job is due, and Redis ends that block only on its next timer tick: up to 100 ms late
// at the default `hz 10`. The waker reads the deadlines due soon from the deadline index and, at each
// of them, wakes the partition's timeout workers the way a job add does; the worker then promotes
// the due job and takes it at once. One consumer does this (the reconciler's lease holder); when it
// goes away timeouts still fire, only at Redis's tick again.

import type { WorkerStore } from '../lib/store/worker-store.js';

export interface TimeoutWakerOptions {
  store: WorkerStore;
  partitions: readonly number[];
  /** Whether this consumer is the one that wakes (the reconciler's lease holder). */
  active: () => boolean;
  /** How far ahead deadlines are read, and how often. */
  lookaheadMs?: number;
  pollMs?: number;
  /** Deadlines this close together share one wake-up. */
  coalesceMs?: number;
  now?: () => number;
}

const MAX_PER_POLL = 1000;

export class TimeoutWaker {
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  /** Per partition, the latest wake-up already sent: a poll that read before it fired skips it. */
  private readonly woken = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly lookaheadMs: number;
  private readonly pollMs: number;
  private readonly coalesceMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: TimeoutWakerOptions) {
    this.lookaheadMs = opts.lookaheadMs ?? 1000;
    this.pollMs = opts.pollMs ?? 200;
    this.coalesceMs = opts.coalesceMs ?? 5;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), this.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.scheduled.values()) clearTimeout(t);
    this.scheduled.clear();
    this.woken.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.opts.active()) return;
    this.polling = true;
    try {
      const now = this.now();
      for (const p of this.opts.partitions) {
        const due = await this.opts.store.indexes.deadlinesBetween(
          p,
          now,
          now + this.lookaheadMs,
          MAX_PER_POLL,
        );
        for (const at of due) this.schedule(p, Math.ceil(at / this.coalesceMs) * this.coalesceMs, now);
      }
    } catch {
      // Redis away: timeouts fall back to BullMQ's own timing; the next poll tries again.
    } finally {
      this.polling = false;
    }
  }

  private schedule(p: number, at: number, now: number): void {
    const key = `${p}:${at}`;
    if (this.scheduled.has(key) || !this.timer || at <= (this.woken.get(p) ?? 0)) return;
    const wake = setTimeout(
      () => {
        this.scheduled.delete(key);
        this.woken.set(p, Math.max(at, this.woken.get(p) ?? 0));
        this.opts.store.indexes.wakeTimeoutWorkers(p).catch(() => {});
      },
      // A millisecond past the deadline: BullMQ promotes jobs due by the worker's clock.
      Math.max(0, at - now + 1),
    );
    this.scheduled.set(key, wake);
  }
}
