// Replicated durability (`durability: 'replicated'`, RESUME_DURABILITY). Redis replicates
// asynchronously: a master that dies before its replica received a write loses it in the failover,
// even though the client was told OK. `WAIT n timeout`, sent on the same connection right after the
// write, returns how many replicas have acknowledged every write that connection made so far.
//
// WAIT cannot run inside a Lua script, and on a cluster it must reach the node that ran the write
// (another node, or another connection, has nothing to wait for and answers at once). So the write
// and the WAIT go out as one pipeline without MULTI: ioredis sends a pipeline to the node owning the
// slot of its keys, and WAIT has none. ioredis does not follow a redirect for a pipeline that holds
// a write, so MOVED/ASK/TRYAGAIN/CLUSTERDOWN (the write did not run) are retried here, and so is a
// closed connection (it may have run: each of these writes is safe to repeat, as ioredis repeats it
// outside a pipeline: a commit's compare-and-set, an enqueue's job id, a settle's version check).
//
// A slot whose WAIT came up short (no replica, or one too far behind) is remembered for a second:
// writes there would each hold the connection for the whole timeout, and the connection is shared
// by every request of the process to that node. Meanwhile producers refuse before writing and
// consumers write without waiting; one write per second probes again.

import type { ChainableCommander } from 'ioredis';
import { ResumeProcessorError, RpCode } from '../errors.js';
import { isCluster, type RedisClient } from '../redis.js';

export const DURABILITY_MODES = ['async', 'replicated'] as const;
export type DurabilityMode = (typeof DURABILITY_MODES)[number];

/** A write that fewer replicas than asked confirmed. */
export interface ReplicationShortfall {
  /** `commit`, `settle` or `enqueue`. */
  write: string;
  /** The hash tag of the slot written (one partition). */
  slot: string;
  acked: number;
  wanted: number;
  timeoutMs: number;
  /** false: refused before it was sent (the slot was short moments ago). */
  applied: boolean;
  /** WAIT's own error (the node stepped down, or the connection broke after the write). */
  cause?: Error;
}

export interface DurabilityOptions {
  /** 'async' (default): a write is done when its master has it. 'replicated': also `replicas` replicas. */
  mode?: DurabilityMode;
  /** Replicas that must confirm a write (default 1). */
  replicas?: number;
  /** How long a write waits for them (default 1000 ms). */
  timeoutMs?: number;
  /**
   * 'throw' (producers, the default): an `RP-NOT-REPLICATED` error. A function (consumers, whose
   * commit already won its compare-and-set): it is told, and the write stands.
   */
  onShortfall?: 'throw' | ((s: ReplicationShortfall) => void);
}

const RECHECK_MS = 1000;
const MAX_ATTEMPTS = 16;
const RETRY_DELAY_MS = 100;
const REDIRECT = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b|^Connection is closed/;

export function notReplicated(s: ReplicationShortfall): ResumeProcessorError {
  const where = `the master of slot ${s.slot}`;
  const message = s.applied
    ? `the ${s.write} was written to ${where} but ${s.acked} of ${s.wanted} replicas confirmed it within ` +
      `${s.timeoutMs} ms${s.cause ? ` (${s.cause.message})` : ''}; a failover of that master before ` +
      'it replicates would lose it. Retry (an idempotency key makes a retried resume safe) or read the worker'
    : `nothing was written: ${where} had no replica confirming writes moments ago (${s.acked} of ` +
      `${s.wanted} within ${s.timeoutMs} ms); retry later`;
  return new ResumeProcessorError(RpCode.NotReplicated, message, {
    retryable: true,
    details: { ...s, cause: undefined },
    ...(s.cause ? { cause: s.cause } : {}),
  });
}

/** The slot's master did not take the write through every retry (a failover longer than them). */
function unreachable(cause: Error, attempts: number): ResumeProcessorError {
  const maybe = /^Connection is closed/.test(cause.message) ? 'may not have been' : 'was not';
  return new ResumeProcessorError(
    RpCode.RedisUnavailable,
    `no master took the write after ${attempts} attempts (${cause.message}); it ${maybe} applied, retry later`,
    { retryable: true, cause },
  );
}

