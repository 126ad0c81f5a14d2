// Clock skew: BullMQ promotes a delayed job by the clock of the consumer that fetches it, so a
// consumer whose clock runs 5 s ahead takes timeout jobs 5 s early. The consumer checks the deadline
// against Redis's own clock (TIME) and waits until it has passed: no timeout fires before its
// deadline, whichever consumer takes it; one whose clock runs behind only makes them late when it is
// the only consumer. Real consumer processes, their Date.now shifted (TEST_CLOCK_SKEW_MS).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, sleep } from '../support/harness.js';

describe('clock skew between consumers and Redis', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  /** Suspends `n` workers with timeouts due in `inMs`; returns id -> deadline (ms, this host's clock). */
  const park = async (prefix: string, n: number, inMs: number) => {
    const deadlines = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const id = `${prefix}-${i}`;
      await h.producer.registerWorker({ id, name: id, task: 't' });
      const s = await h.producer.suspend(id, {
        reason: 'wait',
        conditions: { timeout: { duration_ms: inMs } },
      });
      deadlines.set(id, s.suspension?.deadline_ms as number);
    }
    return deadlines;
  };

  /** Polls until every worker is running; returns id -> when it was first seen running. */
  const firedAt = async (ids: string[], withinMs: number) => {
    const seen = new Map<string, number>();
    const until = Date.now() + withinMs;
    while (seen.size < ids.length && Date.now() < until) {
      const workers = await Promise.all(
        ids.filter((id) => !seen.has(id)).map((id) => h.producer.getWorker(id)),
      );
      const now = Date.now();
      for (const w of workers) if (w?.status === 'running') seen.set(w.id, now);
      await sleep(20);
    }
    return seen;
  };

  /** Every timeout fired, none before its deadline, each within 2 s after it, one respawn each. */
  const expectOnTime = async (deadlines: Map<string, number>) => {
    const seen = await firedAt([...deadlines.keys()], 20_000);
    expect(seen.size).toBe(deadlines.size);
    for (const [id, deadline] of deadlines) {
      expect(seen.get(id)).toBeGreaterThanOrEqual(deadline);
      expect((seen.get(id) as number) - deadline).toBeLessThan(2000);
    }
    expect((await h.respawnJobIds()).length).toBe(deadlines.size);
  };

  it('a consumer 5 s ahead: no timeout fires before its deadline', async () => {
    await h.spawnConsumer({ TEST_CLOCK_SKEW_MS: '5000' });
    const deadlines = await park('ahead', 20, 2000);
    await expectOnTime(deadlines);
  });

  it('one consumer 5 s ahead and one 5 s behind: on time, none early, none lost', async () => {
    await h.spawnConsumer({ TEST_CLOCK_SKEW_MS: '5000' });
    await h.spawnConsumer({ TEST_CLOCK_SKEW_MS: '-5000' });
    const deadlines = await park('mixed', 30, 1500);
    await expectOnTime(deadlines);
  });

  it('only a consumer 5 s behind: late by about the skew, none lost', async () => {
    await h.spawnConsumer({ TEST_CLOCK_SKEW_MS: '-5000' });
    const deadlines = await park('behind', 10, 500);
    const seen = await firedAt([...deadlines.keys()], 20_000);
    expect(seen.size).toBe(10);
    for (const [id, deadline] of deadlines) {
      const late = (seen.get(id) as number) - deadline;
      expect(late).toBeGreaterThanOrEqual(4000);
      expect(late).toBeLessThan(8000);
    }
  });
});
