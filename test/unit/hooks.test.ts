import { describe, expect, it } from 'vitest';
import { ResumeProcessorError } from '../../src/lib/errors.js';
import {
  applyPreResumeModification,
  type LifecycleHook,
  mapHookResult,
  runHookChain,
} from '../../src/lib/policy/hooks.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import type { HookResult, PreResumePayload } from '../../src/lib/policy/types.js';

describe('mapHookResult (Harn parse_hook_control)', () => {
  const rows: { name: string; value: unknown; expected: HookResult }[] = [
    { name: 'undefined', value: undefined, expected: { kind: 'allow' } },
    { name: 'null', value: null, expected: { kind: 'allow' } },
    { name: 'true', value: true, expected: { kind: 'allow' } },
    { name: 'false', value: false, expected: { kind: 'block', reason: 'PreResume hook returned false' } },
    { name: 'an ordinary dict', value: { note: 'fine' }, expected: { kind: 'allow' } },
    { name: 'an empty dict', value: {}, expected: { kind: 'allow' } },
    {
      name: 'block without reason',
      value: { block: true },
      expected: { kind: 'block', reason: 'PreResume hook blocked the operation' },
    },
    {
      name: 'block with null reason',
      value: { block: true, reason: null },
      expected: { kind: 'block', reason: 'PreResume hook blocked the operation' },
    },
    {
      name: 'block with reason',
      value: { block: 1, reason: 'frozen' },
      expected: { kind: 'block', reason: 'frozen' },
    },
    {
      name: 'block with a non-string reason',
      value: { block: 'yes', reason: 42 },
      expected: { kind: 'block', reason: '42' },
    },
    { name: 'falsy block is allow', value: { block: 0, reason: 'ignored' }, expected: { kind: 'allow' } },
    { name: 'falsy block ([]) is allow', value: { block: [] }, expected: { kind: 'allow' } },
    {
      name: 'modify',
      value: { modify: { resume_input: 'rewritten' } },
      expected: { kind: 'modify', payload: { resume_input: 'rewritten' } },
    },
    { name: 'modify null', value: { modify: null }, expected: { kind: 'modify', payload: null } },
    {
      name: 'block wins over modify',
      value: { block: true, modify: { resume_input: 'x' } },
      expected: { kind: 'block', reason: 'PreResume hook blocked the operation' },
    },
    {
      name: 'decision allow',
      value: { decision: 'allow' },
      expected: { kind: 'decision', decision: 'allow' },
    },
    {
      name: 'decision normalised, with reason',
      value: { decision: ' DENY ', reason: 'policy' },
      expected: { kind: 'decision', decision: 'deny', reason: 'policy' },
    },
    {
      name: 'decision wins over block',
      value: { decision: 'ask', block: true },
      expected: { kind: 'decision', decision: 'ask' },
    },
  ];

  it.each(rows)('$name', ({ value, expected }) => {
    expect(mapHookResult(value, 'PreResume')).toEqual(expected);
  });

  it('names the event in default reasons', () => {
    expect(mapHookResult(false, 'PreSuspend')).toEqual({
      kind: 'block',
      reason: 'PreSuspend hook returned false',
    });
  });

  it.each([
    {
      name: 'a number',
      value: 3,
      message: 'PreResume hook must return nil, bool, or a control dict; got int',
    },
    {
      name: 'a float',
      value: 1.5,
      message: 'PreResume hook must return nil, bool, or a control dict; got float',
    },
    {
      name: 'a string',
      value: 'ok',
      message: 'PreResume hook must return nil, bool, or a control dict; got string',
    },
    {
      name: 'a list',
      value: [],
      message: 'PreResume hook must return nil, bool, or a control dict; got list',
    },
    {
      name: 'a function',
      value: () => true,
      message: 'PreResume hook must return nil, bool, or a control dict; got closure',
    },
    {
      name: 'an unknown decision',
      value: { decision: 'maybe' },
      message: 'PreResume hook `decision` must be "allow", "deny", or "ask"; got "maybe"',
    },
    {
      name: 'a nil decision',
      value: { decision: null },
      message: 'PreResume hook `decision` must be "allow", "deny", or "ask"; got "nil"',
    },
    {
      name: 'a non-JSON modify',
      value: { modify: { at: new Date(0) } },
      message: 'PreResume hook returned a non-JSON modify.at: expected a JSON value, got Date',
    },
  ])('throws RP-HOOK-FAILED for $name', ({ value, message }) => {
    let caught: unknown;
    try {
      mapHookResult(value, 'PreResume');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ResumeProcessorError);
    expect((caught as ResumeProcessorError).code).toBe('RP-HOOK-FAILED');
    expect((caught as ResumeProcessorError).message).toBe(`RP-HOOK-FAILED: ${message}`);
  });
});

