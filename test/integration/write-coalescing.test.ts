// Write coalescing (src/lib/write-coalescing.ts) on real connections: the commands issued in one
// event-loop turn leave in one socket write, each still with its own reply, in order, with its own
// error; a batch open longer than its flush time goes out at the next command; commands made before
// the connection is ready and after a reconnect work the same; every node connection of a cluster
// client coalesces too, and so does every connection `connect()` makes. Writes are counted on the
// socket's native handle, where each write request becomes one system call. The exact counts are
// taken with a flush time no test turn reaches; `connect()`'s default (0.1 ms) is checked with a
// burst short enough to fit in it, allowing for one pause of the test process.

import type { Socket } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { closeConnection, connect, type RedisClient } from '../../src/lib/redis.js';
import { coalesceClusterWrites, coalesceWrites } from '../../src/lib/write-coalescing.js';
import { redisUrl, waitFor } from '../support/harness.js';

const WRITE_METHODS = [
  'writev',
  'writeBuffer',
  'writeUtf8String',
  'writeLatin1String',
  'writeAsciiString',
  'writeUcs2String',
] as const;

/** Counts the write requests a socket hands to its native handle until `stop()`. */
function countWrites(socket: Socket): { readonly count: number; stop(): void } {
  const handle = (socket as unknown as { _handle: Record<string, unknown> })._handle;
  let count = 0;
  for (const name of WRITE_METHODS) {
    const original = handle[name];
    if (typeof original !== 'function') continue;
    handle[name] = (...args: unknown[]) => {
      count += 1;
      return original.apply(handle, args);
    };
  }
  return {
    get count() {
      return count;
    },
    stop() {
      for (const name of WRITE_METHODS) delete handle[name];
    },
  };
}

const key = (name: string) => `test:coalesce:{${process.pid}}:${name}`;

describe('write coalescing', () => {
  const opened: RedisClient[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(closeConnection));
  });
  const open = async (spec: Parameters<typeof connect>[0], extra = {}) => {
    const c = connect(spec, 'store', extra);
    opened.push(c);
    return c;
  };
  /** A server connection whose batches stay open for the whole turn. */
  const openWholeTurn = (extra = {}) => {
    const c = coalesceWrites(new Redis(redisUrl(), extra), { flushAfterMs: 60_000 });
    opened.push(c);
    return c;
  };

  it('sends the commands of one turn in one write, each with its own reply in order', async () => {
    const c = openWholeTurn();
    await c.ping();
    const k = key('order');
    await c.del(k);
    const writes = countWrites(c.stream as Socket);
    const replies = await Promise.all(Array.from({ length: 200 }, () => c.incr(k)));
    writes.stop();
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(writes.count).toBe(1);
    // Commands issued in separate turns still go out, one write per turn.
    const separate = countWrites(c.stream as Socket);
    for (let i = 0; i < 3; i++) await c.incr(k);
    separate.stop();
    expect(separate.count).toBe(3);
    expect(await c.get(k)).toBe('203');
    await c.del(k);
  });

  it('a failing command in a burst fails alone', async () => {
    const c = (await open(redisUrl())) as Redis;
    await c.ping();
    const [counter, hash] = [key('ok'), key('hash')];
    await c.del(counter, hash);
    await c.hset(hash, 'f', '1');
    const results = await Promise.allSettled([c.incr(counter), c.incr(hash), c.incr(counter)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/WRONGTYPE|not an integer/);
    expect(await c.get(counter)).toBe('2');
    await c.del(counter, hash);
  });

  it('commands made before the connection is ready, and after a reconnect, are served', async () => {
    const c = openWholeTurn({ lazyConnect: true });
    const k = key('lazy');
    // Issued while the connection is still being made: queued by ioredis, sent once it is ready.
    const early = [c.del(k), c.incr(k), c.incr(k)];
    expect((await Promise.all(early)).slice(1)).toEqual([1, 2]);
    const before = c.stream;
    c.disconnect(true);
    await waitFor('the reconnect', async () => c.status === 'ready' && c.stream !== before, 5000);
    const writes = countWrites(c.stream as Socket);
    const again = await Promise.all(Array.from({ length: 50 }, () => c.incr(k)));
    writes.stop();
    expect(again.at(-1)).toBe(52);
    expect(writes.count).toBe(1);
    await c.del(k);
  });

  it('a batch open longer than its flush time goes out at the next command', async () => {
    const c = coalesceWrites(new Redis(redisUrl()), { flushAfterMs: 0.5 });
    opened.push(c);
    await c.ping();
    const k = key('early');
    await c.del(k);
    const writes = countWrites(c.stream as Socket);
    const first = c.incr(k);
    const until = performance.now() + 3;
    while (performance.now() < until); // a long turn: the first batch has been open 3 ms
    const rest = [c.incr(k), c.incr(k)];
    expect(await Promise.all([first, ...rest])).toEqual([1, 2, 3]);
    writes.stop();
    // The first command went out when the second came; the second and third together.
    expect(writes.count).toBe(2);
    await c.del(k);
  });

  it('connect() coalesces: a short burst leaves in one write (two with a pause)', async () => {
    const c = (await open(redisUrl())) as Redis;
    await c.ping();
    const k = key('connect');
    await c.del(k);
    const writes = countWrites(c.stream as Socket);
    const replies = await Promise.all(Array.from({ length: 6 }, () => c.incr(k)));
    writes.stop();
    expect(replies).toEqual([1, 2, 3, 4, 5, 6]);
    expect(writes.count).toBeLessThanOrEqual(2);
    await c.del(k);
  });

  it('coalesces on every node connection of a cluster client', async () => {
    const nodes = inject('clusterNodes').map((n) => {
      const [host, port] = n.split(':');
      return { host: host as string, port: Number(port) };
    });
    const c = coalesceClusterWrites(new Cluster(nodes), { flushAfterMs: 60_000 });
    opened.push(c);
    // One slot per tag: keys spread over the three masters.
    const keys = Array.from({ length: 30 }, (_, i) => `test:coalesce:{${process.pid}-${i}}`);
    await Promise.all(keys.map((k) => c.del(k)));
    const masters = c.nodes('master');
    expect(masters).toHaveLength(3);
    const counters = masters.map((m) => countWrites(m.stream as Socket));
    const replies = await Promise.all(keys.flatMap((k) => [c.incr(k), c.incr(k)]));
    for (const w of counters) w.stop();
    expect(replies).toEqual(keys.flatMap(() => [1, 2]));
    // Each master got its share of the burst in one write.
    for (const w of counters) expect(w.count).toBe(1);
    await Promise.all(keys.map((k) => c.del(k)));
  });

  it('connect() to a cluster coalesces on its node connections', async () => {
    const c = (await open({ cluster: inject('clusterNodes') })) as Cluster;
    expect(c).toBeInstanceOf(Cluster);
    const k = `test:coalesce:{${process.pid}-connect}`;
    await c.del(k);
    await Promise.all(c.nodes('master').map((m) => m.ping()));
    // The key's master gets all six; the others none.
    const counters = c.nodes('master').map((m) => countWrites(m.stream as Socket));
    const replies = await Promise.all(Array.from({ length: 6 }, () => c.incr(k)));
    for (const w of counters) w.stop();
    expect(replies).toEqual([1, 2, 3, 4, 5, 6]);
    const total = counters.reduce((sum, w) => sum + w.count, 0);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(2);
    await c.del(k);
  });
});
