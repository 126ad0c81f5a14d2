// Input schemas: a suspension may name a JSON Schema its resume input must match.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/lib/policy/ids.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

const APPROVAL = {
  type: 'object',
  required: ['approved'],
  properties: { approved: { type: 'boolean' }, note: { type: 'string', maxLength: 20 } },
  additionalProperties: false,
};

describe('input schemas', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.startConsumer();
  });
  afterEach(async () => h.close());

  const parked = async (id: string, extra: Record<string, unknown> = {}) => {
    await h.producer.registerWorker({ id, name: id, task: 't' });
    return h.producer.suspend(id, { reason: 'approval', inputSchema: APPROVAL, ...extra });
  };

  it('a mismatching input is rejected with the failing paths; the worker stays suspended, its timeout armed', async () => {
    const s = await parked('a', { conditions: { timeout: { duration_ms: 600_000 } } });
    expect(s.suspension?.input_schema).toEqual(APPROVAL);
    const epoch = s.suspension?.epoch as number;

    const bad = await (await h.producer.resume('a', { approved: 'yes', note: 'x'.repeat(30) })).result();
    expect(bad).toMatchObject({ outcome: 'rejected', error: { code: 'RP-INPUT-SCHEMA' } });
    const issues = (bad as { error: { details?: { issues?: { path: string }[] } } }).error.details?.issues;
    expect(issues?.map((i) => i.path).sort()).toEqual(['/approved', '/note']);
    const text = await (await h.producer.resume('a', 'looks good')).result();
    expect(text).toMatchObject({ outcome: 'rejected', error: { code: 'RP-INPUT-SCHEMA' } });

    const w = await h.producer.getWorker('a');
    expect(w?.status).toBe('suspended');
    expect(w?.version).toBe(epoch);
    expect(await h.queues.of('a').timeout.getJobState(jobIds.timeout('a', epoch))).toBe('delayed');

    const good = await (await h.producer.resume('a', { approved: true })).result();
    expect(good).toMatchObject({ outcome: 'resumed' });
  });

  it('event payloads are checked too; timeouts are not', async () => {
    await parked('e', { conditions: { on_event: 'approval.given' } });
    const [ticket] = await h.producer.deliverEvent({
      provider: 'test',
      kind: 'approval.given',
      id: 'ev-1',
      payload: { approved: 'maybe' },
    });
    expect(await ticket?.result()).toMatchObject({ outcome: 'rejected', error: { code: 'RP-INPUT-SCHEMA' } });
    expect((await h.producer.getWorker('e'))?.status).toBe('suspended');

    await parked('t', { conditions: { timeout: { duration_ms: 100 } } });
    await waitFor('the timeout', async () => (await h.producer.getWorker('t'))?.status === 'running');
  });

  it('a schema that does not compile is refused at suspend, and nothing is written', async () => {
    await h.producer.registerWorker({ id: 'x', name: 'x', task: 't' });
    for (const inputSchema of [{ type: 'no-such-type' }, 'a string', [1, 2], { minLength: -1 }]) {
      await expect(h.producer.suspend('x', { inputSchema: inputSchema as never })).rejects.toMatchObject({
        code: 'RP-INVALID-INPUT',
        path: 'options.inputSchema',
      });
    }
    expect(await h.producer.getWorker('x')).toMatchObject({ status: 'running', version: 1 });
  });

  it('the schema survives a snapshot export and import', async () => {
    await parked('s');
    const dir = mkdtempSync(join(tmpdir(), 'rp-schema-'));
    try {
      const { path } = await h.producer.exportSnapshot('s', join(dir, 's.json'));
      await h.producer.close('s');
      await h.producer.importSnapshot(path);
      expect((await h.producer.getWorker('s'))?.suspension?.input_schema).toEqual(APPROVAL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
