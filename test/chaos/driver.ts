// The driver: registers and suspends every worker, then fires resumes, duplicates, racing
// timeouts, events and closes on a timeline through the real producer, and plays the runtime that
// suspends some workers again. Every producer call that fails for a transport reason is retried (and
// recorded), so the same driver runs through consumer kills and Redis restarts.

import type { RespawnPayload, ResumeTicket } from '../../src/index.js';
import { ResumeProcessorError } from '../../src/index.js';
import type { JsonObject } from '../../src/lib/policy/types.js';
import type { ChaosEnv } from './env.js';
import { sleep } from './rng.js';
import { type CyclePlan, LONG_TIMEOUT_MS, type WorkerPlan } from './workload.js';

export interface SentRequest {
  workerId: string;
  cycle: number;
  role: 'original' | 'duplicate' | 'event';
  jobId: string;
  keyed: boolean;
  sentAt: number;
}

export interface ProducerError {
  op: string;
  at: number;
  elapsedMs: number;
  name: string;
  code: string | null;
  message: string;
}

export class Driver {
  readonly requests: SentRequest[] = [];
  readonly errors: ProducerError[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly byId = new Map<string, WorkerPlan>();
  private readonly secondStarted = new Set<string>();
  driveStart = 0;
  lastActionAt = 0;
  failures: string[] = [];
  /** Re-suspensions that committed while every reply was lost and had ended by the time it looked. */
  readonly lostReplies: string[] = [];

  constructor(
    private readonly env: ChaosEnv,
    readonly plans: WorkerPlan[],
    private readonly setupConcurrency = 32,
  ) {
    for (const plan of plans) this.byId.set(plan.id, plan);
  }

  get suspensionCount(): number {
    return this.plans.reduce((n, p) => n + p.cycles.length, 0);
  }

  /** Registers and suspends every worker; race timeouts get deadlines relative to the drive start. */
  async setup(): Promise<void> {
    const { producer } = this.env;
    await pool(this.plans, this.setupConcurrency, (plan) =>
      this.call('registerWorker', () =>
        producer.registerWorker({ id: plan.id, name: plan.id, task: 'work' }),
      ),
    );
    const first = (p: WorkerPlan) => p.cycles[0] as CyclePlan;
    const races = this.plans.filter((p) => first(p).kind === 'race-timeout');
    await pool(
      this.plans.filter((p) => first(p).kind !== 'race-timeout'),
      this.setupConcurrency,
      (plan) => this.suspendFirst(plan),
    );
    this.driveStart = Date.now() + 1000 + races.length;
    await pool(races, this.setupConcurrency, (plan) => this.suspendFirst(plan));
  }

  private async suspendFirst(plan: WorkerPlan): Promise<void> {
    const c = plan.cycles[0] as CyclePlan;
    const { producer } = this.env;
    if (c.kind === 'suspend-race') {
      const topicA = `chaos.${plan.id}.a`;
      const topicB = `chaos.${plan.id}.b`;
      const [long, short] =
        c.raceVariant === 'topic'
          ? [{ on_event: topicA }, { on_event: topicB }]
          : [
              { timeout: { duration_ms: LONG_TIMEOUT_MS, on_timeout: 'fail' } },
              { timeout: { duration_ms: 300, on_timeout: 'fail' } },
            ];
      const [a, b] = await Promise.all([
        this.call('suspend', () => producer.suspend(plan.id, { reason: 'long', conditions: long })),
        this.call('suspend', () => producer.suspend(plan.id, { reason: 'short', conditions: short })),
      ]);
      const winner = a.suspension ?? b.suspension;
      c.epoch = winner?.epoch;
      c.deadlineMs = winner?.deadline_ms;
      c.winningReason = winner?.reason;
      // The event that must not matter: the topic only the losing suspend asked for.
      if (c.raceVariant === 'topic') c.topic = c.winningReason === 'long' ? topicB : topicA;
      return;
    }
    let conditions = c.conditions;
    if (c.kind === 'race-timeout' && conditions) {
      const timeout = {
        ...(conditions.timeout as JsonObject),
        deadline: Math.round(this.driveStart + (c.resumeAtMs ?? 0)),
      };
      conditions = { timeout };
      c.conditions = conditions;
    }
    const s = await this.call('suspend', () =>
      producer.suspend(plan.id, { reason: `cycle 1 ${c.kind}`, ...(conditions ? { conditions } : {}) }),
    );
    c.epoch = s.suspension?.epoch;
    c.deadlineMs = s.suspension?.deadline_ms;
  }

  /** Schedules every first-cycle action on the timeline. */
  start(): void {
    const t0 = this.driveStart;
    for (const plan of this.plans) {
      const c = plan.cycles[0] as CyclePlan;
      if (c.resumeAtMs !== null) {
        const at = c.kind === 'race-timeout' ? (c.deadlineMs ?? t0) + c.jitterMs : t0 + c.resumeAtMs;
        this.scheduleResume(plan.id, c, at);
      }
      if (c.closeAtMs !== undefined) {
        const closeAt = t0 + c.closeAtMs;
        this.at(closeAt, () => this.call('close', () => this.env.producer.close(plan.id)));
      }
    }
    // One event per trigger group (it resumes every member), plus its duplicate deliveries.
    const groups = new Map<string, CyclePlan>();
    for (const plan of this.plans) {
      const c = plan.cycles[0] as CyclePlan;
      if (c.topic && c.eventAtMs !== undefined && !groups.has(c.topic)) groups.set(c.topic, c);
    }
    for (const c of groups.values()) {
      const at = t0 + (c.eventAtMs ?? 0);
      for (const delay of [0, ...(c.eventDuplicates ?? [])]) this.at(at + delay, () => this.deliver(c));
    }
  }

  private async deliver(c: CyclePlan): Promise<void> {
    const topic = c.topic as string;
    const tickets = await this.call('deliverEvent', () =>
      this.env.producer.deliverEvent({
        provider: 'chaos',
        kind: topic,
        id: c.eventId ?? 'ev',
        payload: { text: `event ${topic}` },
      }),
    );
    for (const t of tickets) this.record(t, 1, 'event', false);
  }

  private scheduleResume(workerId: string, c: CyclePlan, at: number): void {
    const send = (role: SentRequest['role']) => async () => {
      const sentAt = Date.now();
      if (role === 'original' && c.deadlineMs !== undefined && c.resumeAtMs !== null && c.jitterMs !== 0)
        c.raceSkewMs = sentAt - c.deadlineMs;
      const opts = c.keyed ? { idempotencyKey: `key-${workerId}-c${c.cycle}` } : {};
      const ticket = await this.call('resume', () =>
        this.env.producer.resume(workerId, c.input, undefined, opts),
      );
      this.record(ticket, c.cycle, role, c.keyed, sentAt);
    };
    this.at(at, send('original'));
    for (const delay of c.duplicates) this.at(at + delay, send('duplicate'));
  }

  private record(
    t: ResumeTicket,
    cycle: number,
    role: SentRequest['role'],
    keyed: boolean,
    sentAt = Date.now(),
  ) {
    this.requests.push({ workerId: t.workerId, cycle, role, jobId: t.jobId, keyed, sentAt });
  }

  /** The runtime's side: a respawn of a two-cycle worker suspends it again, fenced by its version. */
  onRespawn = async (payload: RespawnPayload): Promise<void> => {
    const plan = this.byId.get(payload.workerId);
    const c = plan?.cycles[1];
    if (!plan || !c || this.secondStarted.has(plan.id)) return;
    this.secondStarted.add(plan.id);
    try {
      await this.track(this.suspendSecond(plan.id, c, payload.version));
    } catch (err) {
      // Counted like any planned call without a definite answer (it used to fail only the task job).
      this.failures.push(`re-suspend of ${plan.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  private async suspendSecond(workerId: string, c: CyclePlan, version: number): Promise<void> {
    const { producer } = this.env;
    try {
      const s = await this.call('suspend', () =>
        producer.suspend(workerId, {
          reason: 'cycle 2',
          expectVersion: version,
          ...(c.conditions ? { conditions: c.conditions } : {}),
        }),
      );
      c.epoch = s.suspension?.epoch;
      c.deadlineMs = s.suspension?.deadline_ms;
    } catch (err) {
      // A retry after a lost reply: the first attempt may have committed already.
      const r = await this.call('getRecord', () => producer.getRecord(workerId));
      if (r?.status === 'suspended' && r.suspension?.epoch === version + 1) {
        c.epoch = r.suspension.epoch;
        c.deadlineMs = r.suspension.deadline_ms;
      } else if (r && r.version > version + 1) {
        // It committed and that suspension has ended already (its timeout fired while the replies
        // were lost): the ledger checks it from the event log; its deadline stays unknown here.
        c.epoch = version + 1;
        this.lostReplies.push(`${workerId}@${version + 1}`);
        return;
      } else throw err;
    }
    if (c.resumeAtMs !== null && c.deadlineMs !== undefined)
      this.scheduleResume(workerId, c, c.deadlineMs + c.jitterMs);
  }

  private at(when: number, action: () => Promise<unknown>): void {
    const p = new Promise<void>((resolve) => {
      setTimeout(
        () => {
          this.lastActionAt = Date.now();
          action()
            .catch((err: unknown) => {
              this.failures.push(err instanceof Error ? err.message : String(err));
            })
            .finally(resolve);
        },
        Math.max(0, when - Date.now()),
      );
    });
    this.track(p);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => {});
    return p;
  }

  /** True once every scheduled action (and every re-suspension it caused) has finished. */
  get idle(): boolean {
    return this.pending.size === 0 && !this.env.sink.busy;
  }

  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Runs a producer call; transport failures (anything but a typed error with a definite answer)
   * are recorded and retried with backoff for up to a minute.
   */
  async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const t = Date.now();
      try {
        return await fn();
      } catch (err) {
        const typed = err instanceof ResumeProcessorError;
        if (typed && err.code !== 'RP-REDIS-UNAVAILABLE') throw err;
        const e = err instanceof Error ? err : new Error(String(err));
        this.errors.push({
          op,
          at: t,
          elapsedMs: Date.now() - t,
          name: e.constructor.name,
          code: typed ? err.code : ((e as { code?: unknown }).code?.toString() ?? null),
          message: e.message.slice(0, 200),
        });
        if (Date.now() - started > 60_000) throw err;
        await sleep(Math.min(50 * 2 ** attempt, 1000));
      }
    }
  }
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
