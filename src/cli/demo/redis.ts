// Where the demo's Redis comes from: REDIS_URL when the user set one, else a private redis-server
// from PATH in a temp dir (stopped afterwards), else a clear error saying how to get Redis.

import type { Redis } from 'ioredis';
import { ResumeProcessorError, RpCode } from '../../lib/errors.js';
import { redisServerAvailable, startRedisServer } from '../../lib/redis-server.js';
import { keySpace } from '../../lib/store/keys.js';
import { WorkerStore } from '../../lib/store/worker-store.js';

export interface DemoRedis {
  url: string;
  /** True for the user's own Redis: the demo then removes its keys when it is done. */
  external: boolean;
  stop(): Promise<void>;
}

export async function acquireRedis(userUrl: string | undefined): Promise<DemoRedis> {
  if (userUrl) return { url: userUrl, external: true, stop: async () => {} };
  if (!redisServerAvailable()) {
    throw new ResumeProcessorError(
      RpCode.RedisUnavailable,
      'the demo needs Redis: REDIS_URL is not set and there is no redis-server on PATH. ' +
        'Install one (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) ' +
        'or point the demo at a running server: `REDIS_URL=redis://127.0.0.1:6379 npm run demo`',
    );
  }
  const server = await startRedisServer();
  return { url: server.url, external: false, stop: () => server.stop() };
}

/** Deletes every key of the demo's deployment (its prefix is fresh, so nothing else matches). */
export function purgeDeployment(redis: Redis, prefix: string, partitions: number): Promise<number> {
  return new WorkerStore({ redis, keys: keySpace(prefix, partitions) }).purge();
}
