// `npm run bench -- --list`: the latency of one `listWorkers` page at growing populations of
// suspended workers (default 100,000 and 1,000,000, made through the real producer API, with
// their timeouts armed). Measured per population, each call timed alone from the producer's side
// (parse, one page script per partition, one MGET, decode): the first page of 100 by status, by
// reason and by deadline, and a walk of successive pages by status with the cursor; 20 unmeasured
// calls per query first. P = 1.

import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';
import type { ListFilter } from '../../src/producers/listing.js';
import { createProducer } from '../../src/producers/producer.js';
import { createSuspendedWorkers, SUSPEND_REASON } from '../lib/population.js';
import { percentile } from '../lib/stats.js';

export interface ListPoint {
  suspended: number;
  query: string;
  calls: number;
  itemsPerPage: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ListBenchConfig {
  sizes: number[];
  /** Calls per query and population. */
  calls: number;
  log: (msg: string) => void;
}

export async function runListBench(cfg: ListBenchConfig): Promise<ListPoint[]> {
  let server: RedisServerHandle | undefined;
  const points: ListPoint[] = [];
  try {
    server = await startRedisServer();
    const producer = createProducer({ connection: server.url, prefix: 'blist' });
    try {
      let have = 0;
      for (const size of [...cfg.sizes].sort((a, b) => a - b)) {
        const ids = Array.from({ length: size - have }, (_, i) => `l-${String(have + i).padStart(7, '0')}`);
        const t0 = Date.now();
        await createSuspendedWorkers(producer, ids);
        have = size;
        cfg.log(
          `list bench: ${size} suspended workers (${Math.round((ids.length / (Date.now() - t0)) * 1000)}/s setup)`,
        );
        const queries: [string, ListFilter][] = [
          ['first page, status suspended', { status: 'suspended' }],
          ['first page, reason', { reason: SUSPEND_REASON }],
          ['first page, by deadline', { orderBy: 'deadline' }],
        ];
        for (const [query, filter] of queries) {
          for (let i = 0; i < 20; i++) await producer.listWorkers(filter); // warm-up, not measured
          const ms: number[] = [];
          let items = 0;
          for (let i = 0; i < cfg.calls; i++) {
            const t = performance.now();
            const page = await producer.listWorkers(filter);
            ms.push(performance.now() - t);
            items = page.items.length;
          }
          points.push(point(size, query, ms, items));
        }
        // Successive pages with the cursor, from the start of the listing.
        const ms: number[] = [];
        let cursor: string | null = null;
        let items = 0;
        for (let i = 0; i < cfg.calls; i++) {
          const t = performance.now();
          const page = await producer.listWorkers({ status: 'suspended', ...(cursor ? { cursor } : {}) });
          ms.push(performance.now() - t);
          items = page.items.length;
          cursor = page.nextCursor;
        }
        points.push(point(size, 'next page (cursor walk), status suspended', ms, items));
        for (const p of points.filter((x) => x.suspended === size))
          cfg.log(`list bench: N=${size} ${p.query}: p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms`);
      }
    } finally {
      await producer.disconnect();
    }
  } finally {
    await server?.stop();
  }
  return points;
}

function point(suspended: number, query: string, ms: number[], itemsPerPage: number): ListPoint {
  const sorted = [...ms].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    suspended,
    query,
    calls: ms.length,
    itemsPerPage,
    p50Ms: r(percentile(sorted, 50)),
    p99Ms: r(percentile(sorted, 99)),
    maxMs: r(sorted[sorted.length - 1] ?? 0),
  };
}
