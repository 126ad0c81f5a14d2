// Transcript policy of a resume (harn-semantics §5): keep the transcript, or replace it with a
// one-message transcript holding a digest. The digest function is pluggable; the default is a
// deterministic text digest (Harn runs a Truncate compaction; see defaultDigest).

import { harnTrim, renderInput } from './resume-options.js';
import type { JsonValue, Transcript } from './types.js';

export type DigestFn = (transcript: Transcript) => string | null;

/** The digest body keeps at most this many characters, from the end (the latest turns matter most). */
export const DIGEST_MAX_CHARS = 2000;

/** Harn's `transcript_summary_text`: a non-empty string `summary`, untrimmed. */
function summaryField(transcript: Transcript): string | null {
  const summary = transcript.summary;
  return typeof summary === 'string' && summary !== '' ? summary : null;
}

/** Text of a message's content: a string, or the text parts of a content-block list. */
function contentText(content: JsonValue): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const block of content) {
      if (typeof block === 'string') parts.push(block);
      else if (
        block !== null &&
        typeof block === 'object' &&
        !Array.isArray(block) &&
        typeof block.text === 'string'
      ) {
        parts.push(block.text);
      }
    }
    return parts.join('\n');
  }
  return renderInput(content);
}

/** Cuts to the last `max` UTF-16 units without splitting a surrogate pair. */
function tail(text: string, max: number): string {
  let start = text.length - max;
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start += 1;
  return text.slice(start);
}

/**
 * Default digest: the transcript's trimmed summary when it has one (as Harn). Otherwise, where Harn
 * runs a Truncate compaction (`[auto-compacted N older messages via truncate strategy]` + the first
 * 15 messages as `[role] content`), we keep the *latest* text: every message with text as
 * `role: text`, joined by newlines, cut to the last DIGEST_MAX_CHARS characters, under a header
 * saying it is a digest. Null when no message has text.
 */
export function defaultDigest(transcript: Transcript): string | null {
  const summary = summaryField(transcript);
  if (summary !== null && harnTrim(summary) !== '') return harnTrim(summary);
  const messages = Array.isArray(transcript.messages) ? transcript.messages : [];
  const lines: string[] = [];
  for (const message of messages) {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) continue;
    const text = harnTrim(contentText(message.content ?? null));
    if (text === '') continue;
    const role = typeof message.role === 'string' && message.role !== '' ? message.role : 'user';
    lines.push(`${role}: ${text}`);
  }
  if (lines.length === 0) return null;
  const body = lines.join('\n');
  const noun = lines.length === 1 ? 'message' : 'messages';
  if (body.length <= DIGEST_MAX_CHARS) return `[resume digest of ${lines.length} ${noun}]\n${body}`;
  const kept = harnTrim(tail(body, DIGEST_MAX_CHARS));
  return `[resume digest of ${lines.length} ${noun}, earlier text truncated]\n…${kept}`;
}

/** The digest for a `continue_transcript: false` resume: trimmed, null when blank or no transcript. */
export function computeDigest(transcript: Transcript | null, digest: DigestFn): string | null {
  if (transcript === null) return null;
  const text = digest(transcript);
  if (typeof text !== 'string') return null;
  const trimmed = harnTrim(text);
  return trimmed === '' ? null : trimmed;
}

/**
 * Harn's `apply_resume_transcript_policy`. true: unchanged. false: summary = digest ?? the
 * transcript's summary, trimmed; none (or no transcript) → null; else a new transcript with the
 * same id and metadata and one user message holding the summary. Harn's rebuilt transcript also
 * has `_type`, `version`, `assets: []` and `events` regenerated from the messages with fresh
 * UUIDv7 ids; those ids cannot be made purely, so, as the spec says, there is no `events` key.
 */
export function applyTranscriptPolicy(
  transcript: Transcript | null,
  continueTranscript: boolean,
  digest: string | null,
): Transcript | null {
  if (continueTranscript) return transcript;
  if (transcript === null) return null;
  // A digest, when given, wins even over a summary (Harn's `digest_override.or_else(summary)`).
  const raw = digest ?? summaryField(transcript);
  const summary = raw === null ? '' : harnTrim(raw);
  if (summary === '') return null;
  const next: Transcript = {};
  if (typeof transcript.id === 'string' && transcript.id !== '') next.id = transcript.id;
  next.messages = [{ role: 'user', content: summary }];
  next.summary = summary;
  if (transcript.metadata !== undefined) next.metadata = transcript.metadata;
  return next;
}
