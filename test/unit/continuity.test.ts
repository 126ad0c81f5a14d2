import { describe, expect, it } from 'vitest';
import { buildContinuity, inferInitiator } from '../../src/lib/policy/continuity.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import { computeDigest, defaultDigest } from '../../src/lib/policy/transcript.js';
import type { JsonObject, JsonValue } from '../../src/lib/policy/types.js';
import { FIXED_ISO, makeSuspendedRecord, makeSuspension } from '../support/records.js';

describe('inferInitiator (Harn §5)', () => {
  const event = { provider: 'github', kind: 'review.approved', id: 'e1' };
  it.each<{ explicit: string | null; event: JsonValue; parent: boolean; base: string; continuity: string }>([
    { explicit: null, event: null, parent: false, base: 'operator', continuity: 'operator' },
    { explicit: null, event: null, parent: true, base: 'parent', continuity: 'parent' },
    { explicit: '  ', event: null, parent: false, base: 'operator', continuity: 'operator' },
    { explicit: ' ci-bot ', event: null, parent: false, base: 'ci-bot', continuity: 'ci-bot' },
    { explicit: 'timeout', event: null, parent: false, base: 'timeout', continuity: 'timeout' },
    { explicit: 'timeout', event, parent: true, base: 'timeout', continuity: 'timeout' },
    { explicit: 'triggered', event, parent: false, base: 'triggered', continuity: 'triggered' },
    { explicit: 'ci-bot', event, parent: false, base: 'ci-bot', continuity: 'triggered' },
    { explicit: null, event, parent: false, base: 'operator', continuity: 'operator' },
    { explicit: null, event, parent: true, base: 'parent', continuity: 'parent' },
    { explicit: 'operator', event, parent: false, base: 'operator', continuity: 'operator' },
  ])(
    '$explicit, event=$event.kind, parent=$parent → $continuity',
    ({ explicit, event, parent, base, continuity }) => {
      expect(inferInitiator(explicit, event, parent)).toEqual({ base, continuity });
    },
  );
});

const SNAPSHOT = '.harn/workers/worker_1.json';
const WORKER = { id: 'worker_1', name: 'reviewer', mode: 'sub_agent' };

/** The continuity keys whose values come from the resume options, given twice (resume block + top level). */
function resumeKeys(values: JsonObject): JsonObject {
  return {
    resume: values,
    initiator: values.initiator ?? null,
    input: values.input ?? null,
    input_rendered: values.input_rendered ?? null,
    input_present: values.input_present ?? null,
    continue_transcript: values.continue_transcript ?? null,
    digest: values.digest ?? null,
  };
}