describe('runHookChain', () => {
  const initial: PreResumePayload = {
    event: 'PreResume',
    worker: { id: 'worker_1' },
    resume_input: 'original',
    continue_transcript: true,
  };

  /** A hook that records the payload it saw and returns `result`. */
  const recording = (seen: unknown[], result: unknown): LifecycleHook<PreResumePayload> => {
    return (payload) => {
      seen.push(payload);
      return result;
    };
  };

  it('allows with the initial payload when there are no hooks', async () => {
    expect(await runHookChain([], initial, 'PreResume')).toEqual({
      kind: 'allow',
      payload: initial,
      modified: false,
    });
  });

  it('the first block wins and later hooks do not run', async () => {
    const seen: unknown[] = [];
    const result = await runHookChain(
      [recording(seen, true), recording(seen, { block: true, reason: 'first' }), recording(seen, false)],
      initial,
      'PreResume',
    );
    expect(result).toEqual({ kind: 'block', reason: 'first', payload: initial });
    expect(seen).toHaveLength(2);
  });

  it('a modify replaces the payload for later hooks, without merging', async () => {
    const seen: unknown[] = [];
    const result = await runHookChain(
      [recording(seen, { modify: { resume_input: 'rewritten' } }), recording(seen, null)],
      initial,
      'PreResume',
    );
    expect(seen[1]).toEqual({ resume_input: 'rewritten' });
    expect(result).toEqual({ kind: 'allow', payload: { resume_input: 'rewritten' }, modified: true });
  });

  it('the last modify is carried even when later hooks allow', async () => {
    const result = await runHookChain(
      [
        () => ({ modify: { resume_input: 'one' } }),
        async () => ({ modify: { resume_input: 'two' } }),
        () => true,
        () => ({ note: 'allow' }),
      ],
      initial,
      'PreResume',
    );
    expect(result).toEqual({ kind: 'allow', payload: { resume_input: 'two' }, modified: true });
  });

  it('a block after a modify reports the modified payload', async () => {
    const result = await runHookChain(
      [() => ({ modify: { resume_input: 'one' } }), () => false],
      initial,
      'PreResume',
    );
    expect(result).toEqual({
      kind: 'block',
      reason: 'PreResume hook returned false',
      payload: { resume_input: 'one' },
    });
  });

  it('a decision short-circuits and counts as allow', async () => {
    const seen: unknown[] = [];
    const result = await runHookChain(
      [
        recording(seen, { modify: { resume_input: 'm' } }),
        recording(seen, { decision: 'deny' }),
        recording(seen, false),
      ],
      initial,
      'PreResume',
    );
    expect(result).toEqual({ kind: 'allow', payload: { resume_input: 'm' }, modified: true });
    expect(seen).toHaveLength(2);
  });

  it('a hook mutating its payload in place changes nothing', async () => {
    const result = await runHookChain(
      [
        (payload) => {
          payload.resume_input = 'mutated';
          return true;
        },
      ],
      initial,
      'PreResume',
    );
    expect(result).toEqual({ kind: 'allow', payload: initial, modified: false });
    expect(initial.resume_input).toBe('original');
  });

  it('propagates hook exceptions and bad return values', async () => {
    const boom = new Error('hook crashed');
    await expect(
      runHookChain(
        [
          () => {
            throw boom;
          },
        ],
        initial,
        'PreResume',
      ),
    ).rejects.toBe(boom);
    await expect(runHookChain([async () => 7], initial, 'PreResume')).rejects.toThrow('got int');
  });
});

describe('applyPreResumeModification', () => {
  const options = parseResumeOptions({ input: 'original', continue_transcript: false, initiator: 'parent' });

  it.each<{ name: string; payload: unknown; input: unknown; present: boolean }>([
    {
      name: 'non-null resume_input replaces the input',
      payload: { resume_input: 'rewritten' },
      input: 'rewritten',
      present: true,
    },
    {
      name: 'a dict resume_input replaces the input',
      payload: { resume_input: { a: 1 } },
      input: { a: 1 },
      present: true,
    },
    {
      name: 'null cannot clear the input',
      payload: { resume_input: null },
      input: 'original',
      present: true,
    },
    {
      name: 'a payload without resume_input keeps it',
      payload: { other: 1 },
      input: 'original',
      present: true,
    },
    { name: 'a null payload keeps it', payload: null, input: 'original', present: true },
    { name: 'a non-dict payload keeps it', payload: 'rewritten', input: 'original', present: true },
  ])('$name', ({ payload, input, present }) => {
    const next = applyPreResumeModification({ input: options }, payload);
    expect(next.input).toEqual(input);
    expect(next.inputPresent).toBe(present);
    expect(next.continueTranscript).toBe(false);
    expect(next.initiator).toBe('parent');
  });

  it('continue_transcript cannot be changed', () => {
    const next = applyPreResumeModification(options, { resume_input: 'x', continue_transcript: true });
    expect(next).toEqual({ ...options, input: 'x' });
  });

  it('adds an input where there was none', () => {
    const none = parseResumeOptions(undefined);
    expect(applyPreResumeModification(none, { resume_input: 'added' })).toEqual({
      ...none,
      inputPresent: true,
      input: 'added',
    });
    expect(applyPreResumeModification(none, { resume_input: null })).toEqual(none);
  });

  it('a modified "" replaces the input (the blank check runs after, as in Harn)', () => {
    expect(applyPreResumeModification(options, { resume_input: '' }).input).toBe('');
  });
});
