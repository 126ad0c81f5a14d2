// Redis connections, one per role. Blocking BullMQ workers need maxRetriesPerRequest: null;
// producers fail a call after one reconnect attempt instead of waiting for Redis forever.
//
// No auto-pipelining: ioredis builds a Pipeline for every batch and copies into it every script
// defined on the connection (BullMQ defines about sixty), which costs more CPU than the write calls
// it saves (measured in docs/benchmarks.md).

import { Redis, type RedisOptions } from 'ioredis';

export type ConnectionRole = 'producer' | 'store' | 'worker' | 'lock';

export function connect(url: string, role: ConnectionRole, extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    connectionName: `rp-${role}`,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000) + Math.floor(Math.random() * 100),
  };
  if (role === 'producer') {
    base.maxRetriesPerRequest = 1;
    base.connectTimeout = 2000;
  } else {
    base.maxRetriesPerRequest = null;
  }
  return new Redis(url, { ...base, ...extra });
}

/** Warns once when Redis would evict queue or worker keys under memory pressure. */
export async function checkEvictionPolicy(redis: Redis): Promise<string | null> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const policy = reply[1] ?? 'unknown';
  return policy === 'noeviction' ? null : policy;
}

/**
 * Logs a connection's errors at most once per `everyMs` (ioredis emits one per reconnect attempt),
 * and says so when the connection is back.
 */
export function reportConnectionErrors(
  redis: Redis,
  log: (level: 'warn' | 'info', message: string, err?: Error) => void,
  everyMs = 5000,
): void {
  let lastLogged = 0;
  let down = false;
  redis.on('error', (err: Error) => {
    down = true;
    const now = Date.now();
    if (now - lastLogged < everyMs) return;
    lastLogged = now;
    log('warn', `Redis unavailable (${err.message}); retrying with backoff`, err);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log('info', 'Redis connection restored');
  });
}
