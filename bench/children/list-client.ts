// The list bench's client: a fresh process (a dashboard or an API server, not the process that made
// a million workers) that times `listWorkers` pages against the population the parent made. Env:
// REDIS_URL, BENCH_PREFIX, LIST_CALLS, LIST_SUSPENDED, LIST_REASON. Prints its points as one JSON
// line on stdout.

import type { ListFilter } from '../../src/producers/listing.js';
import { createProducer } from '../../src/producers/producer.js';
import { percentile } from '../lib/stats.js';
import { env, envInt } from './runtime.js';

export interface ListPoint {
  suspended: number;
  query: string;
  calls: number;
  itemsPerPage: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const suspended = envInt('LIST_SUSPENDED', 0);
const calls = envInt('LIST_CALLS', 200);
const producer = createProducer({ connection: env('REDIS_URL'), prefix: env('BENCH_PREFIX') });
const points: ListPoint[] = [];
try {
  const queries: [string, ListFilter][] = [
    ['first page, status suspended', { status: 'suspended' }],
    ['first page, reason', { reason: env('LIST_REASON') }],
    ['first page, by deadline', { orderBy: 'deadline' }],
  ];
  // Warm-up, not measured: the process is new, a server that lists is not (JIT, connections).
  for (let i = 0; i < 50; i++) for (const [, filter] of queries) await producer.listWorkers(filter);
  for (const [query, filter] of queries) {
    const ms: number[] = [];
    let items = 0;
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      const page = await producer.listWorkers(filter);
      ms.push(performance.now() - t);
      items = page.items.length;
    }
    points.push(point(query, ms, items));
  }
  // Successive pages with the cursor, from the start of the listing.
  const ms: number[] = [];
  let cursor: string | null = null;
  let items = 0;
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    const page = await producer.listWorkers({ status: 'suspended', ...(cursor ? { cursor } : {}) });
    ms.push(performance.now() - t);
    items = page.items.length;
    cursor = page.nextCursor;
  }
  points.push(point('next page (cursor walk), status suspended', ms, items));
} finally {
  await producer.disconnect();
}
process.stdout.write(`${JSON.stringify(points)}\n`);

function point(query: string, ms: number[], itemsPerPage: number): ListPoint {
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