/** Writes that wait for replicas when the mode asks for it; a pass-through in 'async' mode. */
export class ReplicaWait {
  readonly mode: DurabilityMode;
  private readonly replicas: number;
  private readonly timeoutMs: number;
  /** A consumer's report; undefined: throw (producers). */
  private readonly report: ((s: ReplicationShortfall) => void) | undefined;
  /** Slot tag → until when writes there are not waited for (the last WAIT there came up short). */
  private readonly short = new Map<string, number>();

  constructor(opts: DurabilityOptions = {}) {
    this.mode = opts.mode ?? 'async';
    this.replicas = opts.replicas ?? 1;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.report = opts.onShortfall === 'throw' ? undefined : opts.onShortfall;
  }

  /**
   * Runs `send` (one write on `client`, keys in the slot of `key`): directly in 'async' mode, else
   * followed by WAIT in the same pipeline. `send` receives the pipeline typed as the client: what it
   * returns there is the pipeline, not the reply, and is ignored.
   */
  async write<C extends RedisClient, T>(
    client: C,
    what: string,
    key: string,
    send: (c: C) => Promise<T>,
  ): Promise<T> {
    if (this.mode === 'async') return send(client);
    const slot = /\{[^}]*\}/.exec(key)?.[0] ?? key;
    const base = { write: what, slot, wanted: this.replicas, timeoutMs: this.timeoutMs };
    const shortUntil = this.short.get(slot);
    if (shortUntil !== undefined && Date.now() < shortUntil) {
      if (!this.report) throw notReplicated({ ...base, acked: 0, applied: false });
      const result = await send(client);
      this.report({ ...base, acked: 0, applied: true });
      return result;
    }
    // This write probes for the others: they skip the wait until it answers.
    if (shortUntil !== undefined) this.short.set(slot, Date.now() + this.timeoutMs + RECHECK_MS);
    const { result, acked, cause } = await this.sendWithWait(client, send);
    if (acked >= this.replicas) {
      this.short.delete(slot);
      return result;
    }
    // A WAIT that failed (its node stepped down mid-failover) says nothing about the next write.
    if (cause) this.short.delete(slot);
    else this.short.set(slot, Date.now() + RECHECK_MS);
    const shortfall = { ...base, acked, applied: true, ...(cause ? { cause } : {}) };
    if (!this.report) throw notReplicated(shortfall);
    this.report(shortfall);
    return result;
  }

  private async sendWithWait<C extends RedisClient, T>(
    client: C,
    send: (c: C) => Promise<T>,
  ): Promise<{ result: T; acked: number; cause?: Error }> {
    for (let attempt = 1; ; attempt++) {
      const pipeline: ChainableCommander = client.pipeline();
      void send(pipeline as unknown as C);
      pipeline.call('WAIT', this.replicas, this.timeoutMs);
      const [written, waited] = (await pipeline.exec()) ?? [];
      const [writeError, result] = written ?? [new Error('the pipeline returned no reply')];
      if (writeError) {
        // Send both again once the slot map is fresh (MOVED names the old master until the failover).
        if (!REDIRECT.test(writeError.message)) throw writeError;
        if (attempt >= MAX_ATTEMPTS) throw unreachable(writeError, attempt);
        if (isCluster(client)) client.refreshSlotsCache();
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
        continue;
      }
      const [waitError, acked] = waited ?? [new Error('no reply to WAIT')];
      if (waitError) return { result: result as T, acked: 0, cause: waitError };
      return { result: result as T, acked: Number(acked) };
    }
  }
}

/** A consumer's shortfall report: one warning per `everyMs` with the count since the last one. */
export function shortfallWarner(
  warn: (fields: Record<string, unknown>, message: string) => void,
  everyMs = 5000,
): (s: ReplicationShortfall) => void {
  let last = 0;
  let unreported = 0;
  return (s) => {
    unreported += 1;
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    warn(
      { ...s, cause: s.cause?.message, writes: unreported },
      'writes not confirmed by a replica: they stand, but a failover of that master now would lose them',
    );
    unreported = 0;
  };
}
