// A consumer's metric deltas, as the flush takes them: a histogram's buckets are cumulative (each
// counts the observations at or under its bound), sums and counts exact, counters per label set;
// a take empties them and a restored take comes back whole.

import { describe, expect, it } from 'vitest';
import { ConsumerMetrics } from '../../src/observability/metrics.js';
import { FLEET, leText, seriesKey } from '../../src/observability/metrics-catalog.js';

describe('consumer metric deltas', () => {
  it('makes cumulative buckets, exact sums and per-label counters, then starts again from zero', () => {
    const metrics = new ConsumerMetrics();
    const values = [0, 0.0004, 0.02, 0.3, 0.3, 4, 1e9];
    for (const v of values) metrics.lockWait(v);
    metrics.hookDuration('PreResume', 0.5);
    metrics.resumeOutcome('resumed', '');
    metrics.resumeOutcome('resumed', '');
    metrics.resumeOutcome('rejected', 'HARN-SUS-003');

    const deltas = metrics.takeDeltas();
    const name = FLEET.lockWait.name;
    for (const bound of [...(FLEET.lockWait.buckets ?? []), Number.POSITIVE_INFINITY]) {
      const under = values.filter((v) => v <= bound).length;
      expect(deltas.get(seriesKey(`${name}_bucket`, { le: leText(bound) }))).toBe(
        under === 0 ? undefined : under,
      );
    }
    expect(deltas.get(`${name}_count`)).toBe(values.length);
    expect(deltas.get(`${name}_sum`)).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      6,
    );
    expect(deltas.get(seriesKey(`${FLEET.hookDuration.name}_count`, { hook: 'PreResume' }))).toBe(1);
    expect(deltas.get(seriesKey(FLEET.resumeOutcomes.name, { outcome: 'resumed', code: '' }))).toBe(2);
    expect(
      deltas.get(seriesKey(FLEET.resumeOutcomes.name, { outcome: 'rejected', code: 'HARN-SUS-003' })),
    ).toBe(1);

    expect(metrics.takeDeltas().size).toBe(0);
    metrics.restoreDeltas(deltas);
    metrics.lockWait(0.3);
    const again = metrics.takeDeltas();
    expect(again.get(`${name}_count`)).toBe(values.length + 1);
    expect(again.get(seriesKey(`${name}_bucket`, { le: '+Inf' }))).toBe(values.length + 1);
  });
});
