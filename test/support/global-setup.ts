// Starts one private redis-server and one private 3-master Redis Cluster for the whole run (or uses
// TEST_REDIS_URL / TEST_REDIS_CLUSTER_NODES when set). Tests isolate themselves with a unique prefix
// each; tests that kill Redis start their own servers.

import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
  startRedisServer,
} from '../../src/lib/redis-server.js';

let server: RedisServerHandle | undefined;
let cluster: RedisClusterHandle | undefined;

export default async function setup(project: TestProject) {
  const [url, nodes] = await Promise.all([
    process.env.TEST_REDIS_URL ??
      startRedisServer().then((s) => {
        server = s;
        return s.url;
      }),
    process.env.TEST_REDIS_CLUSTER_NODES?.split(',') ??
      startRedisCluster({ masters: 3 }).then((c) => {
        cluster = c;
        return c.nodes;
      }),
  ]);
  project.provide('redisUrl', url);
  project.provide('clusterNodes', nodes);
  return async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** Seed nodes (`host:port`) of the shared test Redis Cluster. */
    clusterNodes: string[];
  }
}
