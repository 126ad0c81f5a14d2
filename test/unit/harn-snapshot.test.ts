import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnCode, ResumeProcessorError, SuspendError } from '../../src/lib/errors.js';
import { nowFrom } from '../../src/lib/policy/decision.js';
import { decideResume } from '../../src/lib/policy/resume.js';
import { parseResumeOptions } from '../../src/lib/policy/resume-options.js';
import { decideSuspend } from '../../src/lib/policy/suspend.js';
import type { JsonObject, JsonValue, WorkerRecord } from '../../src/lib/policy/types.js';
import { withVersion } from '../../src/lib/policy/worker-record.js';
import {
  convertHarnSnapshot,
  EXPORT_BLOCK_KEY,
  exportHarnSnapshot,
  parseHarnSnapshot,
  timestampMs,
} from '../../src/lib/snapshot/harn-snapshot.js';
import { HarnConfigSchema, HarnSuspensionSchema } from '../../src/lib/snapshot/harn-snapshot-schema.js';
import {
  isSnapshotPath,
  listSnapshotFiles,
  readSnapshotFile,
  resolveSnapshotTargets,
  snapshotPathFor,
  writeSnapshotFile,
} from '../../src/lib/snapshot/snapshot-files.js';
import { decodeUuidV7Ms, encodeUuidV7, isUuidV7, UUIDV7_MAX_MS } from '../../src/lib/snapshot/uuidv7.js';
import { FIXED_MS, makeRecord } from '../support/records.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/harn/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
const NOW = Date.parse('2025-06-01T00:00:00.000Z');
const NOW_ISO = '2025-06-01T00:00:00.000Z';
const MINUTE = 60_000;

async function load(name: string): Promise<{ path: string; json: JsonObject }> {
  const path = fixture(name);
  return { path, json: (await readSnapshotFile(path)) as JsonObject };
}

