// Starts a private redis-server from PATH on a free port in a temp dir: for the demo, the tests,
// the chaos harness and the benchmarks. It can be stopped, killed and restarted on the same port.
// `startRedisCluster` makes a private Redis Cluster of such servers (redis-cli --cluster create).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisServerOptions {
  port?: number;
  appendonly?: boolean;
  dir?: string;
  /** More redis-server arguments (`--name value` pairs), e.g. the cluster settings. */
  extraArgs?: string[];
  /**
   * Run the server in a process group of its own, so a terminal's Ctrl-C (sent to the whole
   * foreground group) reaches only our process, which then stops the server after what still
   * needs it (`demo --serve`).
   */
  ownProcessGroup?: boolean;
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** SHUTDOWN (clean, AOF flushed). */
  shutdown(): Promise<void>;
  /** Sends a signal to the server process and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and dir (loads the AOF when enabled). */
  restart(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'rp-redis-'));
  const ownsDir = opts.dir === undefined;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      opts.appendonly ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
      ...(opts.extraArgs ?? []),
    ];
    child = spawn('redis-server', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: opts.ownProcessGroup ?? false,
    });
    await waitUntilReady(port, child);
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });

  await launch();
  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    async shutdown() {
      const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      await c.connect();
      await c.call('SHUTDOWN', opts.appendonly ? 'SAVE' : 'NOSAVE').catch(() => {});
      c.disconnect();
      await exited();
    },
    async kill(signal = 'SIGKILL') {
      child?.kill(signal);
      await exited();
    },
    async restart() {
      await launch();
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

async function waitUntilReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    const c = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    c.on('error', () => {}); // refused while the server starts; the loop retries
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') {
        // A server loading its AOF answers PING with LOADING errors; ping succeeds only when ready.
        c.disconnect();
        return;
      }
    } catch (err) {
      lastError = err;
    }
    c.disconnect();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not become ready: ${String(lastError)}`);
}

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master (0: none). */
  replicas?: number;
  appendonly?: boolean;
  /** How long a master may be unreachable before its replica takes over (ms). */
  nodeTimeoutMs?: number;
  /** Each server in a process group of its own (see RedisServerOptions). */
  ownProcessGroup?: boolean;
}

export interface RedisClusterHandle {
  /** Seed nodes, `127.0.0.1:port`, masters first as created. */
  readonly nodes: string[];
  readonly servers: RedisServerHandle[];
  /** Stops every server and removes their temp dirs. */
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster from redis-server and redis-cli on PATH: `masters` masters with
 * `replicas` replicas each, on free ports (client and bus port chosen apart), all 16384 slots
 * assigned, returned once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicas ?? 0;
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const busPort = await freePort();
      servers.push(
        await startRedisServer({
          ...(opts.appendonly ? { appendonly: true } : {}),
          ...(opts.ownProcessGroup ? { ownProcessGroup: true } : {}),
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(opts.nodeTimeoutMs ?? 2000),
            '--cluster-port',
            String(busPort),
            // A master whose replica took over may come back empty; it must not serve stale data.
            '--cluster-require-full-coverage',
            'yes',
          ],
        }),
      );
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes'],
      { encoding: 'utf8' },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
    await waitForCluster(servers);
    return {
      nodes,
      servers,
      async stop() {
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
}

/** Every node agrees the cluster is ok, and every replica is in sync with its master. */
export async function waitForCluster(servers: readonly RedisServerHandle[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await Promise.all(
      servers.map(async (s) => {
        const c = new Redis(s.port, '127.0.0.1', {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        c.on('error', () => {});
        try {
          await c.connect();
          const info = String(await c.cluster('INFO'));
          const repl = await c.info('replication');
          const ok = /cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info);
          const linked = !/role:slave/.test(repl) || /master_link_status:up/.test(repl);
          return ok && linked;
        } catch {
          return false;
        } finally {
          c.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('the Redis Cluster did not become ready within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}
