// Where the demo's Redis comes from: REDIS_URL (or REDIS_CLUSTER_NODES) when the user set one, else
// a private redis-server from PATH in a temp dir (with --cluster, a private 3-master Redis Cluster),
// stopped afterwards, else a clear error saying how to get Redis.

import { ResumeProcessorError, RpCode } from '../../lib/errors.js';
import type { ConnectionSpec, RedisClient } from '../../lib/redis.js';
import { redisServerAvailable, startRedisCluster, startRedisServer } from '../../lib/redis-server.js';
import { keySpace } from '../../lib/store/keys.js';
import { WorkerStore } from '../../lib/store/worker-store.js';

export interface DemoRedis {
  connection: ConnectionSpec;
  /** What the consumer processes get to find it (REDIS_URL or REDIS_CLUSTER_NODES). */
  env: Record<string, string>;
  /** For the report (credentials redacted by the caller for a URL). */
  label: string;
  /** True for the user's own Redis: the demo then removes its keys when it is done. */
  external: boolean;
  stop(): Promise<void>;
}

export interface RedisChoice {
  /** REDIS_URL as the user set it. */
  userUrl: string | undefined;
  /** REDIS_CLUSTER_NODES as the user set them. */
  userClusterNodes: string[] | undefined;
  /** --cluster: a private 3-master cluster when the user set none. */
  cluster: boolean;
  /**
   * A private server outlives a Ctrl-C to the terminal (its own process group): `demo --serve`
   * stops it itself once the server and consumer that use it are down.
   */
  survivesCtrlC?: boolean;
}

const clusterRedis = (nodes: string[], external: boolean, stop: () => Promise<void>): DemoRedis => ({
  connection: { cluster: nodes },
  env: { REDIS_CLUSTER_NODES: nodes.join(',') },
  label: `Redis Cluster ${nodes.join(',')}${external ? '' : ' (private, 3 masters)'}`,
  external,
  stop,
});

export async function acquireRedis(choice: RedisChoice): Promise<DemoRedis> {
  if (choice.userClusterNodes) return clusterRedis(choice.userClusterNodes, true, async () => {});
  if (choice.userUrl && !choice.cluster)
    return {
      connection: choice.userUrl,
      env: { REDIS_URL: choice.userUrl },
      label: choice.userUrl,
      external: true,
      stop: async () => {},
    };
  if (!redisServerAvailable()) {
    throw new ResumeProcessorError(
      RpCode.RedisUnavailable,
      'the demo needs Redis: REDIS_URL is not set and there is no redis-server on PATH. ' +
        'Install one (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) ' +
        'or point the demo at a running server: `REDIS_URL=redis://127.0.0.1:6379 npm run demo`',
    );
  }
  if (choice.cluster) {
    const cluster = await startRedisCluster({ masters: 3, ownProcessGroup: choice.survivesCtrlC ?? false });
    return clusterRedis(cluster.nodes, false, () => cluster.stop());
  }
  const server = await startRedisServer({ ownProcessGroup: choice.survivesCtrlC ?? false });
  return {
    connection: server.url,
    env: { REDIS_URL: server.url },
    label: `${server.url} (private redis-server)`,
    external: false,
    stop: () => server.stop(),
  };
}

/** Deletes every key of the demo's deployment (its prefix is fresh, so nothing else matches). */
export function purgeDeployment(redis: RedisClient, prefix: string, partitions: number): Promise<number> {
  return new WorkerStore({ redis, keys: keySpace(prefix, partitions) }).purge();
}
