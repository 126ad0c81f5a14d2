// Redis connections, one per role, to one server (a redis:// URL) or to a Redis Cluster (seed
// nodes). Blocking BullMQ workers need maxRetriesPerRequest: null; producers fail a call after one
// reconnect attempt instead of waiting for Redis forever. Every key the engine writes carries its
// partition's hash tag, so the same scripts run unchanged on a cluster.
//
// Every connection made here coalesces its writes (src/lib/write-coalescing.ts): the commands of
// one event-loop turn leave in one socket write. Not ioredis's auto-pipelining, which builds a
// Pipeline for every batch and copies into it every script defined on the connection (BullMQ defines
// about sixty) and cost more CPU than the writes it saved (measured in docs/benchmarks.md).

import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { ResumeProcessorError, RpCode } from './errors.js';
import { coalesceClusterWrites, coalesceWrites } from './write-coalescing.js';

export type ConnectionRole = 'producer' | 'store' | 'worker' | 'lock';

/** A connection to one Redis server or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Where Redis is: a redis:// URL (one server), the seed nodes of a Redis Cluster (`host:port`), or
 * a client of the caller's (used as it is where one connection is enough, else duplicated per role;
 * the caller keeps owning it).
 */
export type ConnectionSpec = string | { cluster: string[] } | RedisClient;

export const isClient = (spec: ConnectionSpec): spec is RedisClient =>
  spec instanceof Redis || spec instanceof Cluster;

export const isCluster = (client: RedisClient): client is Cluster => client instanceof Cluster;

const backoff = (times: number) =>
  Math.min(50 * 2 ** Math.min(times, 6), 2000) + Math.floor(Math.random() * 100);

function roleOptions(role: ConnectionRole): RedisOptions {
  const base: RedisOptions = { connectionName: `rp-${role}`, retryStrategy: backoff };
  if (role === 'producer') {
    base.maxRetriesPerRequest = 1;
    base.connectTimeout = 2000;
  } else if (role === 'lock') {
    // A Redlock quorum server that is down or frozen must fail its vote at once, not hold every
    // acquire until it is back: no offline queue, no retry, a short command timeout.
    base.maxRetriesPerRequest = 0;
    base.enableOfflineQueue = false;
    base.connectTimeout = 1000;
    base.commandTimeout = 500;
    // Requests wait for a lost majority to come back, so reconnect within ~0.5 s of its return
    // rather than the 2 s cap of the other roles; a refused attempt costs the server nothing.
    base.retryStrategy = (times: number) =>
      Math.min(50 * 2 ** Math.min(times, 3), 400) + Math.floor(Math.random() * 100);
  } else {
    base.maxRetriesPerRequest = null;
  }
  if (role === 'worker') {
    // A blocking fetch (BZPOPMIN) sent to a node that died, or queued for one, would otherwise wait
    // forever: its worker stops taking jobs and cannot close. With this, it fails after its own
    // block time plus a second (10 s for one that blocks without limit) and BullMQ fetches again.
    base.blockingTimeout = 10_000;
    base.blockingTimeoutGrace = 1000;
  }
  return base;
}

/** `host:port` seed nodes, checked: a readable error instead of a connection that never comes up. */
export function parseClusterNodes(nodes: readonly string[]): { host: string; port: number }[] {
  if (nodes.length === 0)
    throw new ResumeProcessorError(
      RpCode.InvalidConfig,
      'a Redis Cluster needs at least one seed node (host:port)',
    );
  return nodes.map((node) => {
    const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(node.trim());
    const port = Number(m?.[2]);
    if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new ResumeProcessorError(
        RpCode.InvalidConfig,
        `Redis Cluster seed node "${node}" is not host:port (e.g. 10.0.0.5:7000)`,
      );
    return { host: m[1], port };
  });
}

function clusterOptions(role: ConnectionRole): ClusterOptions {
  const redisOptions = roleOptions(role);
  return {
    redisOptions,
    clusterRetryStrategy: backoff,
    // Moves and failovers answer MOVED/ASK/TRYAGAIN/CLUSTERDOWN for a moment: retried, not failed.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    slotsRefreshTimeout: 2000,
    // A producer call fails fast like on one server; everything else waits for the cluster.
    enableOfflineQueue: true,
    // No ready check: it refuses a (re)connection while any shard is down (cluster_state:fail), so
    // a client reconnecting during a failover would stall the healthy shards' partitions too, and
    // ioredis's reconnect loop on that refusal can leave a connection whose disconnect never ends
    // (a BullMQ worker's close then hangs). Commands to a shard that is down are retried
    // (CLUSTERDOWN, above); the consumer checks the cluster's state once at start.
    enableReadyCheck: false,
  };
}

