// PreResume hooks block or rewrite a resume; PostResume is advisory.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PreResumePayload } from '../../src/lib/policy/types.js';
import { createHarness, type Harness } from '../support/harness.js';

describe('PreResume and PostResume hooks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('a blocking hook keeps the worker suspended with pre_resume_denied and its timeout armed', async () => {
    const seen: PreResumePayload[] = [];
    await h.startConsumer({
      hooks: {
        preResume: [
          (p) => {
            seen.push(p);
            return { block: true, reason: 'waiting for approval' };
          },
        ],
      },
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id, {
      reason: 'park',
      conditions: { timeout: { duration_ms: 60_000 } },
    });
    const outcome = await (await h.producer.resume(w.id, 'go')).result();
    expect(outcome).toMatchObject({
      outcome: 'blocked',
      reason: 'waiting for approval',
      error: 'pre_resume_denied',
      worker: { status: 'suspended', pre_resume_denied: 'waiting for approval' },
    });
    expect(seen).toEqual([
      { event: 'PreResume', worker: { id: w.id }, resume_input: 'go', continue_transcript: true },
    ]);
    const after = await h.producer.getWorker(w.id);
    expect(after?.status).toBe('suspended');
    expect(after?.version).toBe(s.version);
    expect(await h.redis.exists(h.keys.queueKey(0, 'timeout', `timeout-${w.id}-${s.version}`))).toBe(1);
    expect(await h.respawnJobIds()).toEqual([]);
  });

  it('a hook that rewrites the input into blank text gets HARN-SUS-009: the job completes, nothing changes', async () => {
    await h.startConsumer({ hooks: { preResume: [() => ({ modify: { resume_input: ' \n ' } })] } });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id, { conditions: { timeout: { duration_ms: 60_000 } } });
    const ticket = await h.producer.resume(w.id, 'go');
    expect(await ticket.result()).toMatchObject({
      outcome: 'rejected',
      error: { code: 'HARN-SUS-009' },
      worker: { status: 'suspended', version: s.version },
    });
    // A defined rejection, not a failed job.
    expect(await h.queues.of(w.id).resume.getJobState(ticket.jobId)).toBe('completed');
    expect(await h.redis.exists(h.keys.queueKey(0, 'timeout', `timeout-${w.id}-${s.version}`))).toBe(1);
    expect(await h.respawnJobIds()).toEqual([]);
  });

  it('a hook that throws is retried with backoff; a job out of retries fails with its code', async () => {
    let calls = 0;
    await h.startConsumer({
      retry: { attempts: 3, firstDelayMs: 20 },
      hooks: {
        preResume: [
          (p) => {
            calls += 1;
            if (p.resume_input === 'never' || calls <= 2) throw new Error(`hook down (${calls})`);
            return true;
          },
        ],
      },
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    const ticket = await h.producer.resume(w.id, 'go');
    expect(await ticket.result()).toMatchObject({ outcome: 'resumed' });
    expect(calls).toBe(3);
    const job = await h.queues.of(w.id).resume.getJob(ticket.jobId);
    expect(job?.data.retries).toBe(2);

    await h.producer.suspend(w.id);
    const doomed = await h.producer.resume(w.id, 'never');
    await expect(doomed.result()).rejects.toMatchObject({ code: 'RP-INTERNAL' });
    expect(await h.queues.of(w.id).resume.getJobState(doomed.jobId)).toBe('failed');
    expect((await h.producer.getWorker(w.id))?.status).toBe('suspended');
  });

  it("false blocks with Harn's message", async () => {
    await h.startConsumer({ hooks: { preResume: [() => false] } });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    const outcome = await (await h.producer.resume(w.id, 'go')).result();
    expect(outcome).toMatchObject({ outcome: 'blocked', reason: 'PreResume hook returned false' });
  });

  it('modify replaces the input; later hooks see the modified payload; the first block wins', async () => {
    const order: string[] = [];
    await h.startConsumer({
      hooks: {
        preResume: [
          (p) => {
            order.push(`a:${String(p.resume_input)}`);
            return { modify: { ...p, resume_input: 'rewritten by policy' } };
          },
          (p) => {
            order.push(`b:${String(p.resume_input)}`);
            return true;
          },
        ],
        postResume: [
          () => {
            throw new Error('audit sink down');
          },
        ],
      },
    });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    await h.producer.suspend(w.id);
    const outcome = await (await h.producer.resume(w.id, 'original')).result();
    expect(order).toEqual(['a:original', 'b:rewritten by policy']);
    expect(outcome).toMatchObject({ outcome: 'resumed', worker: { task: 'rewritten by policy' } });
    // PostResume failures are reported, the resume stands.
    expect(outcome.outcome === 'resumed' && outcome.postResumeErrors).toEqual(['audit sink down']);
    expect((await h.respawnJobIds()).length).toBe(1);
  });

  it('a hook returning a wrong type fails the request without touching the worker', async () => {
    await h.startConsumer({ hooks: { preResume: [() => 42] } });
    const w = await h.producer.registerWorker({ name: 'w', task: 't' });
    const s = await h.producer.suspend(w.id);
    const ticket = await h.producer.resume(w.id, 'go');
    await expect(ticket.result({ timeoutMs: 10_000 })).rejects.toThrow(
      /hook must return nil, bool, or a control dict; got/,
    );
    expect((await h.producer.getWorker(w.id))?.version).toBe(s.version);
  });
});

describe('PreSuspend and PostSuspend hooks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('PreSuspend block leaves the worker running with pre_suspend_denied; modify rewrites the reason', async () => {
    const { createProducer } = await import('../../src/producers/producer.js');
    const posts: unknown[] = [];
    const guarded = createProducer({
      connection: h.connection,
      prefix: h.prefix,
      hooks: {
        preSuspend: [
          (p) => (p.reason === 'forbidden' ? { block: true, reason: 'not during a deploy' } : undefined),
          (p) => ({ modify: { ...p, reason: `[policy] ${p.reason}` } }),
        ],
        postSuspend: [
          (p) => {
            posts.push(p);
          },
          () => {
            throw new Error('advisory only');
          },
        ],
      },
    });
    const w = await guarded.registerWorker({ name: 'w', task: 't' });
    const denied = await guarded.suspend(w.id, { reason: 'forbidden' });
    expect(denied).toMatchObject({
      status: 'running',
      version: w.version,
      pre_suspend_denied: 'not during a deploy',
    });
    const s = await guarded.suspend(w.id, { reason: 'waiting' });
    expect(s.suspension?.reason).toBe('[policy] waiting');
    expect(posts).toEqual([
      { event: 'PostSuspend', worker: { id: w.id }, reason: '[policy] waiting', snapshot_path: null },
    ]);
    await guarded.disconnect();
  });
});
