// Paged listings (`listWorkers` → { items, nextCursor }) from the sorted-set indexes: filters,
// order, cursors that survive concurrent changes, and refusals of bad filters.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerSummary } from '../../src/lib/policy/types.js';
import { createProducer } from '../../src/producers/producer.js';
import { createHarness, type Harness, listAll, sleep, targets } from '../support/harness.js';

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

describe.each(targets())('listing workers on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
  });
  afterEach(async () => h.close());

  const park = async (id: string, reason: string, timeoutMs?: number) => {
    await h.producer.registerWorker({ id, name: id, task: 't' });
    await h.producer.suspend(id, {
      reason,
      ...(timeoutMs === undefined ? {} : { conditions: { timeout: { duration_ms: timeoutMs } } }),
    });
  };

  it('filters by status, reason and suspension time, oldest first, a page at a time', async () => {
    await park('a', 'review');
    await sleep(5);
    const between = Date.now();
    await sleep(5);
    await park('b', 'review');
    await park('c', 'payment');
    await h.producer.registerWorker({ id: 'r', name: 'r', task: 't' });

    const ids = (page: { items: WorkerSummary[] }) => page.items.map((w) => w.id);
    expect(ids(await h.producer.listWorkers({ status: 'running' }))).toEqual(['r']);
    expect(ids(await h.producer.listWorkers({ status: 'suspended' }))).toEqual(['a', 'b', 'c']);
    expect(ids(await h.producer.listWorkers({ reason: 'review' }))).toEqual(['a', 'b']);
    expect(ids(await h.producer.listWorkers({ reason: 'review', suspendedAfter: between }))).toEqual(['b']);
    expect(ids(await h.producer.listWorkers({ suspendedBefore: new Date(between) }))).toEqual(['a']);
    expect(ids(await h.producer.listWorkers({ suspendedBefore: new Date(between).toISOString() }))).toEqual([
      'a',
    ]);
    // No filter: every status, by when each worker entered it.
    expect(ids(await h.producer.listWorkers())).toEqual(['a', 'b', 'c', 'r']);

    const first = await h.producer.listWorkers({ status: 'suspended', limit: 2 });
    expect(ids(first)).toEqual(['a', 'b']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await h.producer.listWorkers({
      status: 'suspended',
      limit: 2,
      cursor: first.nextCursor as string,
    });
    expect(ids(second)).toEqual(['c']);
    expect(second.nextCursor).toBeNull();

    // A worker that is resumed leaves the suspended listing and its reason's.
    await h.producer.close('a');
    expect(ids(await h.producer.listWorkers({ reason: 'review' }))).toEqual(['b']);
    expect(ids(await h.producer.listWorkers({ status: 'cancelled' }))).toEqual(['a']);
  });

  it('orders armed timeouts by deadline, and lists the overdue ones', async () => {
    await park('late', 'wait', 60_000);
    await park('soon', 'wait', 30_000);
    await park('none', 'wait');
    await park('due', 'wait', 50); // no consumer runs: it stays suspended past its deadline
    const ids = (page: { items: WorkerSummary[] }) => page.items.map((w) => w.id);
    expect(ids(await h.producer.listWorkers({ orderBy: 'deadline' }))).toEqual(['due', 'soon', 'late']);
    expect(ids(await h.producer.listWorkers({ deadlineBefore: Date.now() + 45_000 }))).toEqual([
      'due',
      'soon',
    ]);
    const watcher = createProducer({
      connection: h.connection,
      prefix: h.prefix,
      partitions: h.partitions,
      overdueGraceMs: 100,
    });
    try {
      await sleep(250);
      const overdue = await watcher.listWorkers({ overdue: true });
      expect(ids(overdue)).toEqual(['due']);
      expect(overdue.items[0]?.suspension?.deadline_ms).toBeLessThan(Date.now() - 100);
      // The default grace (2 s) has not passed yet.
      expect(ids(await h.producer.listWorkers({ overdue: true }))).toEqual([]);
    } finally {
      await watcher.disconnect();
    }
  });

  it('refuses bad filters and foreign cursors with RP-INVALID-INPUT, writing nothing', async () => {
    await park('x', 'wait');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      );
    expect(await code(h.producer.listWorkers({ limit: 0 }))).toBe('RP-INVALID-INPUT');
    expect(await code(h.producer.listWorkers({ limit: 1001 }))).toBe('RP-INVALID-INPUT');
    expect(await code(h.producer.listWorkers({ status: 'running', reason: 'wait' }))).toBe(
      'RP-INVALID-INPUT',
    );
    expect(await code(h.producer.listWorkers({ suspendedBefore: 'next tuesday' }))).toBe('RP-INVALID-INPUT');
    expect(await code(h.producer.listWorkers({ cursor: 'not-a-cursor' }))).toBe('RP-INVALID-INPUT');
    await park('y', 'wait');
    const page = await h.producer.listWorkers({ status: 'suspended', limit: 1 });
    const foreign = h.producer.listWorkers({ reason: 'wait', limit: 1, cursor: page.nextCursor as string });
    await expect(foreign).rejects.toMatchObject({
      code: 'RP-INVALID-INPUT',
      message: expect.stringMatching(/another filter/),
    });
  });
});

describe('paging through 10,000 suspended workers while they change', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('returns no worker twice and skips none that stayed suspended', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `w-${String(i).padStart(5, '0')}`);
    await inParallel(ids, 64, async (id) => {
      await h.producer.registerWorker({ id, name: 'w', task: 't' });
      await h.producer.suspend(id, { reason: 'batch' });
    });

    // While the pages are read: 1,000 of the workers are closed (they leave the listing) and 500
    // new ones are suspended (after the first page: not in this listing).
    const closed = new Set(ids.filter((_, i) => i % 10 === 3));
    const late = Array.from({ length: 500 }, (_, i) => `late-${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let changes: Promise<void> | null = null;
    do {
      const page = await h.producer.listWorkers({
        status: 'suspended',
        limit: 250,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((w) => w.id));
      cursor = page.nextCursor;
      pages += 1;
      changes ??= Promise.all([
        inParallel([...closed], 16, (id) => h.producer.close(id)),
        inParallel(late, 16, async (id) => {
          await h.producer.registerWorker({ id, name: 'late', task: 't' });
          await h.producer.suspend(id, { reason: 'batch' });
        }),
      ]).then(() => undefined);
    } while (cursor);
    await changes;

    expect(seen.length).toBe(new Set(seen).size); // no worker twice
    const stayed = ids.filter((id) => !closed.has(id));
    const got = new Set(seen);
    expect(stayed.filter((id) => !got.has(id))).toEqual([]); // none skipped that stayed
    expect(seen.filter((id) => id.startsWith('late-'))).toEqual([]); // suspended after the first page
    const known = new Set(ids);
    expect(seen.every((id) => known.has(id))).toBe(true);
    expect(pages).toBeGreaterThanOrEqual(36);
    // A fresh listing sees the final state.
    const after = await listAll(h.producer, { status: 'suspended' });
    expect(after).toHaveLength(stayed.length + late.length);
  }, 120_000);
});
