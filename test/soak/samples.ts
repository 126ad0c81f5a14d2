// What the soak samples every few seconds (Redis memory, its client connections, the resident
// memory of the consumer that is never killed, the bytes of history the workload asked Redis to
// keep) and how growth is judged: the mean of the first
// minute after the warm-up against the mean of the last minute, plus a least-squares slope over the
// whole measured span for the report.

import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { WorkerStore } from '../../src/lib/store/worker-store.js';

export interface Sample {
  /** ms since the steady phase began. */
  t: number;
  redisUsedBytes: number;
  /** Bytes of the workers' stored history (every applied resume input, kept by design). */
  historyBytes: number;
  redisRssBytes: number;
  clients: number;
  /** Resident memory of the consumer that is never killed, in bytes (null: not readable). */
  probeRssBytes: number | null;
  respawns: number;
  requests: number;
}

export async function redisFigures(
  admin: Redis,
): Promise<Pick<Sample, 'redisUsedBytes' | 'redisRssBytes' | 'clients'>> {
  const [memory, clients] = await Promise.all([admin.info('memory'), admin.client('LIST')]);
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(memory)?.[1] ?? Number.NaN);
  return {
    redisUsedBytes: field('used_memory'),
    redisRssBytes: field('used_memory_rss'),
    clients: String(clients).trim().split('\n').length,
  };
}

/** The stored size of every worker's history (the JSON array the record keeps), summed. */
export async function historyBytes(store: WorkerStore, ids: readonly string[]): Promise<number> {
  const snapshots = await Promise.all(ids.map((id) => store.read(id)));
  return snapshots.reduce(
    (n, s) => n + (s && s.record.history.length > 0 ? JSON.stringify(s.record.history).length : 0),
    0,
  );
}

export function processRssBytes(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

export interface Growth {
  /** Mean of the first window after the warm-up. */
  first: number;
  /** Mean of the last window. */
  last: number;
  /** last / first - 1, in percent. */
  growthPct: number;
  /** Least-squares slope over the measured span, extrapolated to the span, in percent of `first`. */
  trendPct: number;
}

export function growth(
  samples: readonly Sample[],
  pick: (s: Sample) => number | null,
  fromMs: number,
  windowMs: number,
): Growth | null {
  const measured = samples.filter((s) => s.t >= fromMs && pick(s) !== null);
  if (measured.length < 4) return null;
  const end = measured[measured.length - 1]?.t ?? fromMs;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(measured.filter((s) => s.t < fromMs + windowMs).map((s) => pick(s) as number));
  const last = mean(measured.filter((s) => s.t > end - windowMs).map((s) => pick(s) as number));
  const xs = measured.map((s) => s.t);
  const ys = measured.map((s) => pick(s) as number);
  const mx = mean(xs);
  const my = mean(ys);
  const slope =
    xs.reduce((n, x, i) => n + (x - mx) * ((ys[i] as number) - my), 0) /
    Math.max(
      1,
      xs.reduce((n, x) => n + (x - mx) ** 2, 0),
    );
  const pct = (v: number) => Math.round(v * 1000) / 10;
  return {
    first: Math.round(first),
    last: Math.round(last),
    growthPct: pct(last / first - 1),
    trendPct: pct((slope * (end - fromMs)) / first),
  };
}
