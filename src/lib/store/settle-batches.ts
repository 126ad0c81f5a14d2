// The settles asked for within one turn of the job queue (the resumes whose commits came back in
// one batch of replies) go out as one settle script per partition on the next tick: under load one
// request settles several commits, each with its own reply (settle.lua).

import type { ScriptArgs, ScriptedRedis } from './scripts.js';

/** One commit's part of a settle script: its KEYS after the pending index, and its ARGV. */
export interface SettleItem {
  keys: string[];
  args: ScriptArgs;
}

interface Batch {
  keys: string[];
  args: ScriptArgs;
  waiting: { resolve(reply: number): void; reject(err: unknown): void }[];
}

/** Items per settle script at most (a larger turn sends more than one). */
const MAX_ITEMS = 256;

export class SettleBatches {
  private readonly open = new Map<number, Batch>();
  private scheduled = false;

  constructor(private readonly redis: ScriptedRedis) {}

  /** Adds a settle to partition `p`'s batch; resolves with its own reply (1, 0 or -1). */
  add(p: number, pendingKey: string, item: SettleItem): Promise<number> {
    let batch = this.open.get(p);
    if (!batch) {
      batch = { keys: [pendingKey], args: [], waiting: [] };
      this.open.set(p, batch);
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => this.sendAll());
      }
    }
    batch.keys.push(...item.keys);
    batch.args.push(...item.args);
    const reply = new Promise<number>((resolve, reject) => batch.waiting.push({ resolve, reject }));
    if (batch.waiting.length >= MAX_ITEMS) {
      this.open.delete(p);
      this.send(batch);
    }
    return reply;
  }

  private sendAll(): void {
    this.scheduled = false;
    const batches = [...this.open.values()];
    this.open.clear();
    for (const batch of batches) this.send(batch);
  }

  private send(batch: Batch): void {
    this.redis.rpSettle(batch.keys.length, ...batch.keys, batch.waiting.length, ...batch.args).then(
      (replies) => {
        batch.waiting.forEach((w, i) => {
          w.resolve(Number(replies[i]));
        });
      },
      (err: unknown) => {
        for (const w of batch.waiting) w.reject(err);
      },
    );
  }
}
