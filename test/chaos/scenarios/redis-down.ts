// Scenario 7: Redis down. (a) At start: a consumer process and a producer start against a port where
// nothing listens; the consumer must stay up, log a clear error and retry with backoff, then work once
// Redis starts; the producer must fail fast with a clear (typed) error, then work without a restart.
// (b) Mid-run: Redis is SIGKILLed for several seconds under load; producer calls fail fast, consumers
// log and retry, and after the restart (from the AOF) all work completes.

import { randomUUID } from 'node:crypto';
import { createProducer, type Producer, ResumeProcessorError } from '../../../src/index.js';
import { freePort, type RedisServerHandle, startRedisServer } from '../../../src/lib/redis-server.js';
import type { ProducerError } from '../driver.js';
import { adopt, type ConsumerSettings, consumerEnv, release } from '../env.js';
import { ConsumerProcess, LogBook } from '../processes.js';
import { sleep } from '../rng.js';
import { loadSize } from '../sizes.js';
import { type Check, check, type Figure, type Scenario, SERVER_ONLY } from '../types.js';
import { type Fault, result, runLoadScenario } from './load.js';
import { activeJobs, outageRecovery } from './recovery.js';

const SETTINGS: ConsumerSettings = {
  concurrency: 8,
  lockTtlMs: 2000,
  stalledIntervalMs: 2000,
  reconcileIntervalMs: 500,
};
// "Fail fast" = a definite error well before a caller's own timeout. The producer gives up after one
// failed reconnect, and ioredis' backoff grows to ~2 s: up to ~4 s was measured; 10 s leaves slack
// for a loaded CI machine while still telling a failure from a hang (a hang is cut at 30 s).
const FAIL_FAST_MS = 10_000;

interface Probe {
  op: string;
  ms: number;
  hung: boolean;
  code: string | null;
  error: string;
}

const clearError = (p: { code: string | null; error: string }) => p.code !== null && /redis/i.test(p.error);

/** Error log lines per second of the consumer over [from, to]: a hot reconnect loop shows up here. */
function errorRate(logs: LogBook, from: number, to: number): number {
  const n = logs.problemLines.filter((l) => l.at >= from && l.at <= to).length;
  return (n * 1000) / Math.max(1, to - from);
}

async function downAtStart(downMs: number) {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const prefix = `down-${randomUUID().slice(0, 6)}`;
  const logs = new LogBook();
  const startedAt = Date.now();
  const consumer = new ConsumerProcess(
    'c-down',
    { url, prefix, env: { ...consumerEnv(SETTINGS), LOG_LEVEL: 'info' } },
    logs,
  );
  const producer = createProducer({ connection: url, prefix });
  let server: RedisServerHandle | undefined;
  try {
    return await probeDownAtStart({
      downMs,
      port,
      startedAt,
      consumer,
      producer,
      logs,
      setServer: (h) => (server = h),
    });
  } finally {
    await consumer.stop();
    await producer.disconnect().catch(() => {});
    if (server) await release(server);
  }
}

interface DownAtStart {
  downMs: number;
  port: number;
  startedAt: number;
  consumer: ConsumerProcess;
  producer: Producer;
  logs: LogBook;
  setServer(h: RedisServerHandle): void;
}

