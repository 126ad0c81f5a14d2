// Every decide function as a table: record in, decision out (commit with its effects and event,
// unchanged, or a coded rejection). These are the only places a state change is decided.

import { describe, expect, it } from 'vitest';
import { parseResumeConditions } from '../../src/lib/policy/conditions.js';
import { type Decision, nowFrom } from '../../src/lib/policy/decision.js';
import { decideFinish } from '../../src/lib/policy/finish.js';
import { decideResume, precheckResume } from '../../src/lib/policy/resume.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import { decideSuspend, type SuspendRequest } from '../../src/lib/policy/suspend.js';
import { decideTimeoutFail, planTimeout } from '../../src/lib/policy/timeout.js';
import type { JsonValue, WorkerRecord } from '../../src/lib/policy/types.js';
import { decideCancelWait, decideExtend } from '../../src/lib/policy/wait.js';
import { decideImport, decideRegister, type NewWorker } from '../../src/lib/policy/worker-record.js';
import { FIXED_MS, makeRecord, makeSuspension } from '../support/records.js';

const NOW = nowFrom(FIXED_MS + 60_000);

const suspendReq = (conditions: JsonValue = null, extra: Partial<SuspendRequest> = {}): SuspendRequest => ({
  reason: 'waiting',
  initiator: 'self',
  rawConditions: conditions,
  conditions: parseResumeConditions(conditions),
  triggerUnique: 'u1',
  ...extra,
});

const suspended = (
  overrides: Partial<WorkerRecord['suspension'] & object> = {},
  record: Partial<WorkerRecord> = {},
) =>
  makeRecord({
    status: 'suspended',
    version: 2,
    suspension: makeSuspension({ epoch: 2, ...overrides }),
    ...record,
  });

const withTimeout = suspended({
  deadline_ms: FIXED_MS + 30_000,
  on_timeout: 'resume_with_summary',
  timeout_job_id: 'timeout-worker_1-2',
});

const newWorker: NewWorker = {
  id: 'worker_1',
  name: 'reviewer',
  task: 'review',
  mode: 'sub_agent',
  config: null,
  transcript: null,
  parentWorkerId: null,
};

/** What a table row expects of a decision. */
type Expect =
  | { commit: { status: string; version: number; effects: string[]; event: string } }
  | { unchanged: unknown }
  | { reject: string };

function shape(d: Decision<unknown>): Expect {
  if (d.kind === 'commit')
    return {
      commit: {
        status: d.next.status,
        version: d.next.version,
        effects: d.effects.map((e) => e.kind),
        event: d.event.type,
      },
    };
  if (d.kind === 'unchanged') return { unchanged: d.info };
  return { reject: d.error.code };
}

const resumeReq = (input: JsonValue = 'go on', continueTranscript?: boolean) => ({
  options: parseResumeOptions(input, continueTranscript),
  requestId: 'req-1',
  digest: null,
});

