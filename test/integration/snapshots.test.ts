// Harn worker_snapshot files: import (cold load), resume, export, re-import; Harn case 8 and SUS-004.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerRecord } from '../../src/lib/policy/types.js';
import { createHarness, type Harness, listAll, targets } from '../support/harness.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/harn/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

/** A Harn snapshot of the given fixture, parked the way Harn writes a suspended worker. */
function suspendedSnapshot(name: string): Record<string, unknown> {
  const snap = fixture(name);
  if (snap.status === 'suspended') {
    // The fixtures were parked in 2025; a timeout counted from then is long overdue and would fire
    // at once (see the overdue test below). Park them now for the round trip.
    return {
      ...snap,
      suspension: { ...(snap.suspension as object), suspended_at: new Date().toISOString() },
    };
  }
  return {
    ...snap,
    status: 'suspended',
    finished_at: null,
    suspension: {
      reason: 'parked for import',
      initiator: 'operator',
      suspended_at: '0195564c-5d00-793e-b3a8-dd12477cb1e6',
      snapshot_ref: `.harn/workers/${String(snap.id)}.json`,
    },
  };
}

const comparable = (r: WorkerRecord | null) => {
  if (!r) return null;
  const { snapshot_path: _p, updated_at_ms: _u, outbox: _o, last_request: _l, ...rest } = r;
  return rest;
};

describe.each(targets())('Harn snapshots on %s', (_name, target) => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    h = await createHarness(target);
    await h.startConsumer();
    dir = mkdtempSync(join(tmpdir(), 'rp-snap-'));
  });
  afterEach(async () => h.close());

  it.each([
    ['workflow', 'workflow.json'],
    ['stage', 'stage.json'],
    ['sub_agent', 'sub-agent.json'],
  ])('%s snapshot: imports, resumes, exports and re-imports to an equal record', async (mode, file) => {
    const path = join(dir, file);
    writeFileSync(path, JSON.stringify(suspendedSnapshot(file), null, 2));
    const [imported] = await h.producer.importSnapshot(path);
    if (!imported || !('worker' in imported)) throw new Error(`import failed: ${JSON.stringify(imported)}`);
    expect(imported.worker).toMatchObject({ mode, status: 'suspended' });

    const outcome = await (await h.producer.resume(imported.worker.id, 'carry on after import')).result();
    expect(outcome).toMatchObject({
      outcome: 'resumed',
      worker: { status: 'running', task: 'carry on after import' },
    });
    const live = await h.producer.getRecord(imported.worker.id);

    const out = join(dir, `export-${mode}.json`);
    const { snapshot } = await h.producer.exportSnapshot(imported.worker.id, out);
    expect(snapshot._type).toBe('worker_snapshot');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(snapshot);

    const other = await createHarness(target);
    try {
      const [again] = await other.producer.importSnapshot(out);
      expect(again && 'worker' in again).toBe(true);
      const reloaded = await other.producer.getRecord(imported.worker.id);
      // A running worker reloads as interrupted (Harn's cold load); everything else is equal.
      expect(reloaded?.status).toBe('interrupted');
      expect({ ...comparable(reloaded), status: 'running' }).toEqual(comparable(live));
    } finally {
      await other.close();
    }
  });

  it('case 8: a suspended worker evicted and reloaded from its snapshot keeps its reason and resumes', async () => {
    const w = await h.producer.registerWorker({
      name: 'evictee',
      task: 'long job',
      mode: 'stage',
      config: { mode: 'stage', node: {}, artifacts: [] },
    });
    await h.producer.suspend(w.id, { reason: 'waiting for the reviewer' });
    const { path } = await h.producer.exportSnapshot(w.id, join(dir, `${w.id}.json`));

    const fresh = await createHarness(target);
    try {
      await fresh.startConsumer();
      const [loaded] = await fresh.producer.importSnapshot(path);
      expect(loaded && 'worker' in loaded && loaded.worker).toMatchObject({
        status: 'suspended',
        suspension: { reason: 'waiting for the reviewer' },
      });
      const o = await (await fresh.producer.resume(w.id, 'reviewer replied')).result();
      expect(o).toMatchObject({ outcome: 'resumed', worker: { status: 'running' } });
    } finally {
      await fresh.close();
    }
  });

  it('resume("path.json", input) imports then resumes in one request; running snapshots load as interrupted', async () => {
    const path = join(dir, 'sub.json');
    writeFileSync(path, JSON.stringify(suspendedSnapshot('sub-agent.json'), null, 2));
    const o = await (await h.producer.resume(path, 'resumed from a file')).result();
    expect(o).toMatchObject({ outcome: 'resumed', worker: { task: 'resumed from a file' } });

    const running = join(dir, 'running.json');
    writeFileSync(running, JSON.stringify(fixture('running.json'), null, 2));
    const [r] = await h.producer.importSnapshot(running);
    expect(r && 'worker' in r && r.worker.status).toBe('interrupted');
  });

  it('an imported suspension whose timeout is long overdue fires at once', async () => {
    const path = join(dir, 'stage.json');
    writeFileSync(path, JSON.stringify(fixture('stage.json'), null, 2)); // 30 min `fail` timeout, parked in 2025
    const [r] = await h.producer.importSnapshot(path);
    if (!r || !('worker' in r)) throw new Error('import failed');
    const { waitFor } = await import('../support/harness.js');
    const failed = await waitFor('the overdue timeout', async () => {
      const rec = await h.producer.getRecord(r.worker.id);
      return rec?.status === 'failed' ? rec : null;
    });
    expect(failed.latest_error).toBe('auto-resume timeout expired');
  });

  it('case 10: a missing snapshot path gives HARN-SUS-004 with the path and writes nothing', async () => {
    const missing = join(dir, 'nope.json');
    await expect(h.producer.resume(missing, 'go')).rejects.toMatchObject({
      code: 'HARN-SUS-004',
      path: missing,
    });
    await expect(h.producer.importSnapshot(missing)).rejects.toThrow(
      /HARN-SUS-004: resume_agent: failed to load snapshot `.*nope\.json`/,
    );
    // Blank input is refused before the file is even read.
    await expect(h.producer.resume(missing, '  ')).rejects.toMatchObject({ code: 'HARN-SUS-009' });
    expect(await listAll(h.producer)).toEqual([]);
  });

  it('a directory import reports every file: good ones imported, bad ones with their error', async () => {
    for (const name of ['workflow.json', 'stage.json'])
      writeFileSync(join(dir, name), JSON.stringify(fixture(name)));
    writeFileSync(join(dir, 'broken.json'), '{"_type": "worker_snapshot", ');
    const progress: number[] = [];
    const results = await h.producer.importSnapshot(dir, { onProgress: (done) => progress.push(done) });
    expect(results).toHaveLength(3);
    expect(progress).toEqual([1, 2, 3]);
    const failed = results.filter((r) => 'error' in r);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ path: join(dir, 'broken.json'), error: { code: 'HARN-SUS-004' } });
    expect(await listAll(h.producer)).toHaveLength(2);
  });
});
