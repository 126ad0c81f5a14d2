import { describe, expect, it } from 'vitest';
import {
  applyTranscriptPolicy,
  computeDigest,
  DIGEST_MAX_CHARS,
  defaultDigest,
} from '../../src/lib/policy/transcript.js';
import type { Transcript } from '../../src/lib/policy/types.js';

const conversation: Transcript = {
  id: 'transcript_1',
  messages: [
    { role: 'user', content: 'Review PR 7' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading the diff.' },
        { type: 'tool_use', id: 't1' },
      ],
    },
    { role: 'tool', content: { status: 'ok', lines: 12 } },
    { role: 'assistant', content: '   ' },
  ],
  events: [{ kind: 'message' }],
  metadata: { source: 'test' },
};

describe('defaultDigest', () => {
  it.each<{ name: string; transcript: Transcript; expected: string | null }>([
    {
      name: 'trimmed summary wins',
      transcript: { ...conversation, summary: '  Prior digest \n' },
      expected: 'Prior digest',
    },
    {
      name: 'blank summary falls back to the messages',
      transcript: { ...conversation, summary: '  ' },
      expected:
        '[resume digest of 3 messages]\nuser: Review PR 7\nassistant: Reading the diff.\ntool: {lines: 12, status: ok}',
    },
    {
      name: 'one message',
      transcript: { messages: [{ role: 'user', content: 'only' }] },
      expected: '[resume digest of 1 message]\nuser: only',
    },
    { name: 'no messages', transcript: { id: 'x' }, expected: null },
    {
      name: 'only blank messages',
      transcript: { messages: [{ role: 'user', content: ' ' }] },
      expected: null,
    },
  ])('$name', ({ transcript, expected }) => {
    expect(defaultDigest(transcript)).toBe(expected);
  });

  it('keeps the end of a long conversation, within the limit', () => {
    const messages = Array.from({ length: 100 }, (_, i) => ({
      role: 'user',
      content: `message ${i} ${'x'.repeat(40)}`,
    }));
    const digest = defaultDigest({ messages }) ?? '';
    const [header, ...rest] = digest.split('\n');
    const body = rest.join('\n');
    expect(header).toBe('[resume digest of 100 messages, earlier text truncated]');
    expect(body.startsWith('…')).toBe(true);
    expect(body.length).toBeLessThanOrEqual(DIGEST_MAX_CHARS + 1);
    expect(body.endsWith(`user: message 99 ${'x'.repeat(40)}`)).toBe(true);
    expect(body).not.toContain('message 0 ');
    expect(defaultDigest({ messages })).toBe(digest);
  });

  it('does not split a surrogate pair at the cut', () => {
    const content = '😀'.repeat(1500);
    const digest = defaultDigest({ messages: [{ role: 'user', content }] }) ?? '';
    expect(digest).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});

describe('computeDigest', () => {
  it.each<{
    name: string;
    transcript: Transcript | null;
    fn: (t: Transcript) => string | null;
    expected: string | null;
  }>([
    { name: 'no transcript', transcript: null, fn: () => 'never called', expected: null },
    { name: 'default', transcript: { summary: 'Prior digest' }, fn: defaultDigest, expected: 'Prior digest' },
    { name: 'custom result trimmed', transcript: {}, fn: () => '  custom  ', expected: 'custom' },
    { name: 'custom blank → null', transcript: {}, fn: () => ' \n ', expected: null },
    { name: 'custom null', transcript: {}, fn: () => null, expected: null },
  ])('$name', ({ transcript, fn, expected }) => {
    expect(computeDigest(transcript, fn)).toBe(expected);
  });
});

describe('applyTranscriptPolicy (Harn apply_resume_transcript_policy)', () => {
  it.each<{
    name: string;
    transcript: Transcript | null;
    continueTranscript: boolean;
    digest: string | null;
    expected: Transcript | null;
  }>([
    {
      name: 'continue: unchanged',
      transcript: conversation,
      continueTranscript: true,
      digest: 'ignored',
      expected: conversation,
    },
    {
      name: 'continue without transcript',
      transcript: null,
      continueTranscript: true,
      digest: null,
      expected: null,
    },
    {
      name: 'reset without transcript',
      transcript: null,
      continueTranscript: false,
      digest: 'd',
      expected: null,
    },
    {
      name: 'Harn case 6: summary becomes the one message',
      transcript: { ...conversation, summary: 'Prior digest' },
      continueTranscript: false,
      digest: 'Prior digest',
      expected: {
        id: 'transcript_1',
        messages: [{ role: 'user', content: 'Prior digest' }],
        summary: 'Prior digest',
        metadata: { source: 'test' },
      },
    },
    {
      name: 'digest wins over the summary',
      transcript: { ...conversation, summary: 'old summary' },
      continueTranscript: false,
      digest: 'fresh digest',
      expected: {
        id: 'transcript_1',
        messages: [{ role: 'user', content: 'fresh digest' }],
        summary: 'fresh digest',
        metadata: { source: 'test' },
      },
    },
    {
      name: 'no digest: the summary, trimmed',
      transcript: { summary: '  kept  ' },
      continueTranscript: false,
      digest: null,
      expected: { messages: [{ role: 'user', content: 'kept' }], summary: 'kept' },
    },
    {
      name: 'no digest and no summary → null',
      transcript: conversation,
      continueTranscript: false,
      digest: null,
      expected: null,
    },
    {
      name: 'blank summary → null',
      transcript: { ...conversation, summary: '   ' },
      continueTranscript: false,
      digest: null,
      expected: null,
    },
    {
      name: 'null metadata is kept, empty id dropped',
      transcript: { id: '', metadata: null, summary: 's' },
      continueTranscript: false,
      digest: null,
      expected: { messages: [{ role: 'user', content: 's' }], summary: 's', metadata: null },
    },
  ])('$name', ({ transcript, continueTranscript, digest, expected }) => {
    expect(applyTranscriptPolicy(transcript, continueTranscript, digest)).toStrictEqual(expected);
  });
});
