// A private Redis Cluster's shards seen from a test: which master serves which partition and who its
// replica is, the faults (a planned failover, a SIGKILL, a SIGKILL with the replica cut off first),
// and a probe that measures how long a slot could not take a write. Used by test/chaos/failover.ts.

import { Redis } from 'ioredis';
import { closeConnection, connect, type RedisClient } from '../../src/lib/redis.js';
import type { RedisClusterHandle, RedisServerHandle } from '../../src/lib/redis-server.js';
import { createHarness, type Harness, sleep, type Target, waitFor } from '../support/harness.js';

export const clusterTargetOf = (cluster: RedisClusterHandle, partitions: number): Target => ({
  name: 'cluster',
  connection: { cluster: cluster.nodes },
  partitions,
  env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') },
});

export interface Shard {
  master: RedisServerHandle;
  replica: RedisServerHandle | undefined;
  /** Partitions of the harness whose slot this shard serves. */
  partitions: number[];
}

/** A direct connection to one server (not the cluster): ROLE, READONLY reads, CLUSTER FAILOVER. */
export function direct(server: RedisServerHandle): Redis {
  const c = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => null });
  c.on('error', () => {});
  return c;
}

async function role(server: RedisServerHandle): Promise<string> {
  const c = direct(server);
  try {
    return String(((await c.call('ROLE')) as unknown[])[0]);
  } catch {
    return 'down';
  } finally {
    c.disconnect();
  }
}

/** Masters, their replicas and the partitions of a deployment each serves, read from `CLUSTER NODES`. */
export async function shards(
  cluster: RedisClusterHandle,
  h: Pick<Harness, 'prefix' | 'partitions'>,
): Promise<Shard[]> {
  const admin = direct(cluster.servers[0] as RedisServerHandle);
  try {
    const lines = String(await admin.cluster('NODES'))
      .trim()
      .split('\n');
    const nodes = lines.map((line) => {
      const [id, addr, flags, masterId, , , , , ...slots] = line.split(' ');
      const port = Number(/:(\d+)@/.exec(addr ?? '')?.[1]);
      const ranges = slots.map((r) => r.split('-').map(Number) as [number, number?]);
      return { id, port, master: flags?.includes('master'), masterId, ranges };
    });
    const server = (port: number) => cluster.servers.find((s) => s.port === port);
    const tags = await Promise.all(
      Array.from({ length: h.partitions }, (_, p) => admin.cluster('KEYSLOT', `{${h.prefix}:${p}}`)),
    );
    return nodes
      .filter((n) => n.master && n.ranges.length > 0)
      .map((n) => ({
        master: server(n.port) as RedisServerHandle,
        replica: server(nodes.find((r) => r.masterId === n.id)?.port ?? -1),
        partitions: tags
          .map((slot, p) => ({ slot: Number(slot), p }))
          .filter(({ slot }) => n.ranges.some(([a, b]) => slot >= a && slot <= (b ?? a)))
          .map(({ p }) => p),
      }));
  } finally {
    admin.disconnect();
  }
}

/** A harness whose partitions land on every shard (a random prefix may leave one without work). */
export async function coveringHarness(
  cluster: RedisClusterHandle,
  partitions: number,
): Promise<{ h: Harness; shards: Shard[] }> {
  for (let attempt = 0; ; attempt++) {
    const h = await createHarness(clusterTargetOf(cluster, partitions));
    const found = await shards(cluster, h);
    if (found.every((s) => s.partitions.length > 0) || attempt >= 20) return { h, shards: found };
    await h.close();
  }
}

/** Planned: `CLUSTER FAILOVER` on the replica; resolves once it reports itself master. */
export async function plannedFailover(shard: Shard): Promise<void> {
  const replica = shard.replica as RedisServerHandle;
  const c = direct(replica);
  try {
    await c.cluster('FAILOVER');
  } finally {
    c.disconnect();
  }
  await waitFor('the replica to take over', async () => (await role(replica)) === 'master', 20_000);
}

/**
 * Unplanned: SIGKILL the master; resolves once its replica reports itself master. With `restartAfterMs`
 * the dead node is started again that long after the takeover (it rejoins as the new master's replica).
 */
export async function killMaster(shard: Shard, restartAfterMs?: number): Promise<void> {
  await shard.master.kill('SIGKILL');
  await takeover(shard, restartAfterMs);
}

async function takeover(shard: Shard, restartAfterMs: number | undefined): Promise<void> {
  const replica = shard.replica as RedisServerHandle;
  await waitFor('the replica to take over', async () => (await role(replica)) === 'master', 30_000);
  // The run may be over (and its directory gone) by then: a failed restart is reported, not thrown.
  if (restartAfterMs !== undefined)
    void sleep(restartAfterMs)
      .then(() => shard.master.restart())
      .catch((err: Error) => console.error(`the old master was not restarted: ${err.message}`));
}

/**
 * Unplanned, with the replica cut off for `lagMs` first (a slow or broken link): the replica is
 * stopped and the master drops its replication link, keeps acknowledging writes nobody receives,
 * then dies; the replica resumes and takes over without them. (Stopping the replica alone loses
 * nothing: the master's writes wait in the stopped replica's socket buffer.)
 */
export async function killMasterLagging(shard: Shard, lagMs: number, restartAfterMs?: number): Promise<void> {
  const replica = shard.replica as RedisServerHandle;
  process.kill(replica.pid as number, 'SIGSTOP');
  const master = direct(shard.master);
  await master.client('KILL', 'TYPE', 'replica');
  master.disconnect();
  await sleep(lagMs);
  await shard.master.kill('SIGKILL');
  process.kill(replica.pid as number, 'SIGCONT');
  await takeover(shard, restartAfterMs);
}

/**
 * Writes to one slot of a shard back to back and keeps the longest time between two successful
 * writes: how long that slot could not take a write.
 */
export function unavailabilityProbe(h: Harness, partition: number): { stop(): Promise<number> } {
  const client: RedisClient = connect(h.connection, 'store');
  client.on('error', () => {});
  let running = true;
  let longest = 0;
  const loop = (async () => {
    let last = Date.now();
    for (let i = 0; running; i++) {
      try {
        await client.set(`{${h.prefix}:${partition}}:probe`, i);
        const now = Date.now();
        longest = Math.max(longest, now - last);
        last = now;
      } catch {
        await sleep(10);
      }
      await sleep(5);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await closeConnection(client);
      return longest;
    },
  };
}
