// Tracing off (no SDK registered): no trace context is written anywhere, checked on the Redis data
// itself: the record, the resume, timeout and respawn jobs, whatever key of the deployment.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Tracing } from '../../src/observability/tracing.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

/** Every string value under the deployment's keys (strings, hashes, lists, sets, sorted sets). */
async function everyValue(h: Harness): Promise<string[]> {
  const values: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await h.redis.scan(cursor, 'MATCH', `*${h.prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await h.redis.type(key);
      if (type === 'string') values.push((await h.redis.get(key)) ?? '');
      else if (type === 'hash') values.push(...Object.values(await h.redis.hgetall(key)));
      else if (type === 'list') values.push(...(await h.redis.lrange(key, 0, -1)));
      else if (type === 'zset') values.push(...(await h.redis.zrange(key, 0, -1)));
      else if (type === 'set') values.push(...(await h.redis.smembers(key)));
      else if (type === 'stream')
        values.push(...(await h.redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields));
    }
  } while (cursor !== '0');
  return values;
}

describe('tracing off', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('is off without an SDK', () => {
    expect(Tracing.fromGlobal().on).toBe(false);
  });

  it('writes no traceparent into records or jobs', async () => {
    await h.startConsumer({ onRespawn: () => undefined });
    const a = await h.producer.registerWorker({ name: 'a', task: 'one' });
    const b = await h.producer.registerWorker({ name: 'b', task: 'two' });
    await h.producer.suspend(a.id, { reason: 'park', conditions: { timeout: { duration_ms: 60_000 } } });
    await h.producer.suspend(b.id, { reason: 'nap', conditions: { timeout: { duration_ms: 100 } } });
    // The suspended record, with its armed timeout job, before anything resumes it.
    const armed = await everyValue(h);
    // (the record's reason, the timeout job's payload: the scan does see them)
    expect(armed.join('\n')).toContain('"park"');
    expect(armed.join('\n')).toContain(`"workerId":"${b.id}","epoch"`);
    const resumed = await (await h.producer.resume(a.id, 'go', null, { idempotencyKey: 'k1' })).result();
    expect(resumed.outcome).toBe('resumed');
    await waitFor(
      'the timeout to resume b',
      async () => (await h.producer.getWorker(b.id))?.status === 'running',
    );
    await waitFor('both respawns', async () => (await h.respawnJobIds()).length === 2);
    const values = [...armed, ...(await everyValue(h))];
    for (const v of values) {
      expect(v).not.toContain('traceparent');
      expect(v).not.toContain('"tp"');
    }
    // The stored suspension decodes to none.
    await h.producer.suspend(a.id, { reason: 'again' });
    expect((await h.producer.getRecord(a.id))?.suspension).not.toHaveProperty('traceparent');
  });
});
