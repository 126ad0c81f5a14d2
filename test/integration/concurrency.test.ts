// Many duplicate resumes through several consumers: exactly one wins per suspension.

import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerOptions } from '../../src/consumers/consumer.js';
import type { ResumeOutcome } from '../../src/lib/policy/types.js';
import { clusterTarget, createHarness, type Harness, redisUrl, serverTarget } from '../support/harness.js';

describe('concurrent duplicate resumes', () => {
  let h: Harness;
  afterEach(async () => h.close());

  const inProcess = (opts: Partial<ConsumerOptions>) => async (x: Harness) => {
    await Promise.all([x.startConsumer(opts), x.startConsumer(opts), x.startConsumer(opts)]);
  };
  const processes = async (x: Harness) => {
    await Promise.all([x.spawnConsumer(), x.spawnConsumer(), x.spawnConsumer()]);
  };
  it.each([
    ['one server, the lock kept with the worker', serverTarget, inProcess({})],
    ['one server, a Redlock quorum (REDLOCK_URLS)', serverTarget, inProcess({ redlockUrls: [redisUrl()] })],
    ['a Redis Cluster (6 partitions over 3 masters), three consumer processes', clusterTarget, processes],
  ])(
    '200 workers resumed 3 times each through 3 consumers, %s: 200 respawns, 400 HARN-SUS-003',
    async (_case, target, start) => {
      h = await createHarness(target());
      await start(h);
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const w = await h.producer.registerWorker({ name: `w${i}`, task: 'work' });
        await h.producer.suspend(w.id, { reason: 'park', conditions: { timeout: { duration_ms: 120_000 } } });
        ids.push(w.id);
      }
      const tickets = await Promise.all(
        ids.flatMap((id) => [1, 2, 3].map((n) => h.producer.resume(id, `input ${n}`))),
      );
      const outcomes: ResumeOutcome[] = await Promise.all(
        tickets.map((t) => t.result({ timeoutMs: 60_000 })),
      );

      const resumed = outcomes.filter((o) => o.outcome === 'resumed');
      const rejected = outcomes.filter((o) => o.outcome === 'rejected');
      expect(resumed).toHaveLength(200);
      expect(rejected).toHaveLength(400);
      for (const o of rejected) if (o.outcome === 'rejected') expect(o.error.code).toBe('HARN-SUS-003');
      expect(new Set(resumed.map((o) => o.worker.id)).size).toBe(200);

      const respawns = await h.respawnJobIds();
      expect(respawns).toHaveLength(200);
      expect(new Set(respawns)).toEqual(
        new Set(resumed.map((o) => (o.outcome === 'resumed' ? o.respawnJobId : ''))),
      );
      for (const id of ids) {
        const r = await h.producer.getRecord(id);
        expect(r?.status).toBe('running');
        expect(r?.history).toHaveLength(1);
        // Every lock was released.
        expect(await h.redis.exists(h.store.lockKey(id))).toBe(0);
      }
    },
  );
});
