// `demo --serve`: after the demo's checks, its deployment stays up for a person to look at: a
// consumer (in this process, with the review gate hook), the dashboard's demo workers, and `serve`
// on 127.0.0.1 with an API key made for this run and printed once. Ctrl-C (or SIGTERM) ends it.

import { randomBytes } from 'node:crypto';
import { type Consumer, createConsumer } from '../../consumers/consumer.js';
import { loadHttpConfig } from '../../http/config.js';
import { type RunningServer, startServer } from '../../http/main.js';
import { loadEnv } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import type { ConnectionSpec } from '../../lib/redis.js';
import type { Producer } from '../../producers/types.js';
import { UsageError } from '../args.js';
import { reviewGate, type SeededWorkers, seedDashboard } from './dashboard-seed.js';

export interface DemoServeOptions {
  port: number;
  connection: ConnectionSpec;
  /** REDIS_URL or REDIS_CLUSTER_NODES of the demo's Redis. */
  redisEnv: Record<string, string>;
  prefix: string;
  partitions: number;
  producer: Producer;
}

export interface DemoServer {
  url: string;
  /** `demo:<key>:write`: the key to paste into the login form (and to send as a Bearer key). */
  apiKey: string;
  seeded: SeededWorkers;
  stop(): Promise<void>;
}

export async function startDemoServer(opts: DemoServeOptions): Promise<DemoServer> {
  const logger = createLogger('warn');
  const consumer: Consumer = createConsumer({
    connection: opts.connection,
    prefix: opts.prefix,
    partitions: opts.partitions,
    hooks: { preResume: [reviewGate] },
    reconcileIntervalMs: 1000,
    logger,
  });
  let server: RunningServer | undefined;
  try {
    await consumer.start();
    const seeded = await seedDashboard(opts.producer, { resumedOnce: true });
    const apiKey = randomBytes(24).toString('hex');
    const env = loadEnv({
      ...opts.redisEnv,
      RESUME_PREFIX: opts.prefix,
      RESUME_PARTITIONS: String(opts.partitions),
      RECONCILE_INTERVAL_MS: '1000',
    });
    const config = loadHttpConfig({ API_KEYS: `demo:${apiKey}:write` });
    server = await startServer(
      { host: '127.0.0.1', port: opts.port, insecureNoAuth: false },
      env,
      config,
      logger,
    );
    const running = server;
    return {
      url: running.url,
      apiKey,
      seeded,
      async stop() {
        await running.stop();
        await consumer.stop();
      },
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await consumer.stop().catch(() => undefined);
    if ((err as { code?: unknown }).code === 'EADDRINUSE')
      throw new UsageError(`port ${opts.port} is taken: pass --port N (0 picks a free one)`, '--port');
    throw err;
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

export function servingText(s: DemoServer): string {
  return [
    '',
    `Dashboard: ${s.url}/dashboard   (bull-board: ${s.url}/admin/queues, API: ${s.url}/docs)`,
    `API key (write scope, this run only): ${s.apiKey}`,
    `  paste it into the login form, or: curl -H "Authorization: Bearer ${s.apiKey}" ${s.url}/v1/workers?status=suspended`,
    `  Prometheus metrics of the demo: curl -H "Authorization: Bearer ${s.apiKey}" ${s.url}/metrics`,
    `Demo workers: ${s.seeded.ids.length} suspended; ${s.seeded.overdue.join(', ')} become overdue within seconds`,
    '(a PreResume hook blocks their timeouts: resume one with input from its page).',
    'Ctrl-C stops the server, the consumer and the demo Redis.',
    '',
  ].join('\n');
}