describe('buildContinuity (Harn install_resume_continuity_payload)', () => {
  it('resume with input by an operator', () => {
    const record = makeSuspendedRecord({ reason: 'waiting for review' });
    const suspension = record.suspension ?? makeSuspension();
    const continuity = buildContinuity({
      record,
      suspension,
      options: parseResumeOptions('next: write the report'),
      digest: null,
    });
    expect(continuity).toStrictEqual({
      session_id: null,
      session: { id: null },
      worker: WORKER,
      suspension: {
        reason: 'waiting for review',
        initiator: 'operator',
        suspended_at: FIXED_ISO,
        snapshot_ref: SNAPSHOT,
        suspended_at_turn: null,
        conditions: null,
      },
      reason: 'waiting for review',
      suspended_at_turn: 0,
      ...resumeKeys({
        initiator: 'operator',
        input: 'next: write the report',
        input_rendered: 'next: write the report',
        input_present: true,
        continue_transcript: true,
        digest: null,
        trigger: null,
      }),
      turn: 0,
      iteration: 0,
    });
  });

  it('resume without input, from a parent session, turn from latest_payload', () => {
    const record = makeSuspendedRecord(
      { initiator: 'self', reason: '', conditions: { on_event: 'ops.resume' } },
      {
        config: { mode: 'sub_agent', spec: { session_id: 'session_42' } },
        latest_payload: { iterations_completed: 1.5, iterations: 4 },
      },
    );
    const continuity = buildContinuity({
      record,
      suspension: record.suspension ?? makeSuspension(),
      options: parseResumeOptions(undefined),
      digest: null,
      hasParentSession: true,
    });
    expect(continuity).toStrictEqual({
      session_id: 'session_42',
      session: { id: 'session_42' },
      worker: WORKER,
      suspension: {
        reason: '',
        initiator: 'self',
        suspended_at: FIXED_ISO,
        snapshot_ref: SNAPSHOT,
        suspended_at_turn: 4,
        conditions: { on_event: 'ops.resume' },
      },
      reason: '',
      suspended_at_turn: 4,
      ...resumeKeys({
        initiator: 'parent',
        input: null,
        input_rendered: null,
        input_present: false,
        continue_transcript: true,
        digest: null,
        trigger: null,
      }),
      turn: 0,
      iteration: 0,
    });
  });

  it('resume from a timeout (resume_with_summary)', () => {
    const conditions = { trigger: { kind: 'review.approved' }, timeout: { duration_minutes: 5 } };
    const record = makeSuspendedRecord(
      {
        reason: 'park',
        conditions,
        suspended_at_turn: 3,
        auto_resume_trigger: { id: 'auto_resume_worker_1_u1', version: 2, match_events: ['review.approved'] },
      },
      { transcript: { id: 't', summary: 'Summary so far' } },
    );
    const event = {
      provider: 'harn',
      kind: 'auto_resume.timeout',
      id: 'evt_timeout_1',
      dedupe_key: 'auto_resume_timeout:auto_resume_worker_1_u1:2',
      provider_payload: {
        raw: {
          type: 'auto_resume.timeout',
          worker_id: 'worker_1',
          trigger_id: 'auto_resume_worker_1_u1',
          on_timeout: 'resume_with_summary',
        },
      },
    };
    const options = parseResumeOptions({
      continue_transcript: false,
      initiator: 'timeout',
      trigger_event: event,
    });
    const digest = computeDigest(record.transcript, defaultDigest);
    const continuity = buildContinuity({
      record,
      suspension: record.suspension ?? makeSuspension(),
      options,
      digest,
    });
    expect(continuity).toStrictEqual({
      session_id: null,
      session: { id: null },
      worker: WORKER,
      suspension: {
        reason: 'park',
        initiator: 'operator',
        suspended_at: FIXED_ISO,
        snapshot_ref: SNAPSHOT,
        suspended_at_turn: 3,
        conditions,
      },
      reason: 'park',
      suspended_at_turn: 3,
      ...resumeKeys({
        initiator: 'timeout',
        input: null,
        input_rendered: null,
        input_present: false,
        continue_transcript: false,
        digest: 'Summary so far',
        trigger: {
          id: 'auto_resume_worker_1_u1',
          event_id: 'evt_timeout_1',
          kind: 'auto_resume.timeout',
          provider: 'harn',
          dedupe_key: 'auto_resume_timeout:auto_resume_worker_1_u1:2',
          timeout_action: 'resume_with_summary',
        },
      }),
      turn: 0,
      iteration: 0,
    });
  });

  it('resume from a delivered event (initiator triggered)', () => {
    const record = makeSuspendedRecord({
      initiator: 'self',
      reason: 'await approval',
      conditions: { trigger: { kind: 'review.approved', provider: 'github' } },
      auto_resume_trigger: {
        id: 'auto_resume_worker_1_u2',
        version: 2,
        match_events: ['review.approved'],
        provider: 'github',
      },
    });
    const event = {
      provider: 'github',
      kind: 'review.approved',
      id: 'gh_evt_9',
      payload: { decision: 'approved' },
    };
    const options = parseResumeOptions({
      input: event.payload,
      initiator: 'triggered',
      trigger_event: event,
    });
    const continuity = buildContinuity({
      record,
      suspension: record.suspension ?? makeSuspension(),
      options,
      digest: null,
    });
    expect(continuity).toStrictEqual({
      session_id: null,
      session: { id: null },
      worker: WORKER,
      suspension: {
        reason: 'await approval',
        initiator: 'self',
        suspended_at: FIXED_ISO,
        snapshot_ref: SNAPSHOT,
        suspended_at_turn: null,
        conditions: { trigger: { kind: 'review.approved', provider: 'github' } },
      },
      reason: 'await approval',
      suspended_at_turn: 0,
      ...resumeKeys({
        initiator: 'triggered',
        input: { decision: 'approved' },
        input_rendered: '{decision: approved}',
        input_present: true,
        continue_transcript: true,
        digest: null,
        trigger: {
          id: 'auto_resume_worker_1_u2',
          event_id: 'gh_evt_9',
          kind: 'review.approved',
          provider: 'github',
          dedupe_key: null,
          timeout_action: null,
        },
      }),
      turn: 0,
      iteration: 0,
    });
  });

  it('Harn case 6: fresh prompt with continue_transcript false keeps the prior digest', () => {
    const record = makeSuspendedRecord(
      { reason: 'park before fresh prompt' },
      { transcript: { id: 't6', summary: 'Prior digest', messages: [{ role: 'user', content: 'old' }] } },
    );
    const options = parseResumeOptions({ input: 'fresh prompt', continue_transcript: false });
    const digest = computeDigest(record.transcript, defaultDigest);
    const continuity = buildContinuity({
      record,
      suspension: record.suspension ?? makeSuspension(),
      options,
      digest,
    });
    expect(continuity).toMatchObject({
      continue_transcript: false,
      reason: 'park before fresh prompt',
      suspended_at_turn: 0,
      digest: 'Prior digest',
      input_rendered: 'fresh prompt',
      input: 'fresh prompt',
      initiator: 'operator',
      resume: { digest: 'Prior digest', input_rendered: 'fresh prompt', continue_transcript: false },
    });
  });

  it.each<{ name: string; input: JsonValue; rendered: string | null }>([
    { name: 'a list input renders', input: [1, 2], rendered: '[1, 2]' },
    { name: 'an empty dict renders "{}"', input: {}, rendered: '{}' },
    { name: 'a blank string has no rendering', input: ' ', rendered: null },
  ])('input_rendered: $name', ({ input, rendered }) => {
    const record = makeSuspendedRecord();
    const continuity = buildContinuity({
      record,
      suspension: record.suspension ?? makeSuspension(),
      options: { inputPresent: true, input, continueTranscript: true, initiator: null, triggerEvent: null },
      digest: null,
    });
    expect(continuity.input_rendered).toBe(rendered);
    expect(continuity.input_present).toBe(true);
    expect(continuity.input).toEqual(input);
  });

  it('reads the session id from extra when the config has none, and event_id as an alias', () => {
    const record = makeSuspendedRecord(
      {},
      { config: { mode: 'workflow' }, extra: { session_id: 'from_extra' } },
    );
    const options = parseResumeOptions({
      trigger_event: { event_id: 'alias', payload: { on_timeout: 'fail' } },
    });
    const continuity = buildContinuity({
      record,
      suspension: record.suspension ?? makeSuspension(),
      options,
      digest: null,
    });
    expect(continuity.session_id).toBe('from_extra');
    expect(continuity.resume).toMatchObject({
      trigger: {
        id: null,
        event_id: 'alias',
        kind: null,
        provider: null,
        dedupe_key: null,
        timeout_action: 'fail',
      },
    });
  });
});
