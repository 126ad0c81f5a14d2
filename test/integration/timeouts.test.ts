// Timeout actions, stale timeouts, and the timeout-vs-resume race.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeoutWaker } from '../../src/consumers/timeout-waker.js';
import { createHarness, type Harness, sleep, targets, waitFor } from '../support/harness.js';

describe.each(targets())('timeouts on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
    await h.startConsumer();
  });
  afterEach(async () => h.close());

  const suspendWithTimeout = async (on_timeout: string, extra: Record<string, unknown> = {}) => {
    const w = await h.producer.registerWorker({
      name: 'w',
      task: 'work',
      transcript: {
        id: 'tr1',
        summary: 'Prior digest',
        messages: [{ role: 'user', content: 'hello' }],
        metadata: { k: 1 },
      },
    });
    const s = await h.producer.suspend(w.id, {
      reason: 'wait for review',
      conditions: { timeout: { duration_ms: 150, on_timeout, ...extra } },
    });
    return s;
  };
  const settled = (id: string) =>
    waitFor(`worker ${id} to leave suspended`, async () => {
      const r = await h.producer.getRecord(id);
      return r && r.status !== 'suspended' && r.outbox === null ? r : null;
    });

  it('fail: the worker fails with "auto-resume timeout expired" and no respawn', async () => {
    const s = await suspendWithTimeout('fail');
    const r = await settled(s.id);
    expect(r.status).toBe('failed');
    expect(r.latest_error).toBe('auto-resume timeout expired');
    expect(r.suspension).toBeNull();
    expect(await h.respawnJobIds()).toEqual([]);
    const types = (await h.store.events(s.id)).map((e) => e.type);
    expect(types).toEqual(['WorkerSpawned', 'WorkerSuspended', 'WorkerFailed']);
    const resumeAfter = await (await h.producer.resume(s.id, 'late')).result();
    expect(resumeAfter).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
  });

  it('resume_with_summary: resumes with no input, transcript reduced to the digest, initiator timeout', async () => {
    const s = await suspendWithTimeout('resume_with_summary');
    const r = await settled(s.id);
    expect(r.status).toBe('running');
    expect(r.task).toBe('work');
    expect(r.history).toEqual([]);
    expect(r.transcript).toEqual({
      id: 'tr1',
      messages: [{ role: 'user', content: 'Prior digest' }],
      summary: 'Prior digest',
      metadata: { k: 1 },
    });
    expect(r.continuity).toMatchObject({
      initiator: 'timeout',
      continue_transcript: false,
      digest: 'Prior digest',
      input_present: false,
    });
    expect(await h.respawnJobIds()).toEqual([`respawn-${s.id}-${r.version}`]);
  });

  it('resume_with_input: uses timeout.input when given', async () => {
    const s = await suspendWithTimeout('resume_with_input', { input: 'timed out: proceed without review' });
    const r = await settled(s.id);
    expect(r.status).toBe('running');
    expect(r.task).toBe('timed out: proceed without review');
    expect(r.continuity).toMatchObject({ initiator: 'timeout', input_present: true });
    expect(await h.respawnJobIds()).toHaveLength(1);
  });

  it('resume_with_input without timeout.input: the input is the auto_resume.timeout payload', async () => {
    const s = await suspendWithTimeout('resume_with_input');
    const r = await settled(s.id);
    expect(r.task).toContain('auto_resume.timeout');
    expect(r.task).toContain(s.id);
    expect(r.continuity).toMatchObject({
      initiator: 'timeout',
      input: { type: 'auto_resume.timeout', worker_id: s.id, on_timeout: 'resume_with_input' },
    });
  });

  it('a stale timeout (worker resumed earlier) is a no-op', async () => {
    const w = await h.producer.registerWorker({ name: 'w', task: 'work' });
    const s = await h.producer.suspend(w.id, {
      reason: 'park',
      conditions: { timeout: { duration_ms: 60_000, on_timeout: 'fail' } },
    });
    const resumed = await (await h.producer.resume(w.id, 'go')).result();
    expect(resumed.outcome).toBe('resumed');
    // Put the old epoch's timeout job back on the queue as if its removal had been missed.
    const { Queue } = await import('bullmq');
    const timeoutQueue = new Queue('timeout', {
      connection: h.redis,
      prefix: h.keys.queuePrefix(h.keys.partitionOf(w.id)),
    });
    const job = await timeoutQueue.add(
      'timeout',
      { workerId: w.id, epoch: s.version, dueAtMs: Date.now() },
      { jobId: `timeout-${w.id}-${s.version}` },
    );
    const done = await waitFor('stale timeout', async () => {
      const j = await timeoutQueue.getJob(String(job.id));
      return j?.finishedOn ? j : null;
    });
    expect(done.returnvalue).toMatchObject({ outcome: 'stale' });
    await timeoutQueue.close();
    const r = await h.producer.getRecord(w.id);
    expect(r?.status).toBe('running');
    expect(r?.version).toBe(resumed.outcome === 'resumed' ? resumed.version : -1);
    expect(await h.respawnJobIds()).toHaveLength(1);
  });
});

