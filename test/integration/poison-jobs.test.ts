// Poison jobs: a resume whose PreResume hook ends the process takes down each consumer that runs
// it. After POISON_JOB_DEATHS deaths (3) the job is quarantined (failed with RP-POISON-JOB, listed
// by listQuarantined) instead of run again; the worker keeps its state and its armed timeout, and
// the other workers' resumes go on.

import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/lib/policy/ids.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

describe('poison jobs', () => {
  let h: Harness;
  // Per test: a consumer that exits after its test ended (killed by h.close) is not replaced, even
  // when its exit arrives once the next test has begun.
  let run = { stopping: false };
  beforeEach(async () => {
    h = await createHarness();
    run = { stopping: false };
  });
  afterEach(async () => {
    run.stopping = true;
    await h.close();
  });

  it('three consumer deaths quarantine the job; the worker waits, the others resume', async () => {
    const ids = ['poison', ...Array.from({ length: 20 }, (_, i) => `ok-${i}`)];
    for (const id of ids) {
      await h.producer.registerWorker({ id, name: id, task: 't' });
      await h.producer.suspend(id, { reason: 'wait', conditions: { timeout: { duration_ms: 600_000 } } });
    }
    // A timeout whose resume kills the consumer too: quarantined, and not re-armed by the reconciler.
    await h.producer.registerWorker({ id: 'poison-t', name: 'poison-t', task: 't' });
    await h.producer.suspend('poison-t', { reason: 'wait', conditions: { timeout: { duration_ms: 500 } } });
    // A supervisor: every consumer that dies is replaced, as systemd or Kubernetes would.
    const env = { TEST_EXIT_ON_RESUME_OF: 'poison,poison-t', POISON_JOB_DEATHS: '3' };
    const exits: (number | null)[] = [];
    const [harness, mine] = [h, run];
    const supervise = async (): Promise<ChildProcess> => {
      const child = await harness.spawnConsumer(env);
      child.once('exit', (code) => {
        if (mine.stopping) return;
        exits.push(code);
        // A replacement killed by the test's end before it was ready is no failure.
        void supervise().catch((err: unknown) => {
          if (!mine.stopping) throw err;
        });
      });
      return child;
    };
    await Promise.all([supervise(), supervise()]);

    const poison = await h.producer.resume('poison', 'this kills the consumer');
    const before = await Promise.all(ids.slice(1, 11).map((id) => h.producer.resume(id, 'go')));
    const failure = await poison.result({ timeoutMs: 60_000 }).then(
      () => null,
      (e: { code?: string; message?: string }) => e,
    );
    expect(failure?.code).toBe('RP-POISON-JOB');
    const timeoutJob = jobIds.timeout('poison-t', 2);
    await waitFor(
      'the timeout quarantined',
      async () => (await h.queues.of('poison-t').timeout.getJobState(timeoutJob)) === 'failed',
      60_000,
    );
    // A death counts for every job the process held, but a job is blamed only for the first and for
    // those while it ran alone: 3 to 6 deaths for the two poison jobs.
    const deaths = exits.length;
    expect(deaths).toBeGreaterThanOrEqual(3);
    expect(deaths).toBeLessThanOrEqual(6);
    expect(new Set(exits)).toEqual(new Set([7]));
    const after = await Promise.all(ids.slice(11).map((id) => h.producer.resume(id, 'go')));
    const outcomes = await Promise.all([...before, ...after].map((t) => t.result({ timeoutMs: 60_000 })));
    expect(outcomes.map((o) => o.outcome)).toEqual(ids.slice(1).map(() => 'resumed'));

    const quarantined = await h.producer.listQuarantined();
    expect(quarantined.map(({ atMs: _, ...q }) => q).sort((a, b) => a.queue.localeCompare(b.queue))).toEqual([
      { queue: 'resume', jobId: poison.jobId, workerId: 'poison', deaths: expect.any(Number) },
      { queue: 'timeout', jobId: timeoutJob, workerId: 'poison-t', deaths: expect.any(Number) },
    ]);
    for (const q of quarantined) expect(q.deaths).toBeGreaterThanOrEqual(3);
    expect(await h.queues.of('poison').resume.getJobState(poison.jobId)).toBe('failed');
    // The worker kept its state: still suspended, its timeout still armed.
    const w = await h.producer.getWorker('poison');
    expect(w?.status).toBe('suspended');
    expect(w?.version).toBe(2);
    expect(await h.queues.of('poison').timeout.getJobState(jobIds.timeout('poison', 2))).toBe('delayed');
    // No more deaths: neither job runs again, though the reconciler (every 500 ms) sees the overdue
    // timeout; its worker stays suspended.
    await new Promise((r) => setTimeout(r, 3000));
    expect(exits.length).toBe(deaths);
    expect(await h.queues.of('poison-t').timeout.getJobState(timeoutJob)).toBe('failed');
    expect((await h.producer.getWorker('poison-t'))?.status).toBe('suspended');
    // An operator decides: here, closing it.
    expect((await h.producer.close('poison')).status).toBe('cancelled');
  }, 120_000);

  it('a job quarantined twice (its consumer died between the entry and the failure) is listed once', async () => {
    // Seen under load: two poison jobs in one consumer, one quarantined while the other's hook ended
    // the process; the first was redelivered and quarantined again with a higher death count.
    const entry = { queue: 'resume', jobId: 'r-twice', workerId: 'w-twice', deaths: 3, atMs: 1000 };
    await h.store.indexes.quarantine(entry, 3_600_000);
    await h.store.indexes.quarantine({ ...entry, deaths: 5, atMs: 2000 }, 3_600_000);
    expect(await h.producer.listQuarantined()).toEqual([{ ...entry, deaths: 5 }]);
    // Entries past the retention go, with their death counts.
    await h.store.indexes.quarantine({ ...entry, jobId: 'r-later', atMs: 3_700_000 }, 3_600_000);
    expect((await h.producer.listQuarantined()).map((q) => q.jobId)).toEqual(['r-later']);
    expect(await h.redis.hkeys(`${h.keys.quarantine(h.keys.partitionOf('w-twice'))}:deaths`)).toEqual([
      'resume r-later',
    ]);
  });

  it('refuses a poisonDeaths that is not a positive integer', async () => {
    const { createConsumer } = await import('../../src/consumers/consumer.js');
    expect(() => createConsumer({ connection: h.connection, prefix: h.prefix, poisonDeaths: 0 })).toThrow(
      /poisonDeaths must be an integer >= 1/,
    );
  });
});
