// Harn's acceptance cases (harn-semantics §9) through the public API against real Redis.
// Case numbers follow §9; cases that need Harn's agent loop or tracing are listed in docs/semantics.md.

import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

describe('Harn acceptance cases', () => {
  let h: Harness;
  let timeouts: Queue;
  beforeEach(async () => {
    h = await createHarness();
    await h.startConsumer();
    timeouts = new Queue('timeout', { connection: h.redis, prefix: h.keys.queuePrefix(0) });
  });
  afterEach(async () => {
    await timeouts.close();
    await h.close();
  });

  const register = (name = 'worker', extra: Record<string, unknown> = {}) =>
    h.producer.registerWorker({ name, task: 'initial task', ...extra });
  const eventTypes = async (id: string) => (await h.store.events(id)).map((e) => e.type);
  const triggerBinding = (topic: string, id: string) => h.redis.hget(h.keys.trigger(0, topic), id);
  /**
   * "clock +N min": the suspension's deadline is now. A timeout fires only once its deadline has
   * passed by Redis's clock (docs/reliability.md §7), so promoting its delayed job is not enough:
   * the deadline moves (extendTimeout, as an operator would), which fires it at once.
   */
  const advanceClockPastTimeout = async (workerId: string, epoch: number) => {
    await h.producer.extendTimeout(workerId, { until: Date.now() }, { expectEpoch: epoch });
  };
  const settled = (id: string) =>
    waitFor(`worker ${id} settled`, async () => {
      const r = await h.producer.getRecord(id);
      return r && r.status !== 'suspended' && r.outbox === null ? r : null;
    });

  it('case 1: suspend a running worker; re-suspend with another reason is identical and emits nothing', async () => {
    const w = await register();
    const s = await h.producer.suspend(w.id, { reason: 'first reason' });
    expect(s.status).toBe('suspended');
    expect(s.suspension).not.toBeNull();
    const again = await h.producer.suspend(w.id, { reason: 'another reason' });
    expect(again.suspension).toEqual(s.suspension);
    expect(await eventTypes(w.id)).toEqual(['WorkerSpawned', 'WorkerSuspended']);
  });

  it('case 2: resume with text sets the task; close cancels', async () => {
    const w = await register();
    await h.producer.suspend(w.id, { reason: 'park' });
    const o = await (await h.producer.resume(w.id, 'next: write the report')).result();
    expect(o).toMatchObject({
      outcome: 'resumed',
      worker: { status: 'running', suspension: null, task: 'next: write the report' },
    });
    expect((await h.producer.close(w.id)).status).toBe('cancelled');
  });

  it('case 3: a trigger condition registers a binding; an operator resume terminates it', async () => {
    const w = await register();
    const s = await h.producer.suspend(w.id, {
      initiator: 'self',
      conditions: { trigger: { kind: 'review.approved', provider: 'github' } },
    });
    expect(s.suspension?.initiator).toBe('self');
    expect(s.suspension?.auto_resume_trigger?.id).toMatch(new RegExp(`^auto_resume_${w.id}_`));
    const record = await h.producer.getRecord(w.id);
    expect(record?.suspension?.auto_resume_trigger?.match_events).toEqual(['review.approved']);
    expect(await triggerBinding('review.approved', w.id)).toBe(String(s.version));
    const o = await (await h.producer.resume(w.id, 'operator override')).result();
    expect(o.outcome).toBe('resumed');
    expect(await triggerBinding('review.approved', w.id)).toBeNull();
  });

  it('case 4: a github review.approved event resumes the waiting worker once', async () => {
    const w = await register();
    const s = await h.producer.suspend(w.id, {
      conditions: { trigger: { kind: 'review.approved', provider: 'github' } },
    });
    const tickets = await h.producer.deliverEvent({
      provider: 'github',
      kind: 'review.approved',
      id: 'evt-1',
      payload: { decision: 'approved' },
    });
    expect(tickets).toHaveLength(1);
    const o = await tickets[0]?.result();
    expect(o).toMatchObject({ outcome: 'resumed', worker: { status: 'running' } });
    const r = await h.producer.getRecord(w.id);
    expect(r?.task).toContain('approved');
    expect(r?.continuity).toMatchObject({
      initiator: 'triggered',
      resume: {
        trigger: {
          id: s.suspension?.auto_resume_trigger?.id,
          event_id: 'evt-1',
          kind: 'review.approved',
          provider: 'github',
        },
      },
    });
    expect(await triggerBinding('review.approved', w.id)).toBeNull();
    // One-shot: the same event again finds nobody waiting.
    expect(
      await h.producer.deliverEvent({ provider: 'github', kind: 'review.approved', id: 'evt-2' }),
    ).toEqual([]);
  });

  it('case 5: a 1 min resume_with_input timeout fires; the task holds the auto_resume.timeout payload', async () => {
    const w = await register();
    const s = await h.producer.suspend(w.id, {
      conditions: {
        trigger: { kind: 'review.approved', provider: 'github' },
        timeout: { duration_minutes: 1, on_timeout: 'resume_with_input' },
      },
    });
    expect(s.suspension?.deadline_ms).toBeGreaterThanOrEqual(Date.now() + 59_000);
    await advanceClockPastTimeout(w.id, s.version);
    const r = await settled(w.id);
    expect(r.status).toBe('running');
    expect(r.task).toContain('auto_resume.timeout');
    expect(await triggerBinding('review.approved', w.id)).toBeNull();
  });

  it('case 6: continue_transcript false keeps only the digest; continuity records it', async () => {
    const w = await register('digest', {
      transcript: {
        id: 't-1',
        summary: 'Prior digest',
        messages: [{ role: 'user', content: 'long history' }],
        metadata: {},
      },
    });
    await h.producer.suspend(w.id, { reason: 'park before fresh prompt' });
    const o = await (
      await h.producer.resume(w.id, { input: 'fresh prompt', continue_transcript: false })
    ).result();
    expect(o).toMatchObject({ outcome: 'resumed', worker: { task: 'fresh prompt' } });
    const r = await h.producer.getRecord(w.id);
    expect(r?.transcript?.messages).toEqual([{ role: 'user', content: 'Prior digest' }]);
    expect(r?.continuity).toMatchObject({
      continue_transcript: false,
      reason: 'park before fresh prompt',
      suspended_at_turn: 0,
      digest: 'Prior digest',
      input_rendered: 'fresh prompt',
    });
  });

  it('case 7: close while suspended; resume gives HARN-SUS-010; re-close stays cancelled', async () => {
    const w = await register();
    await h.producer.suspend(w.id);
    expect((await h.producer.close(w.id)).status).toBe('cancelled');
    const o = await (await h.producer.resume(w.id, 'go')).result();
    expect(o).toMatchObject({ outcome: 'rejected', error: { code: 'HARN-SUS-010' } });
    if (o.outcome === 'rejected') expect(o.error.message).toContain('was closed and cannot be resumed');
    expect((await h.producer.close(w.id)).status).toBe('cancelled');
  });

  it('case 10: error cases give Harn codes', async () => {
    const running = await register();
    expect(await (await h.producer.resume(running.id, 'go')).result()).toMatchObject({
      error: { code: 'HARN-SUS-003' },
    });
    const suspended = await register();
    await h.producer.suspend(suspended.id);
    await expect(h.producer.resume(suspended.id, '')).rejects.toMatchObject({ code: 'HARN-SUS-009' });
    await expect(h.producer.suspend(running.id, { conditions: { trigger: {} } })).rejects.toMatchObject({
      code: 'HARN-SUS-007',
    });
    await expect(
      h.producer.suspend(running.id, {
        conditions: { timeout: { duration_minutes: 1, on_timeout: 'explode' } },
      }),
    ).rejects.toMatchObject({ code: 'HARN-SUS-008' });
    const done = await register();
    await h.producer.complete(done.id);
    await expect(h.producer.suspend(done.id)).rejects.toMatchObject({
      code: 'HARN-SUS-001',
      message: `HARN-SUS-001: suspend_agent: worker ${done.id} is not running (status=completed)`,
    });
    expect((await h.producer.getWorker(running.id))?.status).toBe('running');
  });

  describe('case 12: conformance fixtures', () => {
    it('agent_auto_resume_trigger: suspended/true/true/dispatched/completed/true', async () => {
      const w = await register();
      const s = await h.producer.suspend(w.id, {
        conditions: { trigger: { kind: 'deploy.finished', provider: 'ci' } },
      });
      const tickets = await h.producer.deliverEvent({
        provider: 'ci',
        kind: 'deploy.finished',
        id: 'd1',
        payload: { ok: true },
      });
      const outcome = await tickets[0]?.result();
      const done = await h.producer.complete(w.id);
      expect([
        s.status,
        s.suspension !== null,
        s.suspension?.auto_resume_trigger?.id !== undefined,
        tickets.length === 1 ? 'dispatched' : 'none',
        done.status,
        outcome?.outcome === 'resumed',
      ]).toEqual(['suspended', true, true, 'dispatched', 'completed', true]);
    });

    it('suspend_timeout_resume_with_summary: suspended, trigger set, completed, has_transcript', async () => {
      const w = await register('summary', {
        transcript: { id: 't', summary: 'what happened so far', messages: [] },
      });
      const s = await h.producer.suspend(w.id, {
        conditions: {
          trigger: { kind: 'review.approved', provider: 'github' },
          timeout: { duration_minutes: 5 },
        },
      });
      await advanceClockPastTimeout(w.id, s.version);
      const r = await settled(w.id);
      const done = await h.producer.complete(w.id);
      expect([
        s.status,
        s.suspension?.auto_resume_trigger !== undefined,
        done.status,
        r.transcript !== null,
      ]).toEqual(['suspended', true, 'completed', true]);
    });

    it('suspend_timeout_fail: suspended, trigger set, failed with a timeout error, resume errors', async () => {
      const w = await register();
      const s = await h.producer.suspend(w.id, {
        conditions: {
          trigger: { kind: 'review.approved', provider: 'github' },
          timeout: { duration_minutes: 5, on_timeout: 'fail' },
        },
      });
      await advanceClockPastTimeout(w.id, s.version);
      const r = await settled(w.id);
      expect(r.status).toBe('failed');
      expect(r.latest_error).toContain('timeout');
      // Harn's fixture comment says SUS-001; its code (and ours) gives SUS-003.
      expect(await (await h.producer.resume(w.id, 'late')).result()).toMatchObject({
        error: { code: 'HARN-SUS-003' },
      });
      expect(s.suspension?.auto_resume_trigger).toBeDefined();
    });

    it('suspend_double_resume_race: suspended, running, completed, then "not suspended"', async () => {
      const w = await register();
      const s = await h.producer.suspend(w.id);
      const first = await (await h.producer.resume(w.id, 'one')).result();
      const done = await h.producer.complete(w.id);
      const second = await (await h.producer.resume(w.id, 'two')).result();
      expect([s.status, first.worker?.status, done.status]).toEqual(['suspended', 'running', 'completed']);
      expect(second.outcome === 'rejected' && second.error.message).toContain('not suspended');
    });

    it('agent_await_resumption: a self-park is suspended with initiator self and its conditions echoed', async () => {
      const w = await register();
      const conditions = { trigger: { kind: 'human.reply', provider: 'slack' } };
      const s = await h.producer.suspend(w.id, {
        reason: 'awaiting_resumption',
        initiator: 'self',
        conditions,
      });
      expect(s.status).toBe('suspended');
      expect(s.suspension?.initiator).toBe('self');
      expect(s.suspension?.conditions).toEqual(conditions);
    });
  });
});
