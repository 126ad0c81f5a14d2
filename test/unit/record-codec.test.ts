// The stored form of a record: whatever goes in comes back equal, derived values included, and a
// commit sends only what changed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseResumeConditions } from '../../src/lib/policy/conditions.js';
import { nowFrom } from '../../src/lib/policy/decision.js';
import { isoFromMs } from '../../src/lib/policy/iso-time.js';
import { decideResume } from '../../src/lib/policy/resume.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import { decideSuspend } from '../../src/lib/policy/suspend.js';
import type { JsonValue, Suspension, WorkerRecord } from '../../src/lib/policy/types.js';
import { diffFields } from '../../src/lib/store/commit-call.js';
import {
  decodeRecord,
  encodeNext,
  encodeRecord,
  type Fields,
  NAME_END,
  SEGMENT,
  splitDocument,
} from '../../src/lib/store/record-codec.js';
import { compactTraceparent, expandTraceparent } from '../../src/lib/store/record-parts.js';
import { FIXED_MS, makeRecord, makeSuspension } from '../support/records.js';

const join = (fields: Fields) => [...fields].map(([k, v]) => k + NAME_END + v).join(SEGMENT);
const roundTrip = (r: WorkerRecord) => decodeRecord(r.id, splitDocument(join(encodeRecord(r))));

const NOW = nowFrom(FIXED_MS + 60_000);

function suspendedWith(conditions: JsonValue): WorkerRecord {
  const d = decideSuspend(
    makeRecord(),
    'worker_1',
    {
      reason: 'waiting',
      initiator: 'self',
      rawConditions: conditions,
      conditions: parseResumeConditions(conditions),
      triggerUnique: 'u1',
    },
    NOW,
  );
  if (d.kind !== 'commit') throw new Error('expected a commit');
  return d.next;
}

function resumed(
  from: WorkerRecord,
  input: JsonValue = 'next step',
  continueTranscript?: boolean,
): WorkerRecord {
  const d = decideResume(
    from,
    { options: parseResumeOptions(input, continueTranscript), requestId: 'r-1@2', digest: null },
    nowFrom(NOW.ms + 1000),
  );
  if (d.kind !== 'commit') throw new Error('expected a commit');
  return d.next;
}