describe.each(targets())('timeout racing resume on %s', (_name, target) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(target);
    await Promise.all([h.startConsumer(), h.startConsumer(), h.startConsumer()]);
  });
  afterEach(async () => h.close());

  it('200 races between a timeout and a resume due within a few ms: exactly one winner each', async () => {
    const n = 200;
    const actions = ['fail', 'resume_with_summary', 'resume_with_input'];
    const workers: { id: string; action: string }[] = [];
    for (let i = 0; i < n; i++) {
      const w = await h.producer.registerWorker({ name: `r${i}`, task: 'work' });
      workers.push({ id: w.id, action: actions[i % 3] ?? 'fail' });
    }
    const delayMs = 300;
    const started = Date.now();
    await Promise.all(
      workers.map((w) =>
        h.producer.suspend(w.id, {
          reason: 'race',
          conditions: { timeout: { duration_ms: delayMs, on_timeout: w.action } },
        }),
      ),
    );
    // Fire the resumes around the common deadline, spread over a few ms either side.
    await sleep(Math.max(0, started + delayMs - Date.now() - 3));
    const tickets = await Promise.all(workers.map((w) => h.producer.resume(w.id, 'operator says go')));
    const outcomes = await Promise.all(tickets.map((t) => t.result({ timeoutMs: 60_000 })));
    for (const w of workers) {
      await waitFor(`worker ${w.id} settled`, async () => {
        const r = await h.producer.getRecord(w.id);
        return r && r.status !== 'suspended' && r.outbox === null;
      });
    }

    const respawns = new Set(await h.respawnJobIds());
    let resumeWins = 0;
    let timeoutWins = 0;
    for (const [i, w] of workers.entries()) {
      const r = await h.producer.getRecord(w.id);
      const o = outcomes[i];
      if (!r || !o) throw new Error('missing');
      const mine = [...respawns].filter((id) => id.startsWith(`respawn-${w.id}-`));
      if (o.outcome === 'resumed') {
        resumeWins += 1;
        expect(r.status).toBe('running');
        expect(r.task).toBe('operator says go');
        expect(mine).toEqual([o.respawnJobId]);
      } else {
        timeoutWins += 1;
        expect(o).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-003' } });
        if (w.action === 'fail') {
          expect(r.status).toBe('failed');
          expect(mine).toEqual([]);
        } else {
          expect(r.status).toBe('running');
          expect(r.continuity?.initiator).toBe('timeout');
          expect(mine).toHaveLength(1);
        }
      }
      // Never a respawn plus a failure; never two state changes after the suspension.
      expect(r.version).toBe(3);
    }
    expect(resumeWins + timeoutWins).toBe(n);
    console.info(`timeout race: resume won ${resumeWins}, timeout won ${timeoutWins}`);
  });
});

describe('timeouts on time', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("the waker wakes a partition's timeout workers at each deadline, whatever Redis's hz", async () => {
    h = await createHarness();
    // The test server runs at Redis's default hz 10: a blocked worker alone may wake up to 100 ms late.
    expect(await h.redis.config('GET', 'hz')).toEqual(['hz', '10']);
    const marker = h.keys.queueKey(0, 'timeout', 'marker');
    const wakes: number[] = [];
    const sub = h.redis.duplicate();
    await new Promise((resolve) => sub.once('ready', resolve));
    // No consumer runs: after the suspends' own marker writes, only the waker writes the marker.
    await h.redis.del(marker);
    const waker = new TimeoutWaker({ store: h.store, partitions: [0], active: () => true });
    await h.redis.config('SET', 'notify-keyspace-events', 'Kz');
    try {
      await sub.subscribe(`__keyspace@0__:${marker}`);
      // Like a blocked worker, take each wake-up off the marker so the next one is a new write.
      sub.on('message', (_channel: string, event: string) => {
        if (event !== 'zadd') return;
        wakes.push(Date.now());
        void h.redis.zrem(marker, '0');
      });
      const start = Date.now() + 600;
      const due = Array.from({ length: 6 }, (_, i) => start + i * 211);
      for (const deadline of due) {
        const w = await h.producer.registerWorker({ name: 'w', task: 't' });
        await h.producer.suspend(w.id, { conditions: { timeout: { deadline, on_timeout: 'fail' } } });
      }
      const suspended = Date.now();
      waker.start();
      await sleep((due.at(-1) ?? 0) - Date.now() + 200);
      const after = wakes.filter((t) => t > suspended);
      for (const deadline of due) expect(after.some((t) => t >= deadline && t <= deadline + 150)).toBe(true);
      expect(after.every((t) => due.some((d) => t >= d && t <= d + 150))).toBe(true);
    } finally {
      waker.stop();
      await h.redis.config('SET', 'notify-keyspace-events', '');
      sub.disconnect();
    }
  });
});
