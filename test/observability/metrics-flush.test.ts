// The flush of a consumer's metric deltas to the fleet totals, on the test Redis: histogram sums stay
// exact across whole and fractional deltas, and a flush that fails keeps its deltas for the next.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/logger.js';
import { closeConnection, connect } from '../../src/lib/redis.js';
import { WorkerStore } from '../../src/lib/store/worker-store.js';
import { ConsumerMetrics } from '../../src/observability/metrics.js';
import { FLEET, seriesKey } from '../../src/observability/metrics-catalog.js';
import { MetricsFlush } from '../../src/observability/metrics-flush.js';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const flushTo = (metrics: ConsumerMetrics, store: WorkerStore) =>
  new MetricsFlush({ metrics, readings: store.metrics, intervalMs: 60_000, logger: silentLogger }).flush();

describe('the metrics flush', () => {
  it('adds whole and fractional sums exactly, and keeps the deltas of a failed flush', async () => {
    const metrics = new ConsumerMetrics();
    metrics.lockWait(0.25);
    metrics.hookDuration('PreResume', 0.5);
    await flushTo(metrics, h.store);
    // Whole deltas on fields that already hold fractions.
    metrics.lockWait(2);
    metrics.hookDuration('PreResume', 1);
    metrics.fencedCommit();
    await flushTo(metrics, h.store);

    // A flush over a connection that is gone fails; its deltas wait for the next one.
    const gone = connect(h.connection, 'store');
    await closeConnection(gone);
    const broken = new WorkerStore({ redis: gone, keys: h.keys });
    metrics.fencedCommit();
    metrics.resumeOutcome('resumed', '');
    await flushTo(metrics, broken);
    await flushTo(metrics, h.store);
    expect(metrics.takeDeltas().size).toBe(0);

    const totals = await h.store.metrics.totals();
    expect(Number(totals[`${FLEET.lockWait.name}_sum`])).toBeCloseTo(2.25, 10);
    expect(totals[`${FLEET.lockWait.name}_count`]).toBe('2');
    expect(totals[seriesKey(`${FLEET.lockWait.name}_bucket`, { le: '1' })]).toBe('1');
    expect(totals[seriesKey(`${FLEET.lockWait.name}_bucket`, { le: '+Inf' })]).toBe('2');
    expect(Number(totals[seriesKey(`${FLEET.hookDuration.name}_sum`, { hook: 'PreResume' })])).toBe(1.5);
    expect(totals[FLEET.fencedCommits.name]).toBe('2');
    expect(totals[seriesKey(FLEET.resumeOutcomes.name, { outcome: 'resumed', code: '' })]).toBe('1');
  });
});