const rows: { name: string; decide: () => Decision<unknown>; expect: Expect }[] = [
  // register
  {
    name: 'register: a new id',
    decide: () => decideRegister(null, newWorker, NOW),
    expect: { commit: { status: 'running', version: 1, effects: [], event: 'WorkerSpawned' } },
  },
  {
    name: 'register: an existing id',
    decide: () => decideRegister(makeRecord(), newWorker, NOW),
    expect: { reject: 'RP-WORKER-EXISTS' },
  },
  // suspend
  {
    name: 'suspend: running, no conditions',
    decide: () => decideSuspend(makeRecord(), 'worker_1', suspendReq(), NOW),
    expect: { commit: { status: 'suspended', version: 2, effects: [], event: 'WorkerSuspended' } },
  },
  {
    name: 'suspend: with a timeout arms it',
    decide: () =>
      decideSuspend(makeRecord(), 'worker_1', suspendReq({ timeout: { duration_ms: 5000 } }), NOW),
    expect: {
      commit: { status: 'suspended', version: 2, effects: ['armTimeout'], event: 'WorkerSuspended' },
    },
  },
  {
    name: 'suspend: a trigger needs no effect (the commit writes the binding)',
    decide: () => decideSuspend(makeRecord(), 'worker_1', suspendReq({ on_event: 'review.approved' }), NOW),
    expect: { commit: { status: 'suspended', version: 2, effects: [], event: 'WorkerSuspended' } },
  },
  {
    name: 'suspend: an early resume waiting in the inbox is taken; the timeout is not armed',
    decide: () =>
      decideSuspend(
        makeRecord(),
        'worker_1',
        suspendReq(
          { timeout: { duration_ms: 5000 } },
          { early: [{ jobId: 'r-1', expiresAtMs: NOW.ms + 1000, fits: true }] },
        ),
        NOW,
      ),
    expect: { commit: { status: 'suspended', version: 2, effects: [], event: 'WorkerSuspended' } },
  },
  {
    name: 'suspend: an expired early resume is left; one its schema refuses does not disarm the timeout',
    decide: () =>
      decideSuspend(
        makeRecord(),
        'worker_1',
        suspendReq(
          { timeout: { duration_ms: 5000 } },
          {
            early: [
              { jobId: 'r-old', expiresAtMs: NOW.ms, fits: true },
              { jobId: 'r-bad', expiresAtMs: NOW.ms + 1000, fits: false },
            ],
          },
        ),
        NOW,
      ),
    expect: {
      commit: { status: 'suspended', version: 2, effects: ['armTimeout'], event: 'WorkerSuspended' },
    },
  },
  {
    name: 'suspend: already suspended is unchanged',
    decide: () => decideSuspend(suspended(), 'worker_1', suspendReq(), NOW),
    expect: { unchanged: 'already-suspended' },
  },
  {
    name: 'suspend: not running',
    decide: () => decideSuspend(makeRecord({ status: 'completed' }), 'worker_1', suspendReq(), NOW),
    expect: { reject: 'HARN-SUS-001' },
  },
  {
    name: 'suspend: a stale runtime (expectVersion behind)',
    decide: () =>
      decideSuspend(makeRecord({ version: 4 }), 'worker_1', suspendReq(null, { expectVersion: 3 }), NOW),
    expect: { reject: 'HARN-SUS-006' },
  },
  {
    name: 'suspend: unknown worker',
    decide: () => decideSuspend(null, 'ghost', suspendReq(), NOW),
    expect: { reject: 'RP-UNKNOWN-WORKER' },
  },
  // resume
  {
    name: 'resume: suspended, text input',
    decide: () => decideResume(suspended(), resumeReq(), NOW),
    expect: { commit: { status: 'running', version: 3, effects: ['respawn'], event: 'WorkerResumed' } },
  },
  {
    name: 'resume: with PostResume hooks registered',
    decide: () => decideResume(suspended(), { ...resumeReq(), postResume: true }, NOW),
    expect: {
      commit: { status: 'running', version: 3, effects: ['respawn', 'postResume'], event: 'WorkerResumed' },
    },
  },
  {
    name: 'resume: an armed timeout needs no effect (the commit removes its delayed job)',
    decide: () => decideResume(withTimeout, resumeReq(), NOW),
    expect: { commit: { status: 'running', version: 3, effects: ['respawn'], event: 'WorkerResumed' } },
  },
  {
    name: 'resume: closed',
    decide: () => decideResume(makeRecord({ status: 'cancelled', version: 3 }), resumeReq(), NOW),
    expect: { reject: 'HARN-SUS-010' },
  },
  {
    name: 'resume: running',
    decide: () => decideResume(makeRecord(), resumeReq(), NOW),
    expect: { reject: 'HARN-SUS-003' },
  },
  {
    name: 'resume: blank input',
    decide: () => decideResume(suspended(), resumeReq('  \n '), NOW),
    expect: { reject: 'HARN-SUS-009' },
  },
  // precheck (before the hooks)
  {
    name: 'precheck: unknown worker',
    decide: () => precheckResume(null, 'ghost', resumeReq()) ?? { kind: 'unchanged', info: 'go on' },
    expect: { reject: 'RP-UNKNOWN-WORKER' },
  },
  {
    name: 'precheck: the request that committed already replays its outcome',
    decide: () =>
      precheckResume(
        makeRecord({ version: 3, last_request: { id: 'req-1', version: 3 } }),
        'worker_1',
        resumeReq(),
      ) ?? { kind: 'unchanged', info: 'go on' },
    expect: {
      unchanged: {
        kind: 'replay',
        outcome: { outcome: 'resumed', version: 3, respawnJobId: 'respawn-worker_1-3' },
      },
    },
  },
  {
    name: 'precheck: a suspended worker goes on to the hooks',
    decide: () =>
      precheckResume(suspended(), 'worker_1', resumeReq()) ?? { kind: 'unchanged', info: 'go on' },
    expect: { unchanged: 'go on' },
  },
  // event delivery
  {
    name: 'event: the binding of this suspension and kind',
    decide: () =>
      precheckResume(
        suspended({ auto_resume_trigger: { id: 't', version: 2, match_events: ['review.approved'] } }),
        'worker_1',
        { ...resumeReq(), event: { epoch: 2, kind: 'review.approved' } },
      ) ?? { kind: 'unchanged', info: 'go on' },
    expect: { unchanged: 'go on' },
  },
  {
    name: 'event: a binding of an older suspension',
    decide: () =>
      precheckResume(
        suspended({
          epoch: 4,
          auto_resume_trigger: { id: 't', version: 4, match_events: ['review.approved'] },
        }),
        'worker_1',
        { ...resumeReq(), event: { epoch: 2, kind: 'review.approved' } },
      ) ?? { kind: 'unchanged', info: 'go on' },
    expect: { reject: 'HARN-SUS-003' },
  },
  {
    name: 'event: a kind this suspension does not wait for',
    decide: () =>
      precheckResume(
        suspended({ auto_resume_trigger: { id: 't', version: 2, match_events: ['review.approved'] } }),
        'worker_1',
        { ...resumeReq(), event: { epoch: 2, kind: 'deploy.done' } },
      ) ?? { kind: 'unchanged', info: 'go on' },
    expect: { reject: 'HARN-SUS-003' },
  },
  // timeout
  {
    name: 'timeout: fail',
    decide: () => decideTimeoutFail(suspended({ deadline_ms: FIXED_MS, on_timeout: 'fail' }), NOW, 'job'),
    expect: { commit: { status: 'failed', version: 3, effects: [], event: 'WorkerFailed' } },
  },
  // finish, close
  {
    name: 'complete: running',
    decide: () => decideFinish(makeRecord(), 'worker_1', { status: 'completed', error: null }, NOW),
    expect: { commit: { status: 'completed', version: 2, effects: [], event: 'WorkerCompleted' } },
  },
  {
    name: 'fail: interrupted (a cold-loaded running worker)',
    decide: () =>
      decideFinish(makeRecord({ status: 'interrupted' }), 'worker_1', { status: 'failed', error: 'x' }, NOW),
    expect: { commit: { status: 'failed', version: 2, effects: [], event: 'WorkerFailed' } },
  },
  {
    name: 'complete: suspended',
    decide: () => decideFinish(suspended(), 'worker_1', { status: 'completed', error: null }, NOW),
    expect: { reject: 'HARN-SUS-001' },
  },
  {
    name: 'complete: a stale runtime',
    decide: () =>
      decideFinish(
        makeRecord({ version: 5 }),
        'worker_1',
        { status: 'completed', error: null, expectVersion: 4 },
        NOW,
      ),
    expect: { reject: 'HARN-SUS-006' },
  },
  {
    name: 'close: suspended with a timeout (the commit disarms it)',
    decide: () => decideFinish(withTimeout, 'worker_1', { status: 'cancelled', error: null }, NOW),
    expect: { commit: { status: 'cancelled', version: 3, effects: [], event: 'WorkerCancelled' } },
  },
  {
    name: 'close: already closed is unchanged',
    decide: () =>
      decideFinish(
        makeRecord({ status: 'cancelled' }),
        'worker_1',
        { status: 'cancelled', error: null },
        NOW,
      ),
    expect: { unchanged: 'already-closed' },
  },
  {
    name: 'stop: a cancelled worker becomes stopped',
    decide: () =>
      decideFinish(makeRecord({ status: 'cancelled' }), 'worker_1', { status: 'stopped', error: null }, NOW),
    expect: { commit: { status: 'stopped', version: 2, effects: [], event: 'WorkerStopped' } },
  },
  {
    name: 'close: unknown worker',
    decide: () => decideFinish(null, 'ghost', { status: 'cancelled', error: null }, NOW),
    expect: { reject: 'RP-UNKNOWN-WORKER' },
  },
  // import
  {
    name: 'import: a new worker, suspended with a timeout, is armed',
    decide: () => decideImport(null, withTimeout, true),
    expect: { commit: { status: 'suspended', version: 2, effects: ['armTimeout'], event: 'WorkerImported' } },
  },
  {
    name: 'import: replacing a stored worker takes the next version',
    decide: () => decideImport(makeRecord({ version: 7 }), withTimeout, true),
    expect: { commit: { status: 'suspended', version: 8, effects: ['armTimeout'], event: 'WorkerImported' } },
  },
  {
    name: 'import: an interrupted worker arms nothing',
    decide: () => decideImport(null, makeRecord({ status: 'interrupted' }), true),
    expect: { commit: { status: 'interrupted', version: 1, effects: [], event: 'WorkerImported' } },
  },
  {
    name: 'import: without replace over a stored worker',
    decide: () => decideImport(makeRecord(), makeRecord(), false),
    expect: { reject: 'RP-WORKER-EXISTS' },
  },
  {
    name: 'extend: moves the armed deadline (same epoch, next version, a new timeout job)',
    decide: () => decideExtend(withTimeout, 'worker_1', { byMs: 5000 }, NOW),
    expect: {
      commit: { status: 'suspended', version: 3, effects: ['armTimeout'], event: 'WorkerDeadlineMoved' },
    },
  },
  {
    name: 'extend: a running worker',
    decide: () => decideExtend(makeRecord(), 'worker_1', { byMs: 5000 }, NOW),
    expect: { reject: 'HARN-SUS-003' },
  },
  {
    name: 'extend: another epoch than expected',
    decide: () => decideExtend(withTimeout, 'worker_1', { byMs: 5000, expectEpoch: 9 }, NOW),
    expect: { reject: 'HARN-SUS-003' },
  },
  {
    name: 'extend: no armed timeout',
    decide: () => decideExtend(suspended(), 'worker_1', { untilMs: FIXED_MS }, NOW),
    expect: { reject: 'RP-NO-TIMEOUT' },
  },
  {
    name: 'extend: an unknown worker',
    decide: () => decideExtend(null, 'worker_1', { byMs: 1 }, NOW),
    expect: { reject: 'RP-UNKNOWN-WORKER' },
  },
  {
    name: 'cancel wait: the timeout',
    decide: () => decideCancelWait(withTimeout, 'worker_1', ['timeout'], NOW),
    expect: { commit: { status: 'suspended', version: 3, effects: [], event: 'WorkerWaitCancelled' } },
  },
  {
    name: 'cancel wait: nothing armed is a no-op',
    decide: () => decideCancelWait(suspended(), 'worker_1', ['timeout', 'trigger'], NOW),
    expect: { unchanged: { cancelled: [] } },
  },
  {
    name: 'cancel wait: a running worker',
    decide: () => decideCancelWait(makeRecord(), 'worker_1', ['timeout'], NOW),
    expect: { reject: 'HARN-SUS-003' },
  },
];

