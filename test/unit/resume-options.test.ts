import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lib/errors.js';
import {
  harnTrim,
  harnTruthy,
  JsonValueSchema,
  parseResumeOptions,
  ResumeOptionsSchema,
  renderInput,
  resumeInputText,
} from '../../src/lib/policy/resume-options.js';
import type { JsonValue, ResumeOptions } from '../../src/lib/policy/types.js';

const DEFAULTS: ResumeOptions = {
  inputPresent: false,
  input: null,
  continueTranscript: true,
  initiator: null,
  triggerEvent: null,
};

const withInput = (input: JsonValue, extra: Partial<ResumeOptions> = {}): ResumeOptions => ({
  ...DEFAULTS,
  inputPresent: true,
  input,
  ...extra,
});

const timeoutEvent = {
  provider: 'harn',
  kind: 'auto_resume.timeout',
  id: 'evt_1',
  dedupe_key: 'auto_resume_timeout:t1:u1',
  provider_payload: {
    raw: { type: 'auto_resume.timeout', worker_id: 'w', trigger_id: 't1', on_timeout: 'fail' },
  },
};

describe('parseResumeOptions (Harn parse_resume_options)', () => {
  const rows: { name: string; args: [unknown, unknown?]; expected: ResumeOptions }[] = [
    { name: 'no argument → defaults', args: [undefined], expected: DEFAULTS },
    { name: 'nil → defaults', args: [null], expected: DEFAULTS },
    {
      name: 'a string is the input',
      args: ['next: write the report'],
      expected: withInput('next: write the report'),
    },
    { name: '"" is an input (invalid later, not absent)', args: [''], expected: withInput('') },
    { name: 'a number is the input', args: [42], expected: withInput(42) },
    { name: 'false is the input', args: [false], expected: withInput(false) },
    { name: 'a list is the input', args: [[1, 'two']], expected: withInput([1, 'two']) },
    { name: 'an empty dict is the input', args: [{}], expected: withInput({}) },
    {
      name: 'a dict without option keys is the input',
      args: [{ decision: 'approved', pr: 7 }],
      expected: withInput({ decision: 'approved', pr: 7 }),
    },
    { name: 'input key → options dict', args: [{ input: 'go' }], expected: withInput('go') },
    { name: 'resume_input alias', args: [{ resume_input: 'go' }], expected: withInput('go') },
    {
      name: 'input shadows resume_input',
      args: [{ input: 'a', resume_input: 'b' }],
      expected: withInput('a'),
    },
    {
      name: 'input: null shadows resume_input (no input)',
      args: [{ input: null, resume_input: 'b' }],
      expected: DEFAULTS,
    },
    {
      name: 'input: undefined (key present) shadows resume_input',
      args: [{ input: undefined, resume_input: 'b' }],
      expected: DEFAULTS,
    },
    {
      name: 'input: null alone is an options dict with no input',
      args: [{ input: null }],
      expected: DEFAULTS,
    },
    {
      name: 'continue_transcript: false',
      args: [{ input: 'fresh prompt', continue_transcript: false }],
      expected: withInput('fresh prompt', { continueTranscript: false }),
    },
    {
      name: 'continue_transcript null is not applied',
      args: [{ continue_transcript: null }],
      expected: DEFAULTS,
    },
    {
      name: 'continue_transcript by Harn truthiness: 0 is false',
      args: [{ continue_transcript: 0 }],
      expected: { ...DEFAULTS, continueTranscript: false },
    },
    {
      name: 'continue_transcript by Harn truthiness: [] is false (unlike JS)',
      args: [{ continue_transcript: [] }],
      expected: { ...DEFAULTS, continueTranscript: false },
    },
    {
      name: 'continue_transcript by Harn truthiness: "false" is true',
      args: [{ continue_transcript: 'false' }],
      expected: DEFAULTS,
    },
    { name: 'initiator', args: [{ initiator: 'parent' }], expected: { ...DEFAULTS, initiator: 'parent' } },
    {
      name: 'resume_initiator alias',
      args: [{ resume_initiator: 'self' }],
      expected: { ...DEFAULTS, initiator: 'self' },
    },
    {
      name: 'initiator shadows resume_initiator',
      args: [{ initiator: 'a', resume_initiator: 'b' }],
      expected: { ...DEFAULTS, initiator: 'a' },
    },
    {
      name: 'initiator: null shadows resume_initiator',
      args: [{ initiator: null, resume_initiator: 'b' }],
      expected: DEFAULTS,
    },
    { name: 'blank initiator → none', args: [{ initiator: '   ' }], expected: DEFAULTS },
    {
      name: 'initiator is kept untrimmed and free-form',
      args: [{ initiator: ' ci-bot ' }],
      expected: { ...DEFAULTS, initiator: ' ci-bot ' },
    },
    {
      name: 'non-string initiator is displayed',
      args: [{ initiator: 7 }],
      expected: { ...DEFAULTS, initiator: '7' },
    },
    {
      name: 'trigger_event stored as JSON',
      args: [{ input: { type: 'auto_resume.timeout' }, trigger_event: timeoutEvent, initiator: 'timeout' }],
      expected: withInput(
        { type: 'auto_resume.timeout' },
        { triggerEvent: timeoutEvent, initiator: 'timeout' },
      ),
    },
    {
      name: 'trigger_event: null is an options dict with nothing set',
      args: [{ trigger_event: null }],
      expected: DEFAULTS,
    },
    {
      name: 'third argument overrides continue_transcript',
      args: [{ input: 'x', continue_transcript: true }, false],
      expected: withInput('x', { continueTranscript: false }),
    },
    {
      name: 'third argument with a plain input',
      args: ['x', 0],
      expected: withInput('x', { continueTranscript: false }),
    },
    { name: 'third argument null is ignored', args: ['x', null], expected: withInput('x') },
    { name: 'third argument truthy string', args: [null, 'yes'], expected: DEFAULTS },
  ];

  it.each(rows)('$name', ({ args, expected }) => {
    expect(parseResumeOptions(...args)).toEqual(expected);
    expect(ResumeOptionsSchema.safeParse(parseResumeOptions(...args)).success).toBe(true);
  });

  it('copies the input so later mutation by the caller does not leak in', () => {
    const input = { nested: { a: 1 } };
    const parsed = parseResumeOptions(input);
    input.nested.a = 2;
    expect(parsed.input).toEqual({ nested: { a: 1 } });
  });

  it.each([
    { name: 'a function input', args: [() => 1], path: 'input' },
    { name: 'a Date input', args: [new Date(0)], path: 'input' },
    { name: 'NaN nested in the input', args: [{ input: { a: Number.NaN } }], path: 'input.a' },
    { name: 'undefined nested in a list', args: [{ resume_input: [1, undefined] }], path: 'resume_input.1' },
    {
      name: 'a non-JSON trigger_event',
      args: [{ trigger_event: { at: new Map() } }],
      path: 'trigger_event.at',
    },
  ])('refuses $name with RP-INVALID-INPUT naming the path', ({ args, path }) => {
    let caught: unknown;
    try {
      parseResumeOptions(...(args as [unknown]));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('RP-INVALID-INPUT');
    expect((caught as ValidationError).path).toBe(path);
    expect((caught as ValidationError).message).toContain(`resume options: ${path}: `);
  });
});

describe('renderInput (Harn display)', () => {
  it.each<{ value: JsonValue; text: string }>([
    { value: 'plain text', text: 'plain text' },
    { value: '', text: '' },
    { value: null, text: 'nil' },
    { value: true, text: 'true' },
    { value: 42, text: '42' },
    { value: -7, text: '-7' },
    { value: 1.5, text: '1.5' },
    { value: 1.5e-7, text: '0.00000015' },
    { value: 1e21, text: '1000000000000000000000' },
    { value: -0, text: '0' },
    { value: [], text: '[]' },
    { value: [1, 'two', null, [true]], text: '[1, two, nil, [true]]' },
    { value: {}, text: '{}' },
    { value: { decision: 'approved' }, text: '{decision: approved}' },
    // Harn dicts are BTreeMaps: keys print sorted by code point, not in insertion order.
    { value: { b: 1, a: { d: [1, 2], c: 'x' }, B: null }, text: '{B: nil, a: {c: x, d: [1, 2]}, b: 1}' },
    {
      value: {
        type: 'auto_resume.timeout',
        worker_id: 'w1',
        trigger_id: 't1',
        on_timeout: 'resume_with_input',
      },
      text: '{on_timeout: resume_with_input, trigger_id: t1, type: auto_resume.timeout, worker_id: w1}',
    },
  ])('$value → $text', ({ value, text }) => {
    expect(renderInput(value)).toBe(text);
  });
});

describe('resumeInputText', () => {
  it.each<{ name: string; options: ResumeOptions; expected: ReturnType<typeof resumeInputText> }>([
    { name: 'no input', options: DEFAULTS, expected: { kind: 'none' } },
    { name: '"" is invalid', options: withInput(''), expected: { kind: 'invalid' } },
    { name: 'whitespace is invalid', options: withInput(' \n\t'), expected: { kind: 'invalid' } },
    { name: 'U+0085 is whitespace to Rust', options: withInput('\u0085'), expected: { kind: 'invalid' } },
    {
      name: 'U+FEFF is not whitespace to Rust',
      options: withInput('\uFEFF'),
      expected: { kind: 'text', text: '\uFEFF' },
    },
    { name: 'text is not trimmed', options: withInput('  go  '), expected: { kind: 'text', text: '  go  ' } },
    { name: 'a dict renders', options: withInput({ a: 1 }), expected: { kind: 'text', text: '{a: 1}' } },
    { name: 'an empty list renders "[]"', options: withInput([]), expected: { kind: 'text', text: '[]' } },
    { name: 'false renders "false"', options: withInput(false), expected: { kind: 'text', text: 'false' } },
  ])('$name', ({ options, expected }) => {
    expect(resumeInputText(options)).toEqual(expected);
  });
});

describe('helpers', () => {
  it.each<{ value: unknown; truthy: boolean }>([
    { value: null, truthy: false },
    { value: undefined, truthy: false },
    { value: 0, truthy: false },
    { value: Number.NaN, truthy: true },
    { value: '', truthy: false },
    { value: 'false', truthy: true },
    { value: [], truthy: false },
    { value: {}, truthy: false },
    { value: { a: 1 }, truthy: true },
    { value: () => 0, truthy: true },
  ])('harnTruthy($value) = $truthy', ({ value, truthy }) => {
    expect(harnTruthy(value)).toBe(truthy);
  });

  it('harnTrim strips Rust White_Space only', () => {
    expect(harnTrim('\u0085 a \u3000')).toBe('a');
    expect(harnTrim('\uFEFFa')).toBe('\uFEFFa');
  });
});

describe('schemas', () => {
  const nested = (depth: number): JsonValue => (depth === 0 ? 'leaf' : [nested(depth - 1)]);

  it.each<{ name: string; value: unknown; ok: boolean; message?: string }>([
    { name: 'a JSON dict', value: { a: [1, 'x', null, true] }, ok: true },
    { name: '64 nested lists', value: nested(64), ok: true },
    { name: '65 nested lists', value: nested(65), ok: false, message: 'nested deeper than 64 levels' },
    { name: 'undefined', value: undefined, ok: false, message: 'expected a JSON value, got nil' },
    {
      name: 'Infinity',
      value: { n: Number.POSITIVE_INFINITY },
      ok: false,
      message: 'expected a finite number',
    },
    { name: 'a class instance', value: new Map(), ok: false, message: 'expected a JSON value, got Map' },
    {
      name: 'a __proto__ key',
      value: JSON.parse('{"__proto__": {"polluted": true}}'),
      ok: false,
      message: 'key "__proto__" is not allowed',
    },
  ])('JsonValueSchema: $name', ({ value, ok, message }) => {
    const result = JsonValueSchema.safeParse(value);
    expect(result.success).toBe(ok);
    if (!ok && message) expect(result.error?.issues[0]?.message).toContain(message);
  });

  it.each<{ name: string; value: unknown; ok: boolean }>([
    { name: 'defaults', value: DEFAULTS, ok: true },
    { name: 'with input', value: withInput({ a: 1 }, { initiator: 'parent' }), ok: true },
    { name: 'input without inputPresent', value: { ...DEFAULTS, input: 'x' }, ok: false },
    { name: 'inputPresent with null input', value: { ...DEFAULTS, inputPresent: true }, ok: false },
    { name: 'blank initiator', value: { ...DEFAULTS, initiator: ' ' }, ok: false },
    { name: 'unknown key', value: { ...DEFAULTS, extra: 1 }, ok: false },
    { name: 'missing triggerEvent', value: { ...DEFAULTS, triggerEvent: undefined }, ok: false },
  ])('ResumeOptionsSchema: $name', ({ value, ok }) => {
    expect(ResumeOptionsSchema.safeParse(value).success).toBe(ok);
  });

  it('ResumeOptionsSchema parses to the ResumeOptions type', () => {
    const parsed: ResumeOptions = ResumeOptionsSchema.parse(withInput('x', { initiator: 'parent' }));
    expect(parsed).toEqual(withInput('x', { initiator: 'parent' }));
  });
});