async function probeDownAtStart(ctx: DownAtStart) {
  const { downMs, port, startedAt, consumer, producer, logs } = ctx;
  const probes: Probe[] = [];
  const calls: [string, () => Promise<unknown>][] = [
    ['registerWorker', () => producer.registerWorker({ name: 'n', task: 't' })],
    ['suspend', () => producer.suspend('w1', { reason: 'r' })],
    ['resume', () => producer.resume('w1', 'go')],
    ['deliverEvent', () => producer.deliverEvent({ provider: 'p', kind: 'k', id: 'e' })],
    ['close', () => producer.close('w1')],
    ['getWorker', () => producer.getWorker('w1')],
    ['listWorkers', () => producer.listWorkers()],
  ];
  for (const [op, fn] of calls) {
    const t = Date.now();
    const guard = sleep(30_000).then(() => 'hung' as const);
    const r = await Promise.race([
      fn().then(
        () => 'ok' as const,
        (e: unknown) => e,
      ),
      guard,
    ]);
    probes.push({
      op,
      ms: Date.now() - t,
      hung: r === 'hung',
      code: r instanceof ResumeProcessorError ? r.code : null,
      error: r instanceof Error ? `${r.constructor.name}: ${r.message.slice(0, 160)}` : String(r),
    });
  }
  const remaining = downMs - (Date.now() - startedAt);
  if (remaining > 0) await sleep(remaining);
  const downEnd = Date.now();
  const aliveWhileDown = consumer.alive;
  ctx.setServer(adopt(await startRedisServer({ port, appendonly: true })));
  const upAt = Date.now();
  const ready = await Promise.race([
    consumer.ready.then(
      () => true,
      () => false,
    ),
    sleep(20_000).then(() => false),
  ]);
  const readyAfterMs = consumer.readyAt ? consumer.readyAt - upAt : null;
  let probeOutcome = 'not tried';
  try {
    const w = await producer.registerWorker({ name: 'after', task: 't' });
    await producer.suspend(w.id, { reason: 'park' });
    const outcome = await (await producer.resume(w.id, 'go after the outage')).result({ timeoutMs: 20_000 });
    probeOutcome = outcome.outcome;
  } catch (err) {
    probeOutcome = `error ${String(err).slice(0, 160)}`;
  }
  const structured = logs.problemLines.filter((l) => l.at <= downEnd);
  const clear = structured.filter((l) => /redis|ECONNREFUSED/i.test(`${l.msg} ${l.errMessage ?? ''}`));
  const lateRate = errorRate(logs, startedAt + downMs / 2, downEnd);
  const checks: Check[] = [
    check(
      'start: consumer-survives',
      aliveWhileDown,
      `the consumer stayed up for ${downMs} ms without Redis`,
    ),
    check(
      'start: consumer-logs-clear-error',
      clear.length > 0,
      `${structured.length} structured warn/error lines, ${clear.length} saying Redis is unreachable; e.g. ${clear[0] ? `"${clear[0].msg}: ${clear[0].errMessage}"` : 'none'}`,
    ),
    check(
      'start: consumer-retries-with-backoff',
      lateRate <= 10,
      `warn/error lines per second in the second half of the outage: ${lateRate.toFixed(1)} (≤ 10: backoff, not a hot loop)`,
    ),
    check(
      'start: consumer-recovers',
      ready && probeOutcome === 'resumed',
      `ready ${readyAfterMs ?? '-'} ms after Redis started; a resume through the producer created while Redis was down: ${probeOutcome}`,
    ),
    check(
      'start: producer-fails-fast',
      probes.every((p) => !p.hung && p.ms <= FAIL_FAST_MS),
      `every producer call failed within ${FAIL_FAST_MS} ms (slowest ${Math.max(...probes.map((p) => p.ms))} ms)`,
      probes.filter((p) => p.hung || p.ms > FAIL_FAST_MS).map((p) => `${p.op}: ${p.ms} ms`),
    ),
    check(
      'start: producer-error-is-clear',
      probes.every(clearError),
      'every producer call failed with a typed error (a code) naming Redis',
      probes.filter((p) => !clearError(p)).map((p) => `${p.op}: ${p.error}`),
    ),
    check(
      'start: consumer-output-structured',
      logs.rawLines === 0,
      `unstructured stderr lines while Redis was down: ${logs.rawLines} (${logs.unhandledIoredis} "[ioredis] Unhandled error event")`,
      logs.tail.filter((l) => !l.includes('{"level"')).slice(0, 3),
      'warn',
    ),
  ];
  const figures: Record<string, Figure> = {
    downMs,
    producerProbes: probes.map((p) => `${p.op}: ${p.ms} ms, ${p.code ?? 'no code'}, ${p.error}`),
    consumerErrorLines: structured.length,
    consumerRawLines: logs.rawLines,
    problemLinesPerSecLateOutage: Number(lateRate.toFixed(2)),
    consumerReadyAfterRedisMs: readyAfterMs,
  };
  return { checks, figures };
}

