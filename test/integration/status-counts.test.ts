// Workers per status for the dashboard's overview, summed over the partitions (one server, and a
// cluster whose six partitions are counted at once).

import { afterEach, describe, expect, it } from 'vitest';
import { countByStatus } from '../../src/lib/store/status-counts.js';
import { createHarness, type Harness, type Target, targets } from '../support/harness.js';

describe.each(targets())('countByStatus on %s', (_name, target: Target) => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('counts every worker once, whatever its partition', async () => {
    h = await createHarness(target);
    const ids = Array.from({ length: 24 }, (_, i) => `count-${i}`);
    for (const id of ids) await h.producer.registerWorker({ id, name: id, task: 'count me' });
    for (const id of ids.slice(0, 10)) await h.producer.suspend(id, { reason: 'waiting' });
    for (const id of ids.slice(10, 13)) await h.producer.close(id);
    const counts = await countByStatus(h.redis, h.keys);
    expect(counts).toMatchObject({ running: 11, suspended: 10, cancelled: 3, failed: 0, completed: 0 });
    expect(new Set(ids.map((id) => h?.keys.partitionOf(id))).size).toBe(h.partitions);
  });
});
