// `npm run screenshots`: regenerates docs/dashboard/*.png. A private redis-server, a consumer with
// the demo's review gate, the demo's dashboard workers plus a few minutes of traffic (so the
// overview's per-minute charts have points), `serve` with a key of this run, and Debian's Chromium
// (playwright-core) logging in and photographing the list, a worker's page and the overview.
//
//   npm run screenshots                # about 3 minutes of traffic
//   npm run screenshots -- --minutes 1

import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reviewGate, seedDashboard } from '../src/cli/demo/dashboard-seed.js';
import { createConsumer } from '../src/consumers/consumer.js';
import { loadHttpConfig } from '../src/http/config.js';
import { startServer } from '../src/http/main.js';
import { loadEnv } from '../src/lib/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startRedisServer } from '../src/lib/redis-server.js';
import { createProducer } from '../src/producers/producer.js';
import type { Producer } from '../src/producers/types.js';
import { launchChromium } from '../test/support/chromium.js';

const OUT = fileURLToPath(new URL('../docs/dashboard/', import.meta.url));
const KEY = 'screenshots-key-0123456789abcdef';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '3' } } });
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes < 0) throw new Error('--minutes must be a number >= 0');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Workers that come and go: resumed by a person, or by a short timeout, a few every second. */
async function traffic(producer: Producer, untilMs: number): Promise<void> {
  let n = 0;
  while (Date.now() < untilMs) {
    const id = `ticket-${++n}`;
    await producer.registerWorker({ id, name: 'support agent', task: `answer ticket ${n}` });
    const byTimeout = n % 3 === 0;
    await producer.suspend(id, {
      reason: 'asked a human',
      initiator: 'self',
      ...(byTimeout ? { conditions: { timeout: { duration_ms: 300 + (n % 7) * 100 } } } : {}),
    });
    if (!byTimeout) await producer.resume(id, `answer to ticket ${n}`);
    await sleep(150 + (n % 5) * 60);
  }
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const prefix = 'shots';
  const logger = createLogger('warn');
  const producer = createProducer({ connection: redis.url, prefix });
  const consumer = createConsumer({
    connection: redis.url,
    prefix,
    hooks: { preResume: [reviewGate] },
    reconcileIntervalMs: 1000,
    logger,
  });
  await consumer.start();
  const env = loadEnv({ REDIS_URL: redis.url, RESUME_PREFIX: prefix, RECONCILE_INTERVAL_MS: '1000' });
  const server = await startServer(
    { host: '127.0.0.1', port: 0, insecureNoAuth: false },
    env,
    loadHttpConfig({ API_KEYS: `ops:${KEY}:write` }),
    logger,
  );
  const browser = await launchChromium();
  try {
    process.stderr.write(`screenshots: ${minutes} min of traffic on ${server.url}\n`);
    await traffic(producer, Date.now() + minutes * 60_000);
    await seedDashboard(producer, { resumedOnce: true });
    await sleep(4000); // the review workers' timeouts fire, are blocked, and count as overdue
    mkdirSync(OUT, { recursive: true });
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto('/dashboard/login');
    await page.fill('input[name=key]', KEY);
    await Promise.all([page.waitForURL('**/dashboard'), page.click('button[type=submit]')]);
    await page.goto('/dashboard?status=suspended&order=age');
    await page.screenshot({ path: `${OUT}workers.png`, fullPage: true });
    await page.goto('/dashboard/workers/approval-vendor-7');
    await page.screenshot({ path: `${OUT}worker.png`, fullPage: true });
    await page.goto('/dashboard/overview');
    await page.locator('#chart-rates canvas').waitFor();
    await page.screenshot({ path: `${OUT}overview.png`, fullPage: true });
    process.stderr.write(`screenshots: wrote workers.png, worker.png, overview.png to ${OUT}\n`);
  } finally {
    await browser.close();
    await server.stop();
    await consumer.stop();
    await producer.disconnect();
    await redis.stop();
  }
}

await main();
