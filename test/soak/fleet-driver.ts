// The soak's workload: a fixed population of workers that cycles for the whole run. The runtime
// stand-in suspends every respawned worker again (a share of them with a short timeout that resumes
// it: the timeout flow); a pump sends resume requests at a fixed rate to workers whose suspension
// has no timeout, a share of them twice. Every call's answer is recorded per worker, so the end
// of the run can check one respawn per ended suspension: none lost, none doubled.

import type { JsonValue, RespawnPayload } from '../../src/index.js';
import type { ChaosEnv } from '../chaos/env.js';
import { type Rng, sleep } from '../chaos/rng.js';

export interface SoakRates {
  /** Share of suspensions that carry a timeout (resume_with_summary) instead of waiting for a request. */
  timeoutShare: number;
  timeoutMinMs: number;
  timeoutMaxMs: number;
  /** Share of resume requests sent twice (the second is a duplicate the engine must refuse). */
  duplicateShare: number;
  /**
   * The resume requests' input. An applied input is appended to the worker's history, which Redis
   * keeps whole (Harn's semantics), so with an input memory grows by design; none by default.
   */
  input?: JsonValue;
}

export const SOAK_RATES: SoakRates = {
  timeoutShare: 0.2,
  timeoutMinMs: 500,
  timeoutMaxMs: 3000,
  duplicateShare: 0.1,
};

interface WorkerTally {
  /** Suspensions that committed (the producer answered with a suspension). */
  suspends: number;
  /** Distinct respawn job ids the runtime took for this worker. */
  respawns: Set<string>;
}

export class SoakDriver {
  readonly tally = new Map<string, WorkerTally>();
  /** Suspended workers without a timeout, waiting for a request from the pump. */
  private readonly waiting = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  cycling = false;
  requests = 0;
  duplicates = 0;
  timeoutSuspends = 0;
  /** Pump ticks that found no worker to send a request to (the population was too small). */
  starved = 0;
  readonly errors: string[] = [];

  constructor(
    private readonly env: ChaosEnv,
    readonly ids: readonly string[],
    private readonly rng: Rng,
    private readonly rates: SoakRates = SOAK_RATES,
  ) {
    for (const id of ids) this.tally.set(id, { suspends: 0, respawns: new Set() });
  }

  get respawnCount(): number {
    let n = 0;
    for (const t of this.tally.values()) n += t.respawns.size;
    return n;
  }

  get idle(): boolean {
    return this.pending.size === 0;
  }

  async register(concurrency = 64): Promise<void> {
    await pool(this.ids, concurrency, (id) =>
      this.env.producer.registerWorker({ id, name: id, task: 'soak' }),
    );
  }

  /** Suspends every worker without a timeout (ready for the capacity burst). */
  async suspendAll(concurrency = 64): Promise<void> {
    await pool(this.ids, concurrency, (id) => this.suspend(id, false));
  }

  /** One request to every waiting worker at once; resolves when each was respawned. */
  async burst(concurrency = 64): Promise<number> {
    const ids = [...this.waiting];
    this.waiting.clear();
    const target = this.respawnCount + ids.length;
    const started = Date.now();
    await pool(ids, concurrency, (id) => this.resume(id));
    while (this.respawnCount < target) await sleep(20);
    return Date.now() - started;
  }

  /** The runtime stand-in: counts the respawn and, while cycling, suspends the worker again. */
  onRespawn = async (payload: RespawnPayload): Promise<void> => {
    const t = this.tally.get(payload.workerId);
    if (!t) return;
    t.respawns.add(`${payload.workerId}-${payload.version}`);
    if (!this.cycling || !payload.current) return;
    const withTimeout = this.rng.next() < this.rates.timeoutShare;
    this.track(this.suspend(payload.workerId, withTimeout));
  };

  /** From now on every respawned worker is suspended again; the running ones are suspended now. */
  startCycling(): void {
    this.cycling = true;
    for (const id of this.ids) this.track(this.suspend(id, this.rng.next() < this.rates.timeoutShare));
  }

  /** Sends `perSecond` requests a second until `stop()` turns true. */
  async pump(perSecond: number, stop: () => boolean): Promise<void> {
    const tickMs = 50;
    let owed = 0;
    while (!stop()) {
      const tickStart = Date.now();
      owed += (perSecond * tickMs) / 1000;
      while (owed >= 1) {
        const id = this.takeWaiting();
        if (id === undefined) {
          this.starved += 1;
          owed = 0;
          break;
        }
        owed -= 1;
        this.track(this.resume(id));
        if (this.rng.next() < this.rates.duplicateShare) {
          this.duplicates += 1;
          this.track(this.resume(id));
        }
      }
      await sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
    }
  }

  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private takeWaiting(): string | undefined {
    if (this.waiting.size === 0) return undefined;
    // A random waiting worker: the set's order is insertion order, so pick by a random skip.
    const skip = Math.floor(this.rng.next() * Math.min(this.waiting.size, 64));
    let i = 0;
    for (const id of this.waiting) {
      if (i++ < skip) continue;
      this.waiting.delete(id);
      return id;
    }
    return undefined;
  }

  private async suspend(id: string, withTimeout: boolean): Promise<void> {
    const { timeoutMinMs: min, timeoutMaxMs: max } = this.rates;
    const conditions = withTimeout
      ? {
          timeout: {
            duration_ms: Math.round(min + this.rng.next() * (max - min)),
            on_timeout: 'resume_with_summary',
          },
        }
      : undefined;
    try {
      const s = await this.env.producer.suspend(id, {
        reason: withTimeout ? 'soak timeout' : 'soak request',
        ...(conditions ? { conditions } : {}),
      });
      if (!s.suspension) return;
      const t = this.tally.get(id);
      if (t) t.suspends += 1;
      if (withTimeout) this.timeoutSuspends += 1;
      else this.waiting.add(id);
    } catch (err) {
      this.errors.push(`suspend ${id}: ${(err as Error).message}`);
    }
  }

  private async resume(id: string): Promise<void> {
    this.requests += 1;
    try {
      await this.env.producer.resume(id, this.rates.input);
    } catch (err) {
      this.errors.push(`resume ${id}: ${(err as Error).message}`);
    }
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
