// serve's GET /metrics over real HTTP, after a real consumer did real work: resumes (one blocked by
// a hook, one refused), timeouts, a quarantined job, an overdue worker. Every series of the catalog
// is there, parses as the Prometheus text format, and shows what the work implies.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET, GAUGES } from '../../src/observability/metrics-catalog.js';
import { type Api, expectProblem, startApi } from '../http/support.js';
import { sleep, waitFor } from '../support/harness.js';
import { parseMetrics, type Scrape } from './metrics-text.js';

let api: Api;
beforeAll(async () => {
  api = await startApi({ consumer: false });
});
afterAll(async () => api.close());

const scrape = async (): Promise<Scrape> => {
  const answer = await api.call('GET', '/metrics', { key: 'read' });
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(answer.text);
};

const suspended = async (reason: string, timeoutMs?: number) => {
  const w = await api.h.producer.registerWorker({ name: 'w', task: 'work' });
  await api.h.producer.suspend(w.id, {
    reason,
    ...(timeoutMs ? { conditions: { timeout: { duration_ms: timeoutMs, on_timeout: 'fail' } } } : {}),
  });
  return w.id;
};

describe('GET /metrics on serve', () => {
  it('refuses a request without a key (401) or with a wrong one, answers a read key', async () => {
    expectProblem(await api.call('GET', '/metrics', { key: 'none' }), 401, 'RP-UNAUTHORIZED');
    expectProblem(await api.call('GET', '/metrics', { key: { bearer: 'nope' } }), 401, 'RP-UNAUTHORIZED');
    expect((await api.call('GET', '/metrics', { key: 'read' })).status).toBe(200);
  });

  it('shows every series with the values the work of a real consumer implies', async () => {
    const { h } = api;
    const consumer = await h.startConsumer({
      metricsFlushMs: 100,
      hooks: {
        preResume: [(p) => (p.resume_input === 'deny' ? { block: true, reason: 'not now' } : undefined)],
        postResume: [() => undefined],
      },
    });
    // Three resumed, one blocked by the hook, one refused (not suspended); two timeouts fire.
    const approvals = await Promise.all([1, 2, 3, 4].map(() => suspended('approval')));
    const parked = await suspended('waiting for CI');
    const timed = await Promise.all([1, 2].map(() => suspended('approval', 150)));
    const outcomes = await Promise.all([
      ...approvals.slice(0, 3).map(async (id) => (await h.producer.resume(id, 'go')).result()),
      (async () => (await h.producer.resume(approvals[3] ?? '', 'deny')).result())(),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['blocked', 'resumed', 'resumed', 'resumed']);
    const refused = await (await h.producer.resume(approvals[0] ?? '', 'again')).result();
    expect(refused).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
    for (const id of timed)
      await waitFor(`timeout of ${id}`, async () => (await h.producer.getWorker(id))?.status === 'failed');
    await h.store.indexes.quarantine(
      { queue: 'resume', jobId: 'poison-1', workerId: parked, deaths: 3, atMs: Date.now() },
      3600_000,
    );
    // The counts reach Redis on the periodic flush; a stopped consumer has flushed them all.
    await consumer.stop();
    // Overdue: a timeout due for longer than the grace (RECONCILE_INTERVAL_MS, 2 s) and no consumer.
    const overdue = await suspended('approval', 50);
    await sleep(2300);

    const m = await scrape();
    for (const def of [...Object.values(FLEET), ...Object.values(GAUGES)])
      expect(m.all(def.name).length + m.all(`${def.name}_count`).length, def.name).toBeGreaterThan(0);
    // Gauges, read from the indexes and queues now.
    expect(m.value(GAUGES.suspendedWorkers.name, { reason: 'approval' })).toBe(2); // 4th (blocked) + overdue
    expect(m.value(GAUGES.suspendedWorkers.name, { reason: 'waiting for CI' })).toBe(1);
    expect(m.all(GAUGES.suspendedWorkers.name).reduce((a, s) => a + s.value, 0)).toBe(3);
    expect(m.value(GAUGES.oldestSuspensionAge.name)).toBeGreaterThan(2);
    expect(m.value(GAUGES.overdueWorkers.name)).toBe(1);
    expect(m.value(GAUGES.quarantinedJobs.name)).toBe(1);
    expect(m.value(GAUGES.queueJobs.name, { queue: 'resume', state: 'completed' })).toBe(5);
    expect(m.value(GAUGES.queueJobs.name, { queue: 'timeout', state: 'completed' })).toBe(2);
    expect(m.value(GAUGES.queueJobs.name, { queue: 'tasks', state: 'waiting' })).toBe(3);
    expect(m.value(GAUGES.queueJobs.name, { queue: 'timeout', state: 'delayed' })).toBe(1);
    // The consumer's counters and histograms, as its flushes added them to the fleet totals.
    const outcome = (o: string, code: string) => m.value(FLEET.resumeOutcomes.name, { outcome: o, code });
    expect(outcome('resumed', '')).toBe(3);
    expect(outcome('blocked', 'pre_resume_denied')).toBe(1);
    expect(outcome('rejected', 'HARN-SUS-003')).toBe(1);
    expect(m.value(FLEET.timeouts.name, { outcome: 'failed' })).toBe(2);
    expect(m.value(`${FLEET.resumeLatency.name}_count`)).toBe(3);
    expect(m.value(`${FLEET.resumeLatency.name}_sum`)).toBeGreaterThan(0);
    expect(m.value(`${FLEET.resumeLatency.name}_bucket`, { le: '+Inf' })).toBe(3);
    expect(m.value(`${FLEET.timeoutLateness.name}_count`)).toBe(2);
    // Every resume and timeout took the lock (more than once when it raced: a refusal, a retry).
    expect(m.value(`${FLEET.lockWait.name}_count`)).toBeGreaterThanOrEqual(7);
    expect(m.value(`${FLEET.hookDuration.name}_count`, { hook: 'PreResume' })).toBeGreaterThanOrEqual(4);
    expect(m.value(`${FLEET.hookDuration.name}_count`, { hook: 'PostResume' })).toBe(3);
    expect(m.value(FLEET.fencedCommits.name)).toBeGreaterThanOrEqual(0);
    // Histogram buckets are cumulative and end at the count.
    const buckets = m.all(`${FLEET.lockWait.name}_bucket`).map((s) => s.value);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    // prom-client's default metrics of the serve process.
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    // A reason no worker has any more leaves the gauge (and the reasons set) at the next scrape.
    await api.h.producer.close(overdue);
    await api.h.producer.close(approvals[3] ?? '');
    const after = await scrape();
    expect(after.value(GAUGES.suspendedWorkers.name, { reason: 'approval' })).toBeUndefined();
    expect(after.value(GAUGES.overdueWorkers.name)).toBe(0);
  });
});