function midRunOutage(afterMs: number, downMs: number): Fault {
  return {
    async run(env, _driving, _rng, driver) {
      await sleep(afterMs);
      const active = await activeJobs(env);
      const downAt = Date.now();
      await env.redis.kill('SIGKILL');
      await sleep(downMs);
      await env.redis.restart();
      const upAt = Date.now();
      const during = () => driver.errors.filter((e: ProducerError) => e.at >= downAt && e.at <= upAt);
      return {
        figures: { outage: { mode: 'sigkill', downMs: upAt - downAt, activeAtOutage: active.length } },
        moreFigures: (ledger) => ({
          ...outageRecovery(ledger, env.logs, active, downAt, upAt),
          consumerErrorLinesDuringOutage: env.logs.problemLines.filter(
            (l) => l.at >= downAt && l.at <= upAt + 500,
          ).length,
        }),
        checks: () => {
          const errs = during();
          const slow = errs.filter((e) => e.elapsedMs > FAIL_FAST_MS);
          const unclear = errs.filter((e) => !clearError({ code: e.code, error: `${e.name}: ${e.message}` }));
          const logged = env.logs.problemLines.filter((l) => l.at >= downAt && l.at <= upAt + 500);
          return [
            check(
              'mid-run: producer-fails-fast',
              errs.length > 0 && slow.length === 0,
              `${errs.length} producer calls failed during the outage, slowest after ${Math.max(0, ...errs.map((e) => e.elapsedMs))} ms (bound ${FAIL_FAST_MS})`,
              slow.map((e) => `${e.op}: ${e.elapsedMs} ms`),
            ),
            check(
              'mid-run: producer-error-is-clear',
              unclear.length === 0,
              `producer errors during the outage are typed and name Redis (${unclear.length} are not)`,
              unclear.slice(0, 3).map((e) => `${e.op}: ${e.name} ${e.code ?? ''} ${e.message}`),
            ),
            check(
              'mid-run: consumers-log-the-outage',
              logged.length > 0,
              `${logged.length} structured warn/error lines from consumers during the outage`,
            ),
          ];
        },
      };
    },
  };
}

export const redisDown: Scenario = {
  name: 'redis-down',
  title: 'Redis down at start and gone mid-run: clear errors, backoff, recovery, fail-fast producer',
  targets: SERVER_ONLY,
  serverOnly:
    'it starts the one server late and SIGKILLs it mid-run; a cluster loses a server by failing over to a ' +
    'replica, which test/chaos/failover-run.ts covers (docs/reliability.md §5)',
  async run(ctx) {
    const started = Date.now();
    const downMs = ctx.size === 'full' ? 10_000 : 5000;
    ctx.log('redis-down: (a) Redis down at start');
    const a = await downAtStart(downMs);
    ctx.log('redis-down: (b) Redis SIGKILLed mid-run');
    const size = loadSize(ctx.size, { suspensions: ctx.size === 'full' ? 1000 : 200 });
    const b = await runLoadScenario(
      'redis-down',
      redisDown.title,
      ctx,
      size,
      midRunOutage(size.driveMs * 0.3, downMs),
    );
    return result(
      'redis-down',
      redisDown.title,
      started,
      { downMs, ...b.params },
      { ...b.figures, atStart: a.figures },
      [
        ...a.checks,
        ...b.checks.map((c) => (c.id.startsWith('mid-run') ? c : { ...c, id: `mid-run: ${c.id}` })),
      ],
    );
  },
};
