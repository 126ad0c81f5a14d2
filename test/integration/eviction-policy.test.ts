// The eviction-policy check (consumer start, /readyz) on a Redis that refuses CONFIG, as managed
// services often do: it reads the policy from INFO instead.

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { checkEvictionPolicy } from '../../src/lib/redis.js';
import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';

describe('checkEvictionPolicy without CONFIG', () => {
  let server: RedisServerHandle | undefined;
  let client: Redis | undefined;
  afterEach(async () => {
    client?.disconnect();
    await server?.kill('SIGKILL');
  });

  it.each([
    ['noeviction', null],
    ['allkeys-lru', 'allkeys-lru'],
  ])('maxmemory-policy %s is read from INFO', async (policy, expected) => {
    server = await startRedisServer({
      extraArgs: ['--maxmemory-policy', policy, '--rename-command', 'CONFIG', '""'],
    });
    client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    await expect(client.config('GET', 'maxmemory-policy')).rejects.toThrow(/unknown command/i);
    expect(await checkEvictionPolicy(client)).toBe(expected);
  });
});
