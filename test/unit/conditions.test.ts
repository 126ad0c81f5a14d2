import { describe, expect, it } from 'vitest';
import { SuspendError } from '../../src/lib/errors.js';
import {
  autoResumeTriggerId,
  parseResumeConditions,
  timeoutDeadlineMs,
  triggerMatchEvents,
} from '../../src/lib/policy/conditions.js';
import type { ResumeConditions, TimeoutCondition } from '../../src/lib/policy/types.js';

const NOW = Date.parse('2025-01-02T03:04:05.000Z');

function errorOf(raw: unknown): SuspendError {
  try {
    parseResumeConditions(raw);
  } catch (err) {
    if (err instanceof SuspendError) return err;
    throw err;
  }
  throw new Error('expected parseResumeConditions to throw');
}

describe('parseResumeConditions: errors', () => {
  const unknownTimeoutKey =
    'unknown field; expected duration_minutes, duration_ms, deadline, on_timeout or input';
  const rows: { name: string; raw: unknown; code: string; message: string }[] = [
    {
      name: 'non-dict root',
      raw: 'soon',
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.root: expected dict or nil, got string',
    },
    {
      name: 'list root',
      raw: [],
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.root: expected dict or nil, got list',
    },
    {
      name: 'unknown key',
      raw: { when: 'later' },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.when: unknown field; expected trigger, timeout, or on_event',
    },
    {
      name: 'unknown keys reported in sorted order',
      raw: { zeta: 1, alpha: 2 },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.alpha: unknown field; expected trigger, timeout, or on_event',
    },
    {
      name: 'trigger of the wrong type',
      raw: { trigger: 'review.approved' },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.trigger: expected dict or nil, got string',
    },
    {
      name: 'trigger list',
      raw: { trigger: ['review.approved'] },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.trigger: expected dict or nil, got list',
    },
    {
      name: 'trigger {} (Harn case 10)',
      raw: { trigger: {} },
      code: 'HARN-SUS-007',
      message:
        'auto_resume: failed to parse conditions.trigger for registration: trigger_register: missing string field `kind`',
    },
    {
      name: 'trigger with an empty kind',
      raw: { trigger: { kind: '' } },
      code: 'HARN-SUS-007',
      message:
        'auto_resume: failed to parse conditions.trigger for registration: trigger_register: `kind` must be a non-empty string',
    },
    {
      name: 'trigger with a non-string provider',
      raw: { trigger: { kind: 'review.approved', provider: 7 } },
      code: 'HARN-SUS-007',
      message:
        'auto_resume: failed to parse conditions.trigger for registration: trigger_register: field `provider` must be a string',
    },
    {
      name: 'trigger match_events not a list',
      raw: { trigger: { match_events: 'review.approved' } },
      code: 'HARN-SUS-007',
      message:
        'auto_resume: failed to parse conditions.trigger for registration: trigger_register: `match_events` must be a list of strings',
    },
    {
      name: 'trigger match_events with a non-string entry',
      raw: { trigger: { kind: 'k', match_events: ['a', 1] } },
      code: 'HARN-SUS-007',
      message:
        'auto_resume: failed to parse conditions.trigger for registration: trigger_register: `match_events` entries must be non-empty strings, got int',
    },
    {
      name: 'timeout of the wrong type',
      raw: { timeout: 5 },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.timeout: expected dict or nil, got int',
    },
    {
      name: 'timeout unknown key',
      raw: { timeout: { duration_minutes: 1, extra: true } },
      code: 'HARN-SUS-002',
      message: `invalid ResumeConditions.timeout.extra: ${unknownTimeoutKey}`,
    },
    {
      name: 'timeout without a duration',
      raw: { timeout: { on_timeout: 'fail' } },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.timeout.duration_minutes: must be a positive int',
    },
    {
      name: 'timeout with two durations',
      raw: { timeout: { duration_minutes: 1, duration_ms: 10 } },
      code: 'HARN-SUS-002',
      message:
        'invalid ResumeConditions.timeout: expected exactly one of duration_minutes, duration_ms, or deadline; got duration_minutes, duration_ms',
    },
    ...[0, -1, 1.5, '5', true].map((value) => ({
      name: `duration_minutes ${JSON.stringify(value)}`,
      raw: { timeout: { duration_minutes: value } },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.timeout.duration_minutes: must be a positive int',
    })),
    ...[0, -5, 0.5, '100'].map((value) => ({
      name: `duration_ms ${JSON.stringify(value)}`,
      raw: { timeout: { duration_ms: value } },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.timeout.duration_ms: must be a positive int',
    })),
    {
      name: 'duration_minutes too large',
      raw: { timeout: { duration_minutes: Number.MAX_SAFE_INTEGER } },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.timeout.duration_minutes: must be at most 75059993789',
    },
    ...['tomorrow', '2025-13-40T00:00:00Z', '2025-01-02T03:04:05', '2025-01-02', -1, 1.5].map((value) => ({
      name: `deadline ${JSON.stringify(value)}`,
      raw: { timeout: { deadline: value } },
      code: 'HARN-SUS-002',
      message:
        'invalid ResumeConditions.timeout.deadline: must be an ISO-8601 date-time with a time zone, or epoch milliseconds',
    })),
    {
      name: 'on_timeout "explode" (Harn case 10)',
      raw: { timeout: { duration_minutes: 1, on_timeout: 'explode' } },
      code: 'HARN-SUS-008',
      message:
        'auto_resume: unsupported conditions.timeout.on_timeout `explode`; expected one of: resume_with_summary, resume_with_input, fail',
    },
    {
      name: 'on_timeout of the wrong type',
      raw: { timeout: { duration_minutes: 1, on_timeout: 3 } },
      code: 'HARN-SUS-008',
      message:
        'auto_resume: conditions.timeout.on_timeout must be resume_with_summary, resume_with_input, or fail; got int',
    },
    {
      name: 'timeout errors come before trigger registration errors',
      raw: { trigger: {}, timeout: { duration_minutes: 1, on_timeout: 'explode' } },
      code: 'HARN-SUS-008',
      message:
        'auto_resume: unsupported conditions.timeout.on_timeout `explode`; expected one of: resume_with_summary, resume_with_input, fail',
    },
    {
      name: 'on_event with a space',
      raw: { on_event: 'bad channel' },
      code: 'HARN-SUS-002',
      message:
        'invalid ResumeConditions.on_event: invalid runtime event channel: "bad channel" may only contain letters, digits and . _ : / -',
    },
    {
      name: 'blank on_event',
      raw: { on_event: '   ' },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.on_event: must be a non-empty string',
    },
    {
      name: 'on_event of the wrong type',
      raw: { on_event: 1 },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.on_event: expected string or nil, got int',
    },
    {
      name: 'non-JSON value inside',
      raw: { timeout: { duration_minutes: 1, input: { at: new Date(0) } } },
      code: 'HARN-SUS-002',
      message: 'invalid ResumeConditions.timeout.input.at: expected a JSON value, got Date',
    },
  ];

  it.each(rows)('$name → $code', ({ raw, code, message }) => {
    const error = errorOf(raw);
    expect(error.code).toBe(code);
    expect(error.message).toBe(`${code}: ${message}`);
  });
});

