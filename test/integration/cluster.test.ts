// Redis Cluster specifics (the core suites also run on the shared test cluster, via `targets()`):
// how a cluster is named (env, library options), what is refused at start, the CLI against a
// cluster, and fan-out listing over partitions spread across shards.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createConsumer } from '../../src/consumers/consumer.js';
import { loadEnv, redisConnection } from '../../src/lib/config.js';
import { parseClusterNodes } from '../../src/lib/redis.js';
import { freePort, type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';
import { keySpace } from '../../src/lib/store/keys.js';
import { createProducer } from '../../src/producers/producer.js';
import { clusterTarget, createHarness, type Harness, listAll } from '../support/harness.js';

const BIN = fileURLToPath(new URL('../../bin/resume-processor.js', import.meta.url));
const nodes = () => inject('clusterNodes');

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--json'],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', REDIS_URL: 'redis://127.0.0.1:1', ...env },
        timeout: 30_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('naming a cluster', () => {
  it('REDIS_CLUSTER_NODES selects the cluster; malformed seed nodes are refused with a readable error', () => {
    expect(redisConnection(loadEnv({ REDIS_CLUSTER_NODES: '10.0.0.5:7000, 10.0.0.6:7001' }))).toEqual({
      cluster: ['10.0.0.5:7000', '10.0.0.6:7001'],
    });
    expect(redisConnection(loadEnv({ REDIS_URL: 'redis://h:1' }))).toBe('redis://h:1');
    expect(() => loadEnv({ REDIS_CLUSTER_NODES: 'localhost' })).toThrow(/host:port seed nodes/);
    expect(() => parseClusterNodes(['10.0.0.5:99999'])).toThrow(/not host:port/);
    expect(() => parseClusterNodes([])).toThrow(/at least one seed node/);
  });

  it('the CLI refuses a malformed REDIS_CLUSTER_NODES with exit 78 before connecting', async () => {
    const run = await cli(['status', 'w1'], { REDIS_CLUSTER_NODES: 'not-a-node' });
    expect(run.code).toBe(78);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'RP-INVALID-CONFIG' } });
    expect(run.stdout).toMatch(/REDIS_CLUSTER_NODES/);
  });
});

describe('a cluster that cannot serve every slot', () => {
  let server: RedisServerHandle | undefined;
  afterEach(async () => server?.stop());

  it('is refused at start (consumer and CLI) with the slots it covers, instead of hanging', async () => {
    server = await startRedisServer({
      extraArgs: [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-port',
        String(await freePort()),
      ],
    });
    const seed = `127.0.0.1:${server.port}`;
    const consumer = createConsumer({ connection: { cluster: [seed] }, prefix: 'bad' });
    await expect(consumer.start()).rejects.toMatchObject({
      code: 'RP-INVALID-CONFIG',
      message: expect.stringMatching(/0 of 16384 slots assigned/),
    });
    await consumer.stop();
    const run = await cli(['status', 'w1'], { REDIS_CLUSTER_NODES: seed });
    expect(run.code).toBe(78);
    expect(run.stdout).toMatch(/0 of 16384 slots assigned/);
  });
});

describe('on the test cluster', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('the CLI registers, suspends, resumes and reads back a worker through a consumer process', async () => {
    const prefix = `clc-${randomUUID().slice(0, 8)}`;
    const env = { REDIS_CLUSTER_NODES: nodes().join(','), RESUME_PREFIX: prefix, RESUME_PARTITIONS: '6' };
    h = await createHarness({ ...clusterTarget(), partitions: 6 });
    // A consumer process for this prefix (the harness's own prefix differs): REDIS_CLUSTER_NODES.
    await h.spawnConsumer({ RESUME_PREFIX: prefix });
    const id = `w-${randomUUID().slice(0, 8)}`;
    expect((await cli(['register', '--id', id, '--name', 'n', '--task', 't'], env)).code).toBe(0);
    expect((await cli(['suspend', id, '--reason', 'park'], env)).code).toBe(0);
    const resumed = await cli(['resume', id, '--input', 'go on', '--wait', '20000'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ outcome: 'resumed' });
    const status = JSON.parse((await cli(['status', id], env)).stdout);
    expect(status).toMatchObject({ id, status: 'running', task: 'go on' });
  });

  it('takes a Cluster client of the caller, and lists and counts over partitions on every shard', async () => {
    const client = new Cluster(parseClusterNodes(nodes()), { redisOptions: { maxRetriesPerRequest: 1 } });
    const prefix = `cll-${randomUUID().slice(0, 8)}`;
    const producer = createProducer({ connection: client, prefix, partitions: 6 });
    try {
      const ids = Array.from({ length: 24 }, (_, i) => `l-${i}`);
      for (const id of ids) {
        await producer.registerWorker({ id, name: 'n', task: 't' });
        if (Number(id.slice(2)) % 2 === 0) await producer.suspend(id, { conditions: { on_event: 'go' } });
      }
      const keys = keySpace(prefix, 6);
      const slots = new Set<string>();
      for (const id of ids) slots.add(String(await client.cluster('KEYSLOT', keys.doc(id))));
      expect(slots.size).toBe(6);
      const masters = new Set(
        await Promise.all(
          ids.map(async (id) => {
            const slot = Number(await client.cluster('KEYSLOT', keys.doc(id)));
            const ranges = (await client.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
            const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
            return `${owner?.[2][0]}:${owner?.[2][1]}`;
          }),
        ),
      );
      expect(masters.size).toBeGreaterThan(1);
      expect((await listAll(producer, { status: 'suspended' })).map((w) => w.id).sort()).toEqual(
        ids.filter((id) => Number(id.slice(2)) % 2 === 0).sort(),
      );
      expect(await listAll(producer)).toHaveLength(24);
      const tickets = await producer.deliverEvent({ provider: 'p', kind: 'go', id: 'e1' });
      expect(tickets).toHaveLength(12);
    } finally {
      await producer.disconnect();
      await client.quit();
    }
  });
});
