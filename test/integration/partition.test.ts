// A network partition: consumer A reaches Redis through a TCP proxy that is cut while A holds locks
// and jobs (PARTITION_MS, default 6 s here; `PARTITION_MS=15000` for the full-size run). Its locks
// and job locks lapse, consumer B takes its jobs over; when the link heals A's buffered writes
// arrive late and are fenced (the version compare-and-set, BullMQ's job lock). Ledger: every resume
// request has one outcome, effective resumes = respawn jobs = WorkerResumed events, no suspension
// resumed twice; then A alone serves new requests: it recovered by itself.

import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResumeTicket } from '../../src/producers/types.js';
import { createHarness, type Harness, redisUrl, sleep } from '../support/harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const PARTITION_MS = Number(process.env.PARTITION_MS ?? 6000);

describe('a consumer partitioned from Redis', () => {
  let h: Harness;
  let proxy: TcpProxy;
  beforeEach(async () => {
    h = await createHarness();
    const url = new URL(redisUrl());
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
  });
  afterEach(async () => {
    await h.close();
    await proxy.close();
  });

  it(`cut for ${PARTITION_MS} ms while holding jobs: taken over, fenced, nothing lost or doubled, recovers`, async () => {
    const slow = { HOOK_TIMEOUT_MS: '60000' };
    const a: ChildProcess = await h.spawnConsumer({
      ...slow,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      LOCK_TTL_MS: '1000',
    });
    const b: ChildProcess = await h.spawnConsumer({ ...slow, LOCK_TTL_MS: '1000' });
    const ids = Array.from({ length: 60 }, (_, i) => `p-${i}`);
    for (const id of ids) await h.producer.registerWorker({ id, name: id, task: 't' });
    const park = (id: string) => h.producer.suspend(id, { reason: 'wait' });

    // Rounds: park every worker, send each two resume requests (one winner), wait for the outcomes.
    const tickets: ResumeTicket[] = [];
    const round = async () => {
      await Promise.all(ids.map(park));
      const sent = await Promise.all(
        ids.flatMap((id) => [h.producer.resume(id, 'x'), h.producer.resume(id, 'y')]),
      );
      tickets.push(...sent);
      return sent;
    };
    await Promise.all((await round()).map((t) => t.result({ timeoutMs: 30_000 })));

    // The partition falls in the middle of a round: the requests are queued and A is taking them.
    await Promise.all(ids.map(park));
    const sending = Promise.all(
      ids.flatMap((id) => [h.producer.resume(id, 'x'), h.producer.resume(id, 'y')]),
    );
    await sleep(15);
    proxy.cut();
    tickets.push(...(await sending));
    await sleep(PARTITION_MS);
    proxy.heal();
    const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: 60_000 })));

    // A alone, after the heal: it serves by itself.
    b.kill('SIGTERM');
    await new Promise((r) => b.once('exit', r));
    const after = await round();
    outcomes.push(...(await Promise.all(after.map((t) => t.result({ timeoutMs: 60_000 })))));

    const resumed = outcomes.filter((o) => o.outcome === 'resumed').length;
    const notSuspended = outcomes.filter((o) => o.outcome === 'rejected' && o.error.code === 'HARN-SUS-003');
    expect(resumed + notSuspended.length).toBe(outcomes.length);
    // One winner per suspension: 3 rounds of 60 suspensions.
    expect(resumed).toBe(3 * ids.length);
    const respawns = await h.respawnJobIds();
    expect(respawns).toHaveLength(resumed);
    expect(new Set(respawns).size).toBe(resumed);
    for (const id of ids) {
      const events = await h.store.events(id);
      expect(events.filter((e) => e.type === 'WorkerResumed')).toHaveLength(3);
      expect((await h.producer.getRecord(id))?.version).toBe(7); // registered 1, +2 per round
    }
    expect(a.exitCode).toBeNull();
  }, 120_000);
});