/** A connection for `role`. A client passed in is duplicated with the role's options. */
export function connect(spec: ConnectionSpec, role: ConnectionRole, extra: RedisOptions = {}): RedisClient {
  if (spec instanceof Cluster) {
    const opts = clusterOptions(role);
    return coalesceClusterWrites(
      spec.duplicate(undefined, {
        ...opts,
        redisOptions: { ...spec.options.redisOptions, ...opts.redisOptions, ...extra },
      }),
    );
  }
  if (spec instanceof Redis) return coalesceWrites(spec.duplicate({ ...roleOptions(role), ...extra }));
  if (typeof spec === 'string') return coalesceWrites(new Redis(spec, { ...roleOptions(role), ...extra }));
  const opts = clusterOptions(role);
  return coalesceClusterWrites(
    new Cluster(parseClusterNodes(spec.cluster), {
      ...opts,
      redisOptions: { ...opts.redisOptions, ...extra },
    }),
  );
}

/** Where a connection goes, for error messages: `host:port`, or the cluster's nodes. */
export function describeConnection(spec: ConnectionSpec): string {
  if (typeof spec === 'string') {
    try {
      const url = new URL(spec);
      return `${url.hostname || '127.0.0.1'}:${url.port || 6379}`;
    } catch {
      return spec;
    }
  }
  if (spec instanceof Cluster) {
    const nodes = spec.nodes().map((n) => `${n.options.host}:${n.options.port}`);
    return `Redis Cluster ${nodes.length > 0 ? nodes.join(',') : '(no node reached yet)'}`;
  }
  if (spec instanceof Redis) return `${spec.options.host ?? '127.0.0.1'}:${spec.options.port ?? 6379}`;
  return `Redis Cluster ${spec.cluster.join(',')}`;
}

/** The servers that hold data: the client itself, or every master of a cluster. */
export function dataNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** The seed nodes of a cluster connection spec or client (`host:port`). */
function seedsOf(spec: ConnectionSpec): { host: string; port: number }[] {
  if (spec instanceof Cluster) {
    const known = spec
      .nodes()
      .map((n) => ({ host: n.options.host ?? '127.0.0.1', port: n.options.port ?? 6379 }));
    // Before it has connected, a Cluster knows only its startup nodes (not part of the typed API).
    const startup =
      (spec as unknown as { startupNodes?: { host?: string; port?: number }[] }).startupNodes ?? [];
    return known.length > 0
      ? known
      : startup.map((n) => ({ host: n.host ?? '127.0.0.1', port: n.port ?? 6379 }));
  }
  if (typeof spec === 'string' || spec instanceof Redis) return [];
  return parseClusterNodes(spec.cluster);
}

/**
 * A cluster must be able to serve every key: all 16,384 slots assigned and the state `ok`. Asked
 * of the seed nodes directly, with short timeouts: a Cluster client on a cluster that is not ready
 * would queue its commands forever. Throws `RP-REDIS-UNAVAILABLE` when no seed answers and a
 * readable `RP-INVALID-CONFIG` when the cluster is not usable (a partial cluster fails some keys and
 * not others). Does nothing for a single server.
 */
export async function checkCluster(spec: ConnectionSpec): Promise<void> {
  const seeds = seedsOf(spec);
  if (seeds.length === 0) return;
  let info: string | undefined;
  const errors: string[] = [];
  for (const seed of seeds) {
    const probe = new Redis(seed.port, seed.host, {
      lazyConnect: true,
      connectTimeout: 2000,
      commandTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      info = String(await probe.cluster('INFO'));
      break;
    } catch (err) {
      errors.push(`${seed.host}:${seed.port}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      probe.disconnect();
    }
  }
  if (info === undefined)
    throw new ResumeProcessorError(
      RpCode.RedisUnavailable,
      `no Redis Cluster seed node answered (${errors.join('; ')})`,
      { retryable: true },
    );
  const field = (name: string) => new RegExp(`${name}:(\\S+)`).exec(info)?.[1];
  const assigned = Number(field('cluster_slots_assigned'));
  const state = field('cluster_state');
  if (assigned !== 16384 || state !== 'ok')
    throw new ResumeProcessorError(
      RpCode.InvalidConfig,
      `Redis Cluster is not usable: ${assigned} of 16384 slots assigned, cluster_state ${state}; ` +
        'assign every slot (redis-cli --cluster create / fix) before starting',
    );
}

/** Warns once when Redis would evict queue or worker keys under memory pressure (every master). */
export async function checkEvictionPolicy(client: RedisClient): Promise<string | null> {
  const policies = await Promise.all(
    dataNodes(client).map(async (node) => {
      try {
        const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
        return reply[1] ?? 'unknown';
      } catch (err) {
        // Managed services often refuse CONFIG; INFO says the same in its memory section.
        const info = await node.info('memory').catch(() => {
          throw err;
        });
        const found = /^maxmemory_policy:(\S+)/m.exec(info);
        if (!found?.[1]) throw err;
        return found[1];
      }
    }),
  );
  const other = policies.find((p) => p !== 'noeviction');
  return other ?? null;
}

/**
 * Logs a connection's errors at most once per `everyMs` (ioredis emits one per reconnect attempt),
 * and says so when the connection is back.
 */
export function reportConnectionErrors(
  redis: RedisClient,
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

/** Closes a connection: QUIT, or a plain disconnect when QUIT cannot be sent. */
export async function closeConnection(client: RedisClient): Promise<void> {
  await client.quit().catch(() => client.disconnect());
}
