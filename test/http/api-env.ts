// The HTTP tests' fixed keys and secrets, and a digest of a deployment's keys: free of vitest, so
// the chaos battery's http-attack scenario uses them too.

import { dataNodes, type RedisClient } from '../../src/lib/redis.js';

export const WRITE_KEY = 'writer-key-0123456789abcdef';
export const READ_KEY = 'reader-key-0123456789abcdef';
export const TOKEN_SECRET = 'resume-token-secret-0123456789abcdef-xyz';
export const GITHUB_SECRET = 'github-webhook-secret-0123456789';

export const API_ENV: Record<string, string> = {
  API_KEYS: `ops:${WRITE_KEY}:write,viewer:${READ_KEY}:read`,
  RESUME_TOKEN_SECRET: TOKEN_SECRET,
  WEBHOOK_SECRET_GITHUB: GITHUB_SECRET,
  HTTP_RATE_LIMIT: '1000000',
};

/** A digest of every key of the deployment and its content: equal digests, nothing changed. */
export async function stateDigest(redis: RedisClient, prefix: string): Promise<string> {
  const entries: string[] = [];
  for (const node of dataNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        // BullMQ's housekeeping moves with time alone (the stall check's key and set, the "a job is
        // ready" marker a running consumer pops and the timeout waker pushes): not state.
        if (/:(stalled-check|stalled|marker)$/.test(key)) continue;
        const type = await node.type(key);
        let value: unknown;
        if (type === 'string') value = await node.get(key);
        else if (type === 'hash') value = Object.entries(await node.hgetall(key)).sort();
        else if (type === 'list') value = await node.lrange(key, 0, -1);
        else if (type === 'set') value = (await node.smembers(key)).sort();
        else if (type === 'zset') value = await node.zrange(key, 0, -1, 'WITHSCORES');
        else if (type === 'stream') value = await node.xrange(key, '-', '+');
        entries.push(JSON.stringify([key, type, value]));
      }
    } while (cursor !== '0');
  }
  return entries.sort().join('\n');
}