describe('decide functions', () => {
  it.each(rows)('$name', ({ decide, expect: expected }) => {
    expect(shape(decide())).toEqual(expected);
  });
});

describe('decisions in detail', () => {
  it('resume: the next record carries the input, the history, the continuity and its own request', () => {
    const d = decideResume(withTimeout, resumeReq('address the comments'), NOW);
    if (d.kind !== 'commit') throw new Error('expected a commit');
    expect(d.next).toMatchObject({
      task: 'address the comments',
      history: ['address the comments'],
      suspension: null,
      latest_error: null,
      last_request: { id: 'req-1', version: 3 },
      updated_at_ms: NOW.ms,
    });
    expect(d.next.continuity).toMatchObject({
      input_rendered: 'address the comments',
      initiator: 'operator',
    });
  });

  it('resume: continue_transcript false keeps only the digest', () => {
    const record = suspended({}, { transcript: { messages: [{ role: 'user', content: 'hi' }] } });
    const d = decideResume(record, { ...resumeReq('go', false), digest: 'the gist' }, NOW);
    if (d.kind !== 'commit') throw new Error('expected a commit');
    expect(d.next.transcript?.messages).toEqual([{ role: 'user', content: 'the gist' }]);
  });

  it('suspend: the timeout is armed at its deadline, with a derived job id', () => {
    const d = decideSuspend(makeRecord(), 'worker_1', suspendReq({ timeout: { duration_ms: 5000 } }), NOW);
    if (d.kind !== 'commit') throw new Error('expected a commit');
    expect(d.effects).toEqual([{ kind: 'armTimeout', epoch: 2, dueAtMs: NOW.ms + 5000 }]);
    expect(d.next.suspension).toMatchObject({ epoch: 2, timeout_job_id: 'timeout-worker_1-2' });
  });

  it('extend: the moved suspension names its deadline rev; a job armed before the move is stale', () => {
    const d = decideExtend(withTimeout, 'worker_1', { byMs: 5000 }, NOW);
    if (d.kind !== 'commit') throw new Error('expected a commit');
    const s = d.next.suspension;
    expect(s).toMatchObject({ deadline_ms: FIXED_MS + 35_000, deadline_rev: 1, epoch: 2 });
    expect(s?.timeout_job_id).toBe('timeout-worker_1-2.1');
    expect(d.effects).toEqual([{ kind: 'armTimeout', epoch: 2, dueAtMs: FIXED_MS + 35_000, rev: 1 }]);
    expect(planTimeout(d.next, 2, 'old-job')).toEqual({ kind: 'stale', reason: 'the deadline was moved' });
    expect(planTimeout(d.next, 2, 'new-job', 1).kind).toBe('resume');
    const c = decideCancelWait(d.next, 'worker_1', ['timeout'], NOW);
    if (c.kind !== 'commit') throw new Error('expected a commit');
    expect(c.next.suspension?.deadline_ms).toBeUndefined();
    expect(planTimeout(c.next, 2, 'new-job', 1)).toEqual({
      kind: 'stale',
      reason: 'the timeout was cancelled',
    });
  });

  it('timeout: plans follow on_timeout and the epoch', () => {
    const at = (on_timeout: 'fail' | 'resume_with_summary' | 'resume_with_input', input?: JsonValue) =>
      suspended({
        deadline_ms: FIXED_MS,
        on_timeout,
        timeout_job_id: 'timeout-worker_1-2',
        ...(input === undefined ? {} : { timeout_input: input }),
      });
    expect(planTimeout(at('fail'), 2, 'job')).toEqual({ kind: 'fail' });
    expect(planTimeout(at('fail'), 1, 'job')).toEqual({
      kind: 'stale',
      reason: 'suspended again at epoch 2',
    });
    expect(planTimeout(makeRecord(), 2, 'job')).toEqual({ kind: 'stale', reason: 'status=running' });
    expect(planTimeout(null, 2, 'job')).toEqual({ kind: 'stale', reason: 'unknown worker' });
    const summary = planTimeout(at('resume_with_summary'), 2, 'job');
    expect(summary).toMatchObject({
      kind: 'resume',
      options: { inputPresent: false, continueTranscript: false, initiator: 'timeout' },
    });
    // Checked against Redis's clock: before the deadline it is early, at the deadline it fires.
    const due = at('resume_with_summary');
    const deadline = due.suspension?.deadline_ms as number;
    expect(planTimeout(due, 2, 'job', 0, deadline - 1500)).toEqual({ kind: 'early', waitMs: 1500 });
    expect(planTimeout(due, 2, 'job', 0, deadline)).toMatchObject({ kind: 'resume' });
    const withInput = planTimeout(at('resume_with_input', 'carry on'), 2, 'job');
    expect(withInput).toMatchObject({ kind: 'resume', options: { inputPresent: true, input: 'carry on' } });
  });

  it('timeout: a redelivered job that already committed reports its own outcome, another job stays stale', () => {
    const failed = decideTimeoutFail(suspended({ deadline_ms: FIXED_MS, on_timeout: 'fail' }), NOW, 'job@1');
    if (failed.kind !== 'commit') throw new Error('the fail did not commit');
    expect(failed.next.last_request).toEqual({ id: 'job@1', version: 3, failed: true });
    expect(planTimeout(failed.next, 2, 'job@1')).toEqual({
      kind: 'own',
      outcome: { outcome: 'failed', version: 3 },
    });
    expect(planTimeout(failed.next, 2, 'other@1')).toEqual({ kind: 'stale', reason: 'status=failed' });
    const resumed = makeRecord({ version: 3, last_request: { id: 'job@1', version: 3 } });
    expect(planTimeout(resumed, 2, 'job@1')).toEqual({
      kind: 'own',
      outcome: { outcome: 'resumed', version: 3, respawnJobId: 'respawn-worker_1-3' },
    });
  });

  it('suspend takes the unexpired early resumes; an early resume applies only to the suspension that took it', () => {
    const early = [
      { jobId: 'r-old', expiresAtMs: NOW.ms, fits: true },
      { jobId: 'r-ok', expiresAtMs: NOW.ms + 1, fits: true },
    ];
    const d = decideSuspend(
      makeRecord(),
      'worker_1',
      suspendReq({ timeout: { duration_ms: 5000 } }, { early }),
      NOW,
    );
    if (d.kind !== 'commit') throw new Error('the suspend did not commit');
    expect(d.next.suspension?.early_requests).toEqual(['r-ok']);
    expect(d.next.suspension?.deadline_ms).toBeUndefined();
    expect(d.event).toEqual({ type: 'WorkerSuspended', data: { early: ['r-ok'] } });
    const ask = (jobId: string) => ({ options: resumeReq().options, requestId: 'x@1', early: jobId });
    expect(precheckResume(d.next, 'worker_1', ask('r-ok'))).toBeNull();
    expect(precheckResume(d.next, 'worker_1', ask('r-old'))).toMatchObject({
      kind: 'reject',
      error: { code: 'HARN-SUS-003' },
    });
    // A resume pinned to a suspension (a resume link's) applies to that epoch only.
    const pinned = (epoch: number) => ({
      options: resumeReq().options,
      requestId: 'x@1',
      suspensionEpoch: epoch,
    });
    expect(precheckResume(d.next, 'worker_1', pinned(2))).toBeNull();
    expect(precheckResume(d.next, 'worker_1', pinned(1))).toMatchObject({
      kind: 'reject',
      error: { code: 'HARN-SUS-003', message: expect.stringContaining('not suspended at epoch 1') },
    });
  });
});
