// `npm run bench -- --list`: the latency of one `listWorkers` page at growing populations of
// suspended workers (default 100,000 and 1,000,000, made through the real producer API, with
// their timeouts armed). Measured per population, each call timed alone from the producer's side
// (parse, one page script per partition, one MGET, decode): the first page of 100 by status, by
// reason and by deadline, and a walk of successive pages by status with the cursor; 50 unmeasured
// calls of each query first; timed in a fresh client process (bench/children/list-client.ts). P = 1.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';
import { createProducer } from '../../src/producers/producer.js';
import type { ListPoint } from '../children/list-client.js';
import { createSuspendedWorkers, SUSPEND_REASON } from '../lib/population.js';

export type { ListPoint };

export interface ListBenchConfig {
  sizes: number[];
  /** Calls per query and population. */
  calls: number;
  log: (msg: string) => void;
}

const PREFIX = 'blist';
const SETTLE_MS = 5000;
const CLIENT = fileURLToPath(new URL('../children/list-client.ts', import.meta.url));

export async function runListBench(cfg: ListBenchConfig): Promise<ListPoint[]> {
  let server: RedisServerHandle | undefined;
  const points: ListPoint[] = [];
  try {
    server = await startRedisServer();
    const producer = createProducer({ connection: server.url, prefix: PREFIX });
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
        // The builder's last garbage collection and Redis's incremental rehashing of the grown key
        // space run right after the population; let them settle before anything is timed.
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const measured = await measureInClient(server.url, size, cfg.calls);
        points.push(...measured);
        for (const p of measured)
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

/**
 * The pages are timed in a fresh process: the one that made the population holds its garbage (a
 * million ids and requests), and its collector's pauses would be measured as listing time.
 */
function measureInClient(url: string, suspended: number, calls: number): Promise<ListPoint[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT], {
      env: {
        ...process.env,
        REDIS_URL: url,
        BENCH_PREFIX: PREFIX,
        LIST_CALLS: String(calls),
        LIST_SUSPENDED: String(suspended),
        LIST_REASON: SUSPEND_REASON,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`list client exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '[]') as ListPoint[]);
    });
  });
}