describe('parseResumeConditions: valid', () => {
  const rows: { name: string; raw: unknown; expected: ResumeConditions | null }[] = [
    { name: 'nil', raw: null, expected: null },
    { name: 'undefined', raw: undefined, expected: null },
    { name: 'empty dict', raw: {}, expected: {} },
    { name: 'nil members are dropped', raw: { trigger: null, timeout: null, on_event: null }, expected: {} },
    {
      name: 'trigger (Harn case 3)',
      raw: { trigger: { kind: 'review.approved', provider: 'github' } },
      expected: { trigger: { kind: 'review.approved', provider: 'github' } },
    },
    {
      name: 'trigger with match_events only',
      raw: { trigger: { match_events: ['a', 'b'] } },
      expected: { trigger: { match_events: ['a', 'b'] } },
    },
    {
      name: 'timeout defaults on_timeout',
      raw: { timeout: { duration_minutes: 15 } },
      expected: { timeout: { duration_minutes: 15, on_timeout: 'resume_with_summary' } },
    },
    {
      name: 'timeout with input',
      raw: { timeout: { duration_ms: 500, on_timeout: 'resume_with_input', input: { nudge: true } } },
      expected: { timeout: { duration_ms: 500, on_timeout: 'resume_with_input', input: { nudge: true } } },
    },
    {
      name: 'deadline as ISO string, on_timeout null',
      raw: { timeout: { deadline: '2025-01-02T04:00:00+01:00', on_timeout: null } },
      expected: { timeout: { deadline: '2025-01-02T04:00:00+01:00', on_timeout: 'resume_with_summary' } },
    },
    {
      name: 'deadline as epoch ms, fail',
      raw: { timeout: { deadline: NOW + 1000, on_timeout: 'fail' } },
      expected: { timeout: { deadline: NOW + 1000, on_timeout: 'fail' } },
    },
    {
      name: 'on_event trimmed',
      raw: { on_event: ' operator.resume ' },
      expected: { on_event: 'operator.resume' },
    },
    {
      name: 'everything',
      raw: { trigger: { kind: 'k' }, timeout: { duration_minutes: 1 }, on_event: 'ops/resume:now' },
      expected: {
        trigger: { kind: 'k' },
        timeout: { duration_minutes: 1, on_timeout: 'resume_with_summary' },
        on_event: 'ops/resume:now',
      },
    },
  ];

  it.each(rows)('$name', ({ raw, expected }) => {
    expect(parseResumeConditions(raw)).toEqual(expected);
  });
});