describe('record codec', () => {
  const timed = suspendedWith({
    timeout: { duration_ms: 5000, on_timeout: 'resume_with_input', input: { a: 1 } },
  });
  const triggered = suspendedWith({ trigger: { kind: 'review.approved', provider: 'github' } });
  const cases: [string, WorkerRecord][] = [
    ['a new running worker', makeRecord()],
    ['suspended with a timeout', timed],
    ['suspended on a trigger', triggered],
    ['resumed (continuity, last request, history)', resumed(timed)],
    ['resumed with a dict input', resumed(triggered, { approve: true, note: 'ok' })],
    ['resumed without input', resumed(timed, { continue_transcript: false })],
    ['resumed twice', resumed(suspendedWith(null), 'one')],
    [
      'failed by a timeout, with an outbox of every effect',
      makeRecord({
        status: 'failed',
        version: 9,
        finished_at: isoFromMs(FIXED_MS + 5),
        finished_at_ms: FIXED_MS + 5,
        latest_error: 'boom',
        last_request: { id: 'timeout-worker_1-8@1', version: 9, failed: true },
        outbox: {
          version: 9,
          requestId: 'req',
          effects: [
            { kind: 'armTimeout', epoch: 9, dueAtMs: FIXED_MS + 10 },
            { kind: 'respawn' },
            { kind: 'postResume' },
          ],
        },
      }),
    ],
    [
      'imported: times in another ISO form, a suspension without its derived parts',
      makeRecord({
        created_at: '2025-01-02T03:04:05Z',
        started_at_ms: FIXED_MS + 1,
        started_at: '2025-01-02T03:04:05.001+00:00',
        finished_at: 'sometime',
        finished_at_ms: null,
        status: 'suspended',
        suspension: makeSuspension({
          suspended_at: 'not derivable',
          snapshot_ref: '',
          deadline_ms: FIXED_MS + 100,
          epoch: 3,
        }),
      }),
    ],
    [
      'a continuity payload of another shape (kept as it is)',
      makeRecord({ continuity: { session_id: 's', custom: [1, 2, { x: null }] } }),
    ],
    [
      'text with the separators and control characters in it',
      makeRecord({
        name: 'a\x1eb\x1fc',
        task: 'line\nline\u0000',
        history: ['\x1e', '\n', '"quoted"'],
        extra: { 'k\x1f': 'v\x1e' },
      }),
    ],
  ];

  it.each(cases)('%s comes back equal', (_name, record) => {
    expect(roundTrip(record)).toEqual(record);
  });

  it('arbitrary JSON in the free-form fields comes back equal', () => {
    const json = fc.jsonValue() as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(
        fc.record({
          config: json,
          latest_payload: json,
          carry_policy: json,
          name: fc.string(),
          task: fc.string(),
        }),
        fc.array(fc.string(), { maxLength: 4 }),
        fc.dictionary(fc.string(), json, { maxKeys: 3 }),
        (fields, history, extra) => {
          // JSON has no -0 and no undefined: compare what a JSON round trip of the record keeps.
          const record = JSON.parse(
            JSON.stringify(makeRecord({ ...fields, history, extra })),
          ) as WorkerRecord;
          expect(roundTrip(record)).toEqual(record);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stores a resumed record compactly: derived parts and duplicates left out', () => {
    const record = resumed(timed);
    const stored = join(encodeRecord(record));
    expect(stored.length).toBeLessThan(JSON.stringify(record).length * 0.6);
    expect(stored).not.toContain('suspended_at_ms');
    expect(stored).not.toContain('timeout_job_id');
    expect(stored).not.toContain('created_at');
  });

  it('re-encodes only the fields a decision changed; history grows by appending', () => {
    const before = timed;
    const fields = encodeRecord(before);
    const after = resumed(before);
    const next = encodeNext({ record: before, fields }, after);
    const { set, del } = diffFields(fields, next);
    const names = set.map(([name]) => name).sort();
    expect(names).toEqual(['co', 'h', 'k', 'lr', 'u'].sort());
    expect(del).toEqual(['sp']);
    const again = resumed(suspendedWith(null), 'two');
    const again2 = decideSuspend(
      again,
      again.id,
      { reason: 'r', initiator: 'self', rawConditions: null, conditions: null, triggerUnique: 'x' },
      NOW,
    );
    if (again2.kind !== 'commit') throw new Error('expected a commit');
    const third = resumed(again2.next, 'three');
    const f2 = encodeRecord(again2.next);
    const d2 = diffFields(f2, encodeNext({ record: again2.next, fields: f2 }, third));
    expect(d2.set).toContainEqual(['+h', '"three"']);
  });

  it("keeps a suspension's traceparent as 34 characters; without one the stored form is unchanged", () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const traced: WorkerRecord = {
      ...timed,
      suspension: { ...(timed.suspension as Suspension), traceparent },
    };
    expect(roundTrip(traced)).toEqual(traced);
    const tracedSp = encodeRecord(traced).get('sp') as string;
    const plainSp = encodeRecord(timed).get('sp') as string;
    // `,"tp":"…34…"` and nothing else: the plain suspension's stored form is a prefix of it.
    expect(tracedSp.length - plainSp.length).toBe(',"tp":""'.length + 34);
    expect(plainSp).not.toContain('"tp"');
    expect(JSON.parse(tracedSp).tp).toBe(compactTraceparent(traceparent));
    // An unsampled span's flags come back too.
    const unsampled = traceparent.replace(/-01$/, '-00');
    expect(expandTraceparent(compactTraceparent(unsampled) as string)).toBe(unsampled);
  });

  it('a stored suspension with no or a bad `tp` decodes to no traceparent', () => {
    const fields = encodeRecord(timed);
    const sp = JSON.parse(fields.get('sp') as string);
    for (const tp of [undefined, 'short', 42, '!'.repeat(34)]) {
      const doc = new Map(fields).set('sp', JSON.stringify({ ...sp, tp }));
      expect(decodeRecord(timed.id, doc).suspension).not.toHaveProperty('traceparent');
    }
    // Only a version-00 traceparent is kept.
    expect(compactTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeNull();
    const odd = { ...timed, suspension: { ...(timed.suspension as Suspension), traceparent: 'nonsense' } };
    expect(encodeRecord(odd).get('sp')).toBe(fields.get('sp'));
  });

  it('ISO times match Date#toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('an unreadable document is a typed error', () => {
    expect(() => decodeRecord('w', splitDocument('v\x1fx\x1es\x1frunning'))).toThrow(/RP-CORRUPT-RECORD/);
    expect(() => decodeRecord('w', splitDocument('v\x1f2\x1es\x1frunning\x1en\x1f{oops'))).toThrow(
      /RP-CORRUPT-RECORD/,
    );
  });
});
