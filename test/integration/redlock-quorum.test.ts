// A Redlock quorum (REDLOCK_URLS) of three private lock servers under SIGKILL. One server down
// leaves a majority of two: resumes go on, none lost or doubled. Two down leave no majority: every
// request waits (delayed with a backoff, not failed, retry budget untouched) and an operator sees
// one RP-LOCK-UNAVAILABLE warn line per consumer and 5 s; once the servers are back every request
// finishes, one respawn per worker. The data Redis is the shared test server throughout.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import type { ResumeOutcome } from '../../src/lib/policy/types.js';
import type { CatalogQueue } from '../../src/lib/queues/queues.js';
import { type RedisServerHandle, startRedisServer } from '../../src/lib/redis-server.js';
import { createHarness, type Harness, sleep, waitFor } from '../support/harness.js';

const WAVE = 120; // workers per wave, each resumed twice (one wins, one HARN-SUS-003)
const OUTAGE_MS = 4000; // how long two of the three lock servers stay dead

interface WaveFigures {
  requests: number;
  spanMs: number;
  perSec: number;
  p50: number;
  p95: number;
  /** Requests started more than once: they waited for a lock at least once. */
  waited: number;
}

describe('a Redlock quorum of three lock servers (REDLOCK_URLS)', () => {
  let h: Harness;
  let servers: RedisServerHandle[] = [];
  let resumeQ: CatalogQueue<'resume'>;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => startRedisServer()));
    h = await createHarness();
    resumeQ = h.queues.partition(0).resume;
    const logger = createLogger('warn', {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    const redlockUrls = servers.map((s) => s.url);
    for (let i = 0; i < 3; i++) await h.startConsumer({ redlockUrls, logger });
  });
  afterAll(async () => {
    try {
      // Bounded: a lock that hangs (as it did before the fail-fast lock connections) must not
      // leave the three servers running once vitest gives up on this file.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('closing the consumers hung')), 15_000);
      });
      await Promise.race([h?.close(), hung]).finally(() => clearTimeout(timer));
      // The consumers' lock connections (name rp-lock) closed with them.
      await waitFor('lock connections closed', async () => (await onLockServers(lockClients)) === 0, 2000);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  /** Sums `probe` over the three lock servers, each asked on a short-lived connection of its own. */
  const onLockServers = async (probe: (c: Redis) => Promise<number>) => {
    let sum = 0;
    for (const s of servers) {
      const c = new Redis(s.url, { maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      try {
        sum += await probe(c);
      } finally {
        c.disconnect();
      }
    }
    return sum;
  };
  const lockClients = async (c: Redis) =>
    String(await c.client('LIST'))
      .split('\n')
      .filter((l) => l.includes('name=rp-lock')).length;

  const suspendedWorkers = (tag: string, n = WAVE) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const w = await h.producer.registerWorker({ name: `${tag}${i}`, task: 'work' });
        await h.producer.suspend(w.id, { reason: 'park', conditions: { timeout: { duration_ms: 120_000 } } });
        return w.id;
      }),
    );
  const resumeTwice = (ids: string[]) =>
    Promise.all(ids.flatMap((id) => [1, 2].map((n) => h.producer.resume(id, `input ${n}`))));
  const counts = () =>
    resumeQ.getJobCounts('completed', 'failed', 'delayed', 'wait', 'active', 'prioritized');
  const jobsOf = async (jobIds: string[]) => {
    const jobs = (await Promise.all(jobIds.map((id) => resumeQ.getJob(id)))).flatMap((j) => (j ? [j] : []));
    expect(jobs).toHaveLength(jobIds.length); // finished jobs are kept: none may be missing
    return jobs;
  };

  /** One resumed and one HARN-SUS-003 per worker; returns the winners' respawn job ids. */
  const expectOneWinnerEach = (ids: string[], outcomes: ResumeOutcome[]) => {
    const resumed = outcomes.flatMap((o) => (o.outcome === 'resumed' ? [o] : []));
    expect(new Set(resumed.map((o) => o.worker.id))).toEqual(new Set(ids));
    expect(resumed).toHaveLength(ids.length);
    const others = outcomes.filter((o) => o.outcome !== 'resumed');
    expect(others.map((o) => (o.outcome === 'rejected' ? o.error.code : o.outcome))).toEqual(
      ids.map(() => 'HARN-SUS-003'),
    );
    return resumed.map((o) => o.respawnJobId);
  };

  const figures = async (jobIds: string[]): Promise<WaveFigures> => {
    const jobs = await jobsOf(jobIds);
    const latency = jobs.map((j) => (j.finishedOn ?? 0) - j.timestamp).sort((a, b) => a - b);
    const spanMs =
      Math.max(...jobs.map((j) => j.finishedOn ?? 0)) - Math.min(...jobs.map((j) => j.timestamp));
    const at = (q: number) => latency[Math.min(latency.length - 1, Math.floor(q * latency.length))] ?? 0;
    return {
      requests: jobs.length,
      spanMs,
      perSec: Math.round((jobs.length * 1000) / spanMs),
      p50: at(0.5),
      p95: at(0.95),
      waited: jobs.filter((j) => j.attemptsStarted > 1).length,
    };
  };

  /** Lock keys left on the lock servers (checked well inside the 2 s lock TTL: released, not expired). */
  const lockKeysLeft = () => onLockServers(async (c) => (await c.keys(`*${h.prefix}*`)).length);

  it('one server killed: nothing lost or doubled; two killed: requests wait, warn, then all finish once', async ({
    annotate,
  }) => {
    const respawns: string[] = [];
    const allIds: string[] = [];

    // A warm-up (connections, JIT), then wave A with all three servers up: the baseline.
    const idsW = await suspendedWorkers('w', 40);
    respawns.push(
      ...expectOneWinnerEach(idsW, await Promise.all((await resumeTwice(idsW)).map((t) => t.result()))),
    );
    allIds.push(...idsW);
    const idsA = await suspendedWorkers('a');
    const ticketsA = await resumeTwice(idsA);
    respawns.push(...expectOneWinnerEach(idsA, await Promise.all(ticketsA.map((t) => t.result()))));
    const baseline = await figures(ticketsA.map((t) => t.jobId));
    allIds.push(...idsA);

    // Wave B: one server SIGKILLed once a third of the requests are done.
    const idsB = await suspendedWorkers('b');
    const doneBefore = (await counts()).completed ?? 0;
    const ticketsB = await resumeTwice(idsB);
    const doneB = async () => ((await counts()).completed ?? 0) - doneBefore;
    await waitFor('a third of wave B', async () => (await doneB()) >= (2 * WAVE) / 3);
    await servers[0]?.kill('SIGKILL');
    const doneAtKill = await doneB();
    expect(doneAtKill).toBeLessThan(2 * WAVE); // killed mid-run, with requests still to do
    respawns.push(...expectOneWinnerEach(idsB, await Promise.all(ticketsB.map((t) => t.result()))));
    allIds.push(...idsB);

    // Wave C, one server down from the start: the cost of a dead vote.
    const idsC = await suspendedWorkers('c');
    const ticketsC = await resumeTwice(idsC);
    respawns.push(...expectOneWinnerEach(idsC, await Promise.all(ticketsC.map((t) => t.result()))));
    const oneDown = await figures(ticketsC.map((t) => t.jobId));
    allIds.push(...idsC);
    expect((await counts()).failed).toBe(0);

    // Two servers down: no majority. Wave D's requests must wait, not fail.
    await servers[1]?.kill('SIGKILL');
    const idsD = await suspendedWorkers('d');
    const completedBeforeD = (await counts()).completed ?? 0;
    const ticketsD = await resumeTwice(idsD);
    const outageStarted = Date.now();
    await sleep(OUTAGE_MS);
    const during = await counts();
    expect(during.completed).toBe(completedBeforeD);
    expect(during.failed).toBe(0);
    expect(
      (during.delayed ?? 0) + (during.wait ?? 0) + (during.active ?? 0) + (during.prioritized ?? 0),
    ).toBe(2 * WAVE);
    const jobsD = await jobsOf(ticketsD.map((t) => t.jobId));
    const startsD = jobsD.map((j) => j.attemptsStarted);
    // Each request was tried again and again, but with a doubling delay: a fixed 50-200 ms delay
    // would have started it about 30 times in 4 s; the backoff allows about 8.
    expect(Math.min(...startsD)).toBeGreaterThan(2);
    expect(Math.max(...startsD)).toBeLessThanOrEqual(9);
    // Waiting is not a failure: the retry budget is untouched.
    expect(jobsD.filter((j) => (j.data as { retries?: number }).retries !== undefined)).toEqual([]);

    const warns = logs.filter((l) => l.code === 'RP-LOCK-UNAVAILABLE');
    expect(warns.length).toBeGreaterThanOrEqual(1);
    // Rate-limited: one line per consumer and 5 s, not one per delayed request.
    expect(warns.length).toBeLessThanOrEqual(3 * Math.ceil(OUTAGE_MS / 5000) + 3);
    // Every such line is about the lost majority: with two servers up, duplicates never waited long.
    for (const w of warns) expect(w).toMatchObject({ level: 40, reachable: 1, servers: 3 });
    expect(String(warns[0]?.msg)).toMatch(/no Redlock majority/);

    // Both back on their ports (empty: they kept nothing on disk).
    const outageMs = Date.now() - outageStarted;
    const restartedAt = Date.now();
    await Promise.all([servers[0]?.restart(), servers[1]?.restart()]);
    const outcomesD = await Promise.all(ticketsD.map((t) => t.result({ timeoutMs: 20_000 })));
    const lastDoneD = Math.max(...(await jobsOf(ticketsD.map((t) => t.jobId))).map((j) => j.finishedOn ?? 0));
    expect(await lockKeysLeft()).toBe(0);
    respawns.push(...expectOneWinnerEach(idsD, outcomesD));
    allIds.push(...idsD);

    // Wave E, all three back: the lock works on the restarted servers as before.
    const idsE = await suspendedWorkers('e');
    const ticketsE = await resumeTwice(idsE);
    respawns.push(...expectOneWinnerEach(idsE, await Promise.all(ticketsE.map((t) => t.result()))));
    const restored = await figures(ticketsE.map((t) => t.jobId));
    allIds.push(...idsE);
    // The restarted servers vote again (every acquire and release of waves D and E went to them).
    for (const s of servers.slice(0, 2)) {
      const c = new Redis(s.url, { maxRetriesPerRequest: 0 });
      const stats = await c.info('stats').finally(() => c.disconnect());
      expect(Number(/total_commands_processed:(\d+)/.exec(stats)?.[1])).toBeGreaterThan(4 * WAVE);
    }

    // Exactly one respawn per effective resume, over the whole run; nothing failed.
    const jobIds = await h.respawnJobIds();
    expect(jobIds).toHaveLength(allIds.length);
    expect(new Set(jobIds)).toEqual(new Set(respawns));
    expect((await counts()).failed).toBe(0);
    for (const id of allIds) {
      const r = await h.producer.getRecord(id);
      expect(r?.status).toBe('running');
      expect(r?.history).toHaveLength(1);
    }

    await annotate(
      JSON.stringify({
        baseline,
        oneDown,
        restored,
        waveB: { doneAtKill, of: 2 * WAVE },
        outage: {
          ms: outageMs,
          requestsWaited: jobsD.length,
          startsPerRequest: [Math.min(...startsD), Math.max(...startsD)],
        },
        finishedAfterRestartMs: lastDoneD - restartedAt,
        warnLines: warns.length,
      }),
    );
  });
});