/** A snapshot as a JSON file holds it, for in-memory variations. */
function minimalSnapshot(overrides: JsonObject = {}): JsonObject {
  return {
    _type: 'worker_snapshot',
    id: 'worker_min',
    name: 'min',
    task: 'do the thing',
    status: 'completed',
    mode: 'sub_agent',
    config: { mode: 'sub_agent', spec: { name: 'min', task: 'do the thing', options: {} } },
    ...overrides,
  };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function expectSnapshotInvalid(err: unknown, path: string, reason: string | RegExp): void {
  expect(err).toBeInstanceOf(SuspendError);
  const e = err as SuspendError;
  expect(e.code).toBe(HarnCode.ResumeSnapshotInvalid);
  expect(e.path).toBe(path);
  expect(e.message).toContain(`HARN-SUS-004: resume_agent: failed to load snapshot \`${path}\`: `);
  if (typeof reason === 'string') expect(e.message).toContain(reason);
  else expect(e.message).toMatch(reason);
}

describe('UUIDv7 timestamps', () => {
  // Expected values computed independently (Python: int("019424f86103", 16)).
  it.each([
    ['019424f8-6103-7085-baef-24598ec3f82d', 1735787045123],
    ['019424F8-6638-75AA-9F14-497EB3E81D52', 1735787046456],
    ['0194252b-9515-7acf-8439-6ea3d80d4277', 1735790400789],
    ['00000000-0000-7000-8000-000000000000', 0],
    ['ffffffff-ffff-7fff-bfff-ffffffffffff', UUIDV7_MAX_MS],
  ])('%s decodes to %d ms', (uuid, ms) => {
    expect(isUuidV7(uuid)).toBe(true);
    expect(decodeUuidV7Ms(uuid)).toBe(ms);
  });

  it.each([
    ['a v4 UUID', '019424f8-6103-4085-baef-24598ec3f82d'],
    ['a wrong variant', '019424f8-6103-7085-caef-24598ec3f82d'],
    ['no hyphens', '019424f861037085baef24598ec3f82d'],
    ['an ISO date', '2025-01-02T03:04:05.123Z'],
    ['empty', ''],
  ])('%s is not a UUIDv7', (_label, text) => {
    expect(decodeUuidV7Ms(text)).toBeNull();
  });

  it('encodes ms with the version and variant bits and decodes back', () => {
    const random = Uint8Array.from([0xff, 0xee, 0xdd, 1, 2, 3, 4, 5, 6, 7]);
    const uuid = encodeUuidV7(1735787045123, random);
    expect(uuid).toBe('019424f8-6103-7fee-9d01-020304050607');
    expect(decodeUuidV7Ms(uuid)).toBe(1735787045123);
  });

  it.each([
    ['a negative ms', -1, 10],
    ['a fractional ms', 1.5, 10],
    ['ms beyond 48 bits', UUIDV7_MAX_MS + 1, 10],
    ['too few random bytes', 0, 9],
  ])('refuses %s', (_label, ms, bytes) => {
    expect(() => encodeUuidV7(ms, new Uint8Array(bytes))).toThrow(RangeError);
  });

  it.each<[unknown, number | null | 'invalid']>([
    ['019424f8-6103-7085-baef-24598ec3f82d', 1735787045123],
    ['2025-01-02T03:04:05.123Z', 1735787045123],
    ['2025-01-02T05:04:05.123+02:00', 1735787045123],
    [1735787045123, 1735787045123],
    [null, null],
    [undefined, null],
    ['', null],
    ['2025-01-02T03:04:05', 'invalid'], // no zone: local time would depend on the machine
    ['2025-01-02', 'invalid'],
    ['yesterday', 'invalid'],
    [-5, 'invalid'],
    [1.5, 'invalid'],
    [true, 'invalid'],
  ])('timestampMs(%j) = %j', (value, expected) => {
    expect(timestampMs(value)).toBe(expected);
  });
});

describe('import: Harn fixtures', () => {
  it('workflow mode, completed, with Harn-only fields kept in extra', async () => {
    const { path, json } = await load('workflow.json');
    const { record, warnings } = convertHarnSnapshot(json, path, NOW);
    expect(warnings).toEqual([]);
    expect(record).toMatchObject({
      _type: 'worker_record',
      id: 'worker_019550ef-1280-7419-8e83-b8ed22578cc1',
      name: 'release-notes',
      task: 'draft the release notes for v2.4',
      mode: 'workflow',
      status: 'completed',
      version: 1,
      created_at: '2025-03-01T09:00:00.000Z',
      created_at_ms: 1740819600000,
      started_at: '2025-03-01T09:00:00.250Z',
      started_at_ms: 1740819600250,
      finished_at: '2025-03-01T09:12:30.500Z',
      finished_at_ms: 1740820350500,
      updated_at_ms: NOW,
      history: ['draft the release notes for v2.4'],
      suspension: null,
      continuity: null,
      transcript: null,
      latest_error: null,
      latest_payload: { status: 'completed', summary: 'Release notes drafted (14 entries).' },
      parent_worker_id: null,
      snapshot_path: path,
      outbox: null,
    });
    expect(record.config).toEqual(json.config);
    expect(record.carry_policy).toEqual(json.carry_policy);
    expect(Object.keys(record.extra).sort()).toEqual(
      [
        'artifacts',
        'audit',
        'awaiting_started_at',
        'child_run_id',
        'child_run_path',
        'execution',
        'parent_stage_id',
        'request',
      ].sort(),
    );
    for (const key of Object.keys(record.extra)) expect(record.extra[key]).toEqual(json[key]);
  });

  it('stage mode, suspended with a timeout-only condition: the timeout is armed from suspended_at', async () => {
    const { path, json } = await load('stage.json');
    const record = parseHarnSnapshot(json, path, NOW);
    const suspendedAt = Date.parse('2025-03-02T10:05:00.000Z');
    expect(record.status).toBe('suspended');
    expect(record.mode).toBe('stage');
    expect(record.config).toEqual(json.config);
    expect(record.parent_worker_id).toBe('worker_019550ef-1280-7419-8e83-b8ed22578cc1');
    expect(record.transcript?.summary).toBe('Three reports need a reproduction.');
    expect(record.suspension).toStrictEqual({
      reason: 'waiting for reproductions',
      initiator: 'parent',
      suspended_at: '2025-03-02T10:05:00.000Z',
      suspended_at_ms: suspendedAt,
      epoch: 1,
      snapshot_ref: '.harn/workers/worker_0195564c-5d00-793e-b3a8-dd12477cb1e6.json',
      conditions: { timeout: { duration_minutes: 30, on_timeout: 'fail' } },
      deadline_ms: suspendedAt + 30 * MINUTE,
      on_timeout: 'fail',
      timeout_job_id: 'timeout-worker_0195564c-5d00-793e-b3a8-dd12477cb1e6-1',
      auto_resume_trigger: null,
      prior_span_link: { trace_id: 'trace_0195564c-5d00-74c9-be33-689dd2073c71', span_id: '17' },
      pipeline_span_link: {
        trace_id: 'trace_0195564c-5d00-74c9-be33-689dd2073c71',
        span_id: '3',
        attributes: { 'harn.link.kind': 'pipeline' },
      },
    });
    expect(record.carry_policy).toMatchObject({ transcript_mode: 'fork', persist_state: false });
  });

  it('sub_agent mode, suspended with a trigger and a timeout; continuity leaves the config', async () => {
    const { path, json } = await load('sub-agent.json');
    const record = parseHarnSnapshot(json, path, NOW);
    const suspendedAt = Date.parse('2025-03-03T11:45:00.000Z');
    const fileOptions = ((json.config as JsonObject).spec as JsonObject).options as JsonObject;
    expect(record.status).toBe('suspended');
    expect(record.history).toEqual(['review the pull request', 'address the review comments']);
    expect(record.continuity).toEqual(fileOptions._resume_continuity);
    const options = ((record.config as JsonObject).spec as JsonObject).options as JsonObject;
    expect(options).toEqual({
      max_iterations: 20,
      session_id: 'sub_agent_session_01955ba9-a782-771c-9186-bbf0255a8fc4',
    });
    expect(record.suspension).toStrictEqual({
      reason: 'waiting for the approval',
      initiator: 'self',
      suspended_at: '2025-03-03T11:45:00.000Z',
      suspended_at_ms: suspendedAt,
      epoch: 1,
      snapshot_ref: '.harn/workers/worker_01955ba9-a780-7e63-98cd-02376ca1d60b.json',
      suspended_at_turn: 7,
      conditions: {
        trigger: { provider: 'github', kind: 'review.approved' },
        timeout: { duration_minutes: 120, on_timeout: 'resume_with_input' },
      },
      deadline_ms: suspendedAt + 120 * MINUTE,
      on_timeout: 'resume_with_input',
      timeout_job_id: 'timeout-worker_01955ba9-a780-7e63-98cd-02376ca1d60b-1',
      auto_resume_trigger: {
        id: 'auto_resume_worker_01955ba9-a780-7e63-98cd-02376ca1d60b_01955bd2-da61-72f7-ac61-96cb00356a9f',
        version: 1,
        match_events: ['review.approved'],
        provider: 'github',
      },
    });
  });

  it('running loads as interrupted, without a suspension', async () => {
    const { path, json } = await load('running.json');
    const { record, warnings } = convertHarnSnapshot(json, path, NOW);
    expect(record.status).toBe('interrupted');
    expect(record.suspension).toBeNull();
    expect(record.started_at).toBe('2025-03-04T12:00:00.500Z');
    expect(warnings).toEqual([]);
  });

  it('a malformed suspension is dropped; a suspended worker gets a minimal operator suspension', async () => {
    const { path, json } = await load('malformed-suspension.json');
    const { record, warnings } = convertHarnSnapshot(json, path, NOW);
    expect(record.status).toBe('suspended');
    expect(record.suspension).toStrictEqual({
      reason: '',
      initiator: 'operator',
      suspended_at: NOW_ISO,
      suspended_at_ms: NOW,
      epoch: 1,
      snapshot_ref: path,
      conditions: null,
      auto_resume_trigger: null,
    });
    expect(warnings).toEqual([
      expect.stringMatching(/^suspension\.initiator: .*; suspension dropped$/),
      'suspended without a valid suspension: a minimal operator suspension was recorded',
    ]);
  });

  it('UUIDv7 timestamps decode to their milliseconds; awaiting_started_at stays verbatim in extra', async () => {
    const { path, json } = await load('uuidv7-timestamps.json');
    const record = parseHarnSnapshot(json, path, NOW);
    expect(record).toMatchObject({
      mode: 'top_level_agent',
      status: 'failed',
      created_at: '2025-01-02T03:04:05.123Z',
      created_at_ms: 1735787045123,
      started_at: '2025-01-02T03:04:06.456Z',
      started_at_ms: 1735787046456,
      finished_at: '2025-01-02T04:00:00.789Z',
      finished_at_ms: 1735790400789,
      latest_error: 'auto-resume timeout expired',
    });
    expect(record.extra.awaiting_started_at).toBe('01942510-1ac1-7ff4-a95e-93c8fd32679c');
    expect(record.carry_policy).toEqual({
      artifact_mode: 'inherit',
      transcript_mode: 'compact',
      resume_workflow: false,
      persist_state: true,
      retriggerable: true,
      policy: null,
      context_policy: { max_artifacts: null, max_tokens: null, include_kinds: [] },
    });
  });

  it('a directory import lists the valid fixtures in order', async () => {
    expect(await resolveSnapshotTargets(FIXTURES)).toEqual(
      [
        'malformed-suspension.json',
        'running.json',
        'stage.json',
        'sub-agent.json',
        'uuidv7-timestamps.json',
        'workflow.json',
      ].map(fixture),
    );
  });
});

describe('import: status (Harn §2b step 3)', () => {
  it.each<[JsonValue | undefined, WorkerRecord['status']]>([
    ['running', 'interrupted'],
    [undefined, 'interrupted'],
    [null, 'interrupted'],
    ['awaiting', 'interrupted'],
    ['awaiting_input', 'interrupted'],
    ['interrupted', 'interrupted'],
    ['completed', 'completed'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
    ['stopped', 'stopped'],
  ])('%j → %s', (status, expected) => {
    const json = minimalSnapshot();
    if (status === undefined) delete json.status;
    else json.status = status;
    expect(parseHarnSnapshot(json, 'w.json', NOW).status).toBe(expected);
  });

  it('a valid suspension on a worker that is not suspended is dropped', () => {
    const json = minimalSnapshot({
      status: 'completed',
      suspension: { reason: 'r', initiator: 'self', suspended_at: '', snapshot_ref: '' },
    });
    const { record, warnings } = convertHarnSnapshot(json, 'w.json', NOW);
    expect(record.suspension).toBeNull();
    expect(warnings).toEqual(['suspension dropped: worker status is "completed", not "suspended"']);
  });

  it('defaults as Harn: missing task "", mode workflow, started_at = created_at, finished_at null', () => {
    const json = minimalSnapshot({ created_at: '2025-01-02T03:04:05.123Z' });
    delete json.task;
    delete json.mode;
    const record = parseHarnSnapshot(json, 'w.json', NOW);
    expect(record).toMatchObject({
      task: '',
      mode: 'workflow',
      history: [],
      created_at_ms: 1735787045123,
      started_at_ms: 1735787045123,
      finished_at: null,
      finished_at_ms: null,
      carry_policy: null,
      latest_payload: null,
    });
    expect(parseHarnSnapshot(minimalSnapshot(), 'w.json', NOW).created_at).toBe(NOW_ISO);
  });
});

describe('import: WorkerSuspension shape', () => {
  const valid: JsonObject = {
    reason: 'park',
    initiator: 'self',
    suspended_at: '01955bd2-da60-7d82-b7ec-21568bc0f52a',
    snapshot_ref: '.harn/workers/w.json',
  };
  const without = (key: string): JsonObject => {
    const copy = { ...valid };
    delete copy[key];
    return copy;
  };
  it.each<[string, JsonValue]>([
    ['not a dict', 'suspended'],
    ['a list', [valid]],
    ['initiator not in the enum', { ...valid, initiator: 'robot' }],
    ['reason missing', without('reason')],
    ['reason not a string', { ...valid, reason: 42 }],
    ['initiator missing', without('initiator')],
    ['suspended_at a number', { ...valid, suspended_at: 1741002300000 }],
    ['snapshot_ref missing', without('snapshot_ref')],
    ['suspended_at_turn a float', { ...valid, suspended_at_turn: 1.5 }],
    ['prior_span_link.trace_id a number', { ...valid, prior_span_link: { trace_id: 5, span_id: '1' } }],
    ['pipeline_span_link.attributes not strings', { ...valid, pipeline_span_link: { attributes: { a: 1 } } }],
    ['auto_resume_trigger without id', { ...valid, auto_resume_trigger: { version: 1 } }],
    ['auto_resume_trigger.version negative', { ...valid, auto_resume_trigger: { id: 't', version: -1 } }],
    [
      'auto_resume_trigger.version beyond u32',
      { ...valid, auto_resume_trigger: { id: 't', version: 2 ** 32 } },
    ],
  ])('%s → dropped, minimal suspension recorded', (_label, suspension) => {
    const json = minimalSnapshot({ status: 'suspended', suspension });
    const { record, warnings } = convertHarnSnapshot(json, 'w.json', NOW);
    expect(record.status).toBe('suspended');
    expect(record.suspension).toMatchObject({
      reason: '',
      initiator: 'operator',
      epoch: 1,
      conditions: null,
    });
    expect(warnings.at(-1)).toBe(
      'suspended without a valid suspension: a minimal operator suspension was recorded',
    );
    expect(HarnSuspensionSchema.safeParse(suspension).success).toBe(false);
  });

  it.each<[string, JsonObject]>([
    ['only the four required fields', valid],
    [
      'nulls for every optional field',
      {
        ...valid,
        prior_span_link: null,
        pipeline_span_link: null,
        suspended_at_turn: null,
        conditions: null,
        auto_resume_trigger: null,
      },
    ],
    ['an unknown key (serde ignores it)', { ...valid, handle: 'worker_x' }],
    ['an empty span link (serde default)', { ...valid, prior_span_link: {} }],
  ])('%s is kept', (_label, suspension) => {
    const record = parseHarnSnapshot(minimalSnapshot({ status: 'suspended', suspension }), 'w.json', NOW);
    expect(record.suspension).toMatchObject({
      reason: 'park',
      initiator: 'self',
      suspended_at_ms: 1741002300000,
    });
  });

  it('an unparseable suspended_at keeps the suspension, timed now', () => {
    const json = minimalSnapshot({ status: 'suspended', suspension: { ...valid, suspended_at: '' } });
    const { record, warnings } = convertHarnSnapshot(json, 'w.json', NOW);
    expect(record.suspension).toMatchObject({ reason: 'park', suspended_at: NOW_ISO, suspended_at_ms: NOW });
    expect(warnings).toEqual(['suspension.suspended_at "" is not a timestamp; now used']);
  });

  it('conditions our validator refuses are kept raw and arm nothing; the trigger keeps its kind', () => {
    const conditions = {
      trigger: { kind: 'deploy.done' },
      timeout: { duration_minutes: 5, on_timeout: 'explode' },
    };
    const suspension = { ...valid, conditions, auto_resume_trigger: { id: 't1', version: 4 } };
    const { record, warnings } = convertHarnSnapshot(
      minimalSnapshot({ status: 'suspended', suspension }),
      'w.json',
      NOW,
    );
    expect(record.suspension?.conditions).toEqual(conditions);
    expect(record.suspension?.deadline_ms).toBeUndefined();
    expect(record.suspension?.timeout_job_id).toBeUndefined();
    expect(record.suspension?.auto_resume_trigger).toEqual({
      id: 't1',
      version: 4,
      match_events: ['deploy.done'],
    });
    expect(warnings).toEqual([expect.stringContaining('HARN-SUS-008')]);
  });
});

describe('import: invalid snapshots → HARN-SUS-004 with the path and a reason', () => {
  it.each<[string, string | RegExp]>([
    ['truncated-json.txt', 'worker snapshot parse error: '],
    ['top-level-list.json', 'expected a JSON object, got list'],
    ['wrong-type.json', '_type: expected "worker_snapshot", got "agent_handle"'],
    ['missing-id.json', 'id: missing or not a string (required)'],
    ['bad-id.json', 'id: must be 1-128 characters of A-Z a-z 0-9 _ . -'],
    ['missing-name.json', 'name: missing or not a string (required)'],
    ['bad-mode.json', /mode: expected one of workflow, stage, sub_agent, delegated_stage, top_level_agent/],
    [
      'bad-config-mode.json',
      'config: missing a valid config mode (workflow, stage, sub_agent); got mode "pipeline"',
    ],
    ['config-unknown-key.json', /^.*config: Unrecognized key: "retries"/],
    [
      'bad-timestamp.json',
      'created_at: expected a UUIDv7 or ISO-8601 date-time string or epoch ms, got "yesterday at noon"',
    ],
    ['unknown-status.json', 'status: unknown status "sleeping"'],
  ])('%s', async (name, reason) => {
    const path = fixture(`invalid/${name}`);
    const err = await caughtAsync(async () => parseHarnSnapshot(await readSnapshotFile(path), path, NOW));
    expectSnapshotInvalid(err, path, reason);
  });

  it('a missing file', async () => {
    const path = fixture('does-not-exist.json');
    expectSnapshotInvalid(
      await caughtAsync(() => readSnapshotFile(path)),
      path,
      'worker snapshot read error: no such file or directory',
    );
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'expected a JSON object, got nil'],
    ['a string', 'worker_1', 'expected a JSON object, got string'],
    [
      'a non-JSON number',
      minimalSnapshot({ latest_payload: { n: Number.POSITIVE_INFINITY } }),
      'latest_payload.n: expected a finite number',
    ],
    ['config missing', minimalSnapshot({ config: null }), 'config: missing a valid config mode'],
    [
      'workflow config without graph',
      minimalSnapshot({ config: { mode: 'workflow', artifacts: [] } }),
      'config.graph: expected a workflow graph object',
    ],
    [
      'stage config with artifacts null',
      minimalSnapshot({ config: { mode: 'stage', node: {}, artifacts: null } }),
      'config.artifacts: expected a list of artifacts',
    ],
    [
      'sub_agent config without spec',
      minimalSnapshot({ config: { mode: 'sub_agent' } }),
      'config.spec: expected the sub-agent spec object',
    ],
    ['history with a number', minimalSnapshot({ history: ['a', 2] }), 'history[1]: '],
    [
      'transcript a string',
      minimalSnapshot({ transcript: 'hello' }),
      'transcript: expected an object or null',
    ],
    [
      'carry_policy.transcript_mode unknown',
      minimalSnapshot({ carry_policy: { transcript_mode: 'rewind' } }),
      'carry_policy.transcript_mode: expected one of inherit, fork, reset, compact, got "rewind"',
    ],
    [
      'our block with version 0',
      minimalSnapshot({ [EXPORT_BLOCK_KEY]: { format: 1, version: 0 } }),
      `${EXPORT_BLOCK_KEY}.version: `,
    ],
    [
      'our block from a future format',
      minimalSnapshot({ [EXPORT_BLOCK_KEY]: { format: 2, version: 3 } }),
      `${EXPORT_BLOCK_KEY}.format: expected format 1`,
    ],
  ])('%s', (_label, json, reason) => {
    expectSnapshotInvalid(
      caught(() => parseHarnSnapshot(json, 'snapshots/w.json', NOW)),
      'snapshots/w.json',
      reason,
    );
  });
});

/** The fields an export → import round trip must keep. `running` comes back `interrupted` (its task is gone). */
function fieldsThatMatter(r: WorkerRecord) {
  return {
    id: r.id,
    name: r.name,
    task: r.task,
    mode: r.mode,
    status: r.status,
    version: r.version,
    history: r.history,
    config: r.config,
    transcript: r.transcript,
    suspension: r.suspension,
    latest_error: r.latest_error,
    latest_payload: r.latest_payload,
    continuity: r.continuity,
    parent_worker_id: r.parent_worker_id,
    created_at: r.created_at,
    created_at_ms: r.created_at_ms,
    started_at: r.started_at,
    started_at_ms: r.started_at_ms,
    finished_at: r.finished_at,
    finished_at_ms: r.finished_at_ms,
    extra: r.extra,
  };
}

/** Export, write-and-read through JSON text as a file would, import again. */
function roundTrip(record: WorkerRecord): { back: WorkerRecord; file: JsonObject; warnings: string[] } {
  const file = JSON.parse(JSON.stringify(exportHarnSnapshot(record))) as JsonObject;
  const { record: back, warnings } = convertHarnSnapshot(file, record.snapshot_path ?? 'w.json', NOW);
  return { back, file, warnings };
}

const conditions = {
  trigger: { provider: 'github', kind: 'review.approved' },
  timeout: { duration_minutes: 5, on_timeout: 'resume_with_input', input: { note: 'go ahead' } },
} as const;

function suspendedRecord(base: WorkerRecord): WorkerRecord {
  const decision = decideSuspend(
    base,
    base.id,
    {
      reason: 'waiting for review',
      initiator: 'self',
      rawConditions: conditions,
      conditions: {
        trigger: { ...conditions.trigger },
        timeout: { duration_minutes: 5, on_timeout: 'resume_with_input', input: { note: 'go ahead' } },
      },
      suspendedAtTurn: 4,
      triggerUnique: '0123abcd',
    },
    nowFrom(FIXED_MS + MINUTE),
  );
  if (decision.kind !== 'commit') throw new Error(`expected a suspension, got ${decision.kind}`);
  return decision.next;
}

function resumedRecord(base: WorkerRecord): WorkerRecord {
  const decision = decideResume(
    suspendedRecord(base),
    { options: parseResumeOptions('address the comments'), requestId: 'req-1', digest: null },
    nowFrom(FIXED_MS + 2 * MINUTE),
  );
  if (decision.kind !== 'commit') throw new Error(`expected a resume, got ${decision.kind}`);
  return decision.next;
}

const workflowConfig: JsonObject = {
  mode: 'workflow',
  graph: { id: 'wf', entry: 'a', nodes: { a: { id: 'a', kind: 'stage' } }, edges: [] },
  artifacts: [],
  options: { max_steps: 3 },
};
const stageConfig: JsonObject = {
  mode: 'stage',
  node: { id: 'n', kind: 'stage' },
  artifacts: [],
  transcript: null,
};
const harnExtras: JsonObject = {
  request: { task: 'review the pull request', system: null, payload: null },
  audit: { session_id: 's1', parent_session_id: null },
  child_run_id: 'run_1',
  awaiting_started_at: null,
  custom_field: { kept: true },
};

describe('export → import round trip', () => {
  const completed = {
    status: 'completed' as const,
    version: 4,
    finished_at: '2025-01-02T03:14:05.000Z',
    finished_at_ms: FIXED_MS + 10 * MINUTE,
    latest_payload: { ok: true },
  };
  it.each<[string, WorkerRecord]>([
    ['sub_agent, running', makeRecord()],
    ['sub_agent, completed, with Harn extras', makeRecord({ ...completed, extra: harnExtras })],
    ['workflow, completed', makeRecord({ ...completed, mode: 'workflow', config: workflowConfig })],
    [
      'stage, failed',
      makeRecord({
        ...completed,
        status: 'failed',
        latest_error: 'boom',
        mode: 'stage',
        config: stageConfig,
      }),
    ],
    ['sub_agent, suspended with a timeout and a trigger', suspendedRecord(makeRecord({ extra: harnExtras }))],
    [
      'workflow, suspended with a timeout and a trigger',
      suspendedRecord(makeRecord({ mode: 'workflow', config: workflowConfig })),
    ],
    [
      'stage, suspended with a transcript',
      suspendedRecord(
        makeRecord({
          mode: 'stage',
          config: stageConfig,
          transcript: { id: 't', messages: [{ role: 'user', content: 'hi' }], summary: 'said hi' },
        }),
      ),
    ],
    ['sub_agent, resumed with continuity', resumedRecord(makeRecord())],
    [
      'workflow, resumed with continuity (kept in our block)',
      resumedRecord(makeRecord({ mode: 'workflow', config: workflowConfig })),
    ],
    ['a config Harn cannot read (null)', makeRecord({ mode: 'workflow', config: null, status: 'cancelled' })],
    ['a config Harn cannot read (free-form)', makeRecord({ config: { model: 'x', tools: ['a'] } })],
    ['top_level_agent with a sub-agent spec', makeRecord({ mode: 'top_level_agent', status: 'stopped' })],
    ['sub_agent whose spec.task lags the task', makeRecord({ task: 'a newer task', status: 'completed' })],
  ])('%s', (_label, record) => {
    const { back, warnings } = roundTrip(record);
    const expected = fieldsThatMatter(record);
    if (expected.status === 'running') expected.status = 'interrupted';
    expect(fieldsThatMatter(back)).toStrictEqual(expected);
    expect(back.snapshot_path).toBe(record.snapshot_path);
    expect(back.carry_policy).toStrictEqual(record.carry_policy);
    expect(warnings).toEqual([]);
  });

  it('a suspended round trip keeps epoch, deadline, timeout input and job id, trigger events', () => {
    const record = suspendedRecord(makeRecord());
    const { back } = roundTrip(record);
    expect(back.suspension).toStrictEqual(record.suspension);
    expect(back.suspension).toMatchObject({
      epoch: 2,
      deadline_ms: FIXED_MS + 6 * MINUTE,
      on_timeout: 'resume_with_input',
      timeout_input: { note: 'go ahead' },
      timeout_job_id: 'timeout-worker_1-2',
      suspended_at_turn: 4,
      auto_resume_trigger: { version: 2, match_events: ['review.approved'], provider: 'github' },
    });
  });

  it.each(['workflow.json', 'stage.json', 'sub-agent.json', 'running.json', 'uuidv7-timestamps.json'])(
    'Harn fixture %s: import → export → import is stable',
    async (name) => {
      const { path, json } = await load(name);
      const first = parseHarnSnapshot(json, path, NOW);
      const { back, warnings } = roundTrip(first);
      expect(fieldsThatMatter(back)).toStrictEqual(fieldsThatMatter(first));
      expect(back.carry_policy).toStrictEqual(first.carry_policy);
      expect(warnings).toEqual([]);
    },
  );

  it('a file edited after export falls back to the file config, with a warning', () => {
    const record = makeRecord({ mode: 'workflow', config: null });
    const file = exportHarnSnapshot(record) as JsonObject;
    file.config = { ...workflowConfig };
    const { record: back, warnings } = convertHarnSnapshot(file, 'w.json', NOW);
    expect(back.config).toEqual(workflowConfig);
    expect(warnings).toEqual([
      `${EXPORT_BLOCK_KEY}.config ignored: the file's config was changed after export`,
    ]);
  });
});

describe('export: the Harn format', () => {
  const HARN_KEYS = [
    '_type',
    'id',
    'name',
    'task',
    'status',
    'created_at',
    'started_at',
    'finished_at',
    'mode',
    'history',
    'config',
    'latest_payload',
    'latest_error',
    'transcript',
    'parent_worker_id',
    'carry_policy',
    'execution',
    'snapshot_path',
    'suspension',
  ];

  it('writes _type, Harn keys, a Harn WorkerSuspension and our extras in the separate block', () => {
    const record = suspendedRecord(makeRecord());
    const file = exportHarnSnapshot(record);
    expect(file._type).toBe('worker_snapshot');
    for (const key of HARN_KEYS) expect(file).toHaveProperty(key);
    expect(Object.keys(file.suspension as JsonObject).sort()).toEqual(
      [
        'auto_resume_trigger',
        'conditions',
        'initiator',
        'pipeline_span_link',
        'prior_span_link',
        'reason',
        'snapshot_ref',
        'suspended_at',
        'suspended_at_turn',
      ].sort(),
    );
    expect(HarnSuspensionSchema.safeParse(file.suspension).success).toBe(true);
    expect((file.suspension as JsonObject).auto_resume_trigger).toEqual({
      id: 'auto_resume_worker_1_0123abcd',
      version: 2,
    });
    expect(file[EXPORT_BLOCK_KEY]).toEqual({
      format: 1,
      version: 2,
      suspension: {
        epoch: 2,
        deadline_ms: FIXED_MS + 6 * MINUTE,
        on_timeout: 'resume_with_input',
        timeout_input: { note: 'go ahead' },
        timeout_job_id: 'timeout-worker_1-2',
        match_events: ['review.approved'],
        provider: 'github',
      },
      defaulted: ['execution'],
    });
    expect(file.execution).toEqual({});
    expect(file.created_at).toBe(record.created_at);
    expect(HarnConfigSchema.safeParse(file.config).success).toBe(true);
  });

  it('sub-agent continuity goes to config.spec.options._resume_continuity, spec.task follows the task', () => {
    const record = resumedRecord(makeRecord());
    const spec = (exportHarnSnapshot(record).config as JsonObject).spec as JsonObject;
    expect(spec.task).toBe('address the comments');
    expect((spec.options as JsonObject)._resume_continuity).toEqual(record.continuity);
  });

  it('carry_policy: Harn defaults when null, and no context_policy null (it fails Harn’s load)', () => {
    expect(exportHarnSnapshot(makeRecord({ carry_policy: null })).carry_policy).toStrictEqual({
      artifact_mode: 'inherit',
      transcript_mode: 'inherit',
      resume_workflow: true,
      persist_state: true,
      retriggerable: false,
      policy: null,
    });
  });

  it('a config Harn cannot read is replaced by a minimal one for the mode, the exact one kept in our block', () => {
    const cases: [WorkerRecord['mode'], JsonObject][] = [
      ['workflow', { mode: 'workflow', graph: {}, artifacts: [], options: {} }],
      ['stage', { mode: 'stage', node: {}, artifacts: [], transcript: null }],
      ['delegated_stage', { mode: 'stage', node: {}, artifacts: [], transcript: null }],
      [
        'sub_agent',
        { mode: 'sub_agent', spec: { name: 'reviewer', task: 'review the pull request', options: {} } },
      ],
    ];
    for (const [mode, config] of cases) {
      const file = exportHarnSnapshot(makeRecord({ mode, config: { free: 'form' } }));
      expect(file.config).toEqual(config);
      expect((file[EXPORT_BLOCK_KEY] as JsonObject).config).toEqual({ free: 'form' });
    }
  });

  it.each(['workflow.json', 'stage.json', 'sub-agent.json', 'running.json', 'uuidv7-timestamps.json'])(
    '%s: every key Harn wrote comes back, timestamps as ISO',
    async (name) => {
      const { path, json } = await load(name);
      const file = exportHarnSnapshot(parseHarnSnapshot(json, path, NOW));
      const TIMES = new Set(['created_at', 'started_at', 'finished_at']);
      for (const [key, value] of Object.entries(json)) {
        if (TIMES.has(key)) {
          expect(file[key]).toBe(
            value === null ? null : new Date(decodeUuidV7Ms(String(value)) ?? 0).toISOString(),
          );
        } else if (key === 'status' && value === 'running') {
          expect(file[key]).toBe('interrupted');
        } else if (key === 'snapshot_path') {
          expect(file[key]).toBe(path);
        } else if (key === 'suspension' && value !== null) {
          const { suspended_at, ...rest } = value as JsonObject;
          const { suspended_at: written, ...writtenRest } = file[key] as JsonObject;
          expect(rest).toEqual(writtenRest);
          expect(written).toBe(new Date(decodeUuidV7Ms(String(suspended_at)) ?? 0).toISOString());
        } else {
          expect([key, file[key]]).toEqual([key, value]);
        }
      }
    },
  );
});

describe('withVersion', () => {
  it('moves the suspension epoch and timeout job id with the version', () => {
    const record = withVersion(suspendedRecord(makeRecord()), 7);
    expect(record.version).toBe(7);
    expect(record.suspension).toMatchObject({ epoch: 7, timeout_job_id: 'timeout-worker_1-7' });
    expect(withVersion(makeRecord(), 3)).toMatchObject({ version: 3, suspension: null });
  });
});

describe('snapshot files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rp-snapshot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, boolean]>([
    ['worker_1', false],
    ['worker_1.json', true],
    ['snapshots/worker_1', true],
    ['./w', true],
    ['worker.json.bak', false],
  ])('isSnapshotPath(%j) = %s', (target, expected) => {
    expect(isSnapshotPath(target)).toBe(expected);
  });

  it('snapshotPathFor: a path verbatim, an id under the state dir', () => {
    expect(snapshotPathFor('worker_1')).toBe('.harn/workers/worker_1.json');
    expect(snapshotPathFor('worker_1', '/var/harn/')).toBe('/var/harn/worker_1.json');
    expect(snapshotPathFor('x/worker_1')).toBe('x/worker_1');
  });

  it('writes pretty JSON with a trailing newline, atomically, creating directories', async () => {
    const path = join(dir, 'nested', 'deeper', 'worker_1.json');
    const snapshot = exportHarnSnapshot(makeRecord());
    await writeSnapshotFile(path, snapshot);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`${JSON.stringify(snapshot, null, 2)}\n`);
    expect(await readSnapshotFile(path)).toEqual(JSON.parse(JSON.stringify(snapshot)));
    await writeSnapshotFile(path, { replaced: true });
    expect(await readSnapshotFile(path)).toEqual({ replaced: true });
    expect(await readdir(join(dir, 'nested', 'deeper'))).toEqual(['worker_1.json']);
  });

  it('a failed write leaves no temporary file and reports the path', async () => {
    const target = join(dir, 'a-directory.json');
    await mkdir(target);
    const err = await caughtAsync(() => writeSnapshotFile(target, { a: 1 }));
    expect(err).toBeInstanceOf(ResumeProcessorError);
    expect((err as ResumeProcessorError).path).toBe(target);
    expect((err as Error).message).toContain(`cannot write snapshot \`${target}\``);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('lists only regular *.json files, sorted; a missing directory is HARN-SUS-004', async () => {
    const list = join(dir, 'list');
    await mkdir(join(list, 'sub.json'), { recursive: true });
    for (const name of ['b.json', 'a.json', 'notes.txt', 'B.json']) await writeFile(join(list, name), '{}');
    expect(await listSnapshotFiles(list)).toEqual(['B.json', 'a.json', 'b.json'].map((n) => join(list, n)));
    expect(await resolveSnapshotTargets(join(list, 'a.json'))).toEqual([join(list, 'a.json')]);
    const missing = join(dir, 'missing');
    expectSnapshotInvalid(
      await caughtAsync(() => listSnapshotFiles(missing)),
      missing,
      'worker snapshot directory read error: no such file or directory',
    );
  });

  it('reading a directory as a file is HARN-SUS-004', async () => {
    expectSnapshotInvalid(
      await caughtAsync(() => readSnapshotFile(dir)),
      dir,
      'worker snapshot read error: ',
    );
  });
});
