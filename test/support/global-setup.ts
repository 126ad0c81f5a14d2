// Starts one private redis-server for the whole run (or uses REDIS_URL when set). Tests isolate
// themselves with a unique prefix each; tests that kill Redis start their own server.

import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';

let server: RedisServerHandle | undefined;

export default async function setup(project: TestProject) {
  const external = process.env.TEST_REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return;
  }
  server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