describe('timeoutDeadlineMs', () => {
  it.each<{ name: string; timeout: TimeoutCondition; expected: number }>([
    { name: 'minutes', timeout: { duration_minutes: 5, on_timeout: 'fail' }, expected: NOW + 300_000 },
    { name: 'milliseconds', timeout: { duration_ms: 1500, on_timeout: 'fail' }, expected: NOW + 1500 },
    {
      name: 'epoch deadline',
      timeout: { deadline: 1_700_000_000_000, on_timeout: 'fail' },
      expected: 1_700_000_000_000,
    },
    {
      name: 'ISO deadline with offset',
      timeout: { deadline: '2025-01-02T04:04:05.000+01:00', on_timeout: 'fail' },
      expected: NOW,
    },
    {
      name: 'past deadline is kept (fires at once)',
      timeout: { deadline: '2020-01-01T00:00:00Z', on_timeout: 'fail' },
      expected: Date.parse('2020-01-01T00:00:00Z'),
    },
  ])('$name', ({ timeout, expected }) => {
    expect(timeoutDeadlineMs(timeout, NOW)).toBe(expected);
  });

  it('computes from the parsed conditions', () => {
    const parsed = parseResumeConditions({ timeout: { duration_minutes: 1 } });
    expect(parsed?.timeout && timeoutDeadlineMs(parsed.timeout, NOW)).toBe(NOW + 60_000);
  });

  it('refuses an unvalidated bad deadline with HARN-SUS-002', () => {
    expect(() => timeoutDeadlineMs({ deadline: 'soon', on_timeout: 'fail' }, NOW)).toThrow(
      'HARN-SUS-002: invalid ResumeConditions.timeout.deadline',
    );
  });
});

describe('triggerMatchEvents', () => {
  it.each<{ name: string; conditions: ResumeConditions; expected: string[] }>([
    { name: 'none', conditions: {}, expected: [] },
    {
      name: 'kind by default',
      conditions: { trigger: { kind: 'review.approved' } },
      expected: ['review.approved'],
    },
    {
      name: 'match_events over kind',
      conditions: { trigger: { kind: 'k', match_events: ['a', 'b', 'a'] } },
      expected: ['a', 'b'],
    },
    {
      name: "Harn's match.events",
      conditions: { trigger: { kind: 'k', match: { events: ['x'] } } },
      expected: ['x'],
    },
    {
      name: 'empty list falls back to kind',
      conditions: { trigger: { kind: 'k', match_events: [] } },
      expected: ['k'],
    },
    { name: 'on_event only', conditions: { on_event: 'ops.resume' }, expected: ['ops.resume'] },
    {
      name: 'trigger plus on_event, deduped',
      conditions: { trigger: { kind: 'ops.resume' }, on_event: 'ops.resume' },
      expected: ['ops.resume'],
    },
  ])('$name', ({ conditions, expected }) => {
    expect(triggerMatchEvents(conditions)).toEqual(expected);
  });
});

describe('autoResumeTriggerId', () => {
  it.each([
    { workerId: 'worker_0190-abc', expected: 'auto_resume_worker_0190-abc_u1' },
    { workerId: 'team/worker.1 x', expected: 'auto_resume_team_worker_1_x_u1' },
    { workerId: 'wörker😀', expected: 'auto_resume_w_rker__u1' },
  ])('$workerId', ({ workerId, expected }) => {
    expect(autoResumeTriggerId(workerId, 'u1')).toBe(expected);
  });
});
