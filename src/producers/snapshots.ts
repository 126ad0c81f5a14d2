// Snapshot import and export for the producer: Harn `worker_snapshot` files in, the same format out.
// An import is a decision like any other change (decideImport): a cold load replaces a live entry,
// as Harn does, at a higher version so fencing still holds, and arms its timeout and trigger.

import { type SerializedError, serializeError } from '../lib/errors.js';
import { missingTarget } from '../lib/policy/messages.js';
import { summarize } from '../lib/policy/summary.js';
import type { WorkerRecord, WorkerSummary } from '../lib/policy/types.js';
import { decideImport } from '../lib/policy/worker-record.js';
import { convertHarnSnapshot, exportHarnSnapshot } from '../lib/snapshot/harn-snapshot.js';
import {
  readSnapshotFile,
  resolveSnapshotTargets,
  snapshotPathFor,
  writeSnapshotFile,
} from '../lib/snapshot/snapshot-files.js';
import type { Kernel } from '../lib/store/kernel.js';

export type ImportResult =
  | { path: string; worker: WorkerSummary; warnings: string[] }
  | { path: string; error: SerializedError };

export interface ImportOptions {
  /** Replace a live worker with the same id (Harn's cold load does); default true. */
  replace?: boolean;
  onProgress?: (done: number, total: number, path: string) => void;
}

export interface SnapshotDeps {
  kernel: Kernel;
  clock: () => number;
  stateDir: string;
}

export class SnapshotPort {
  constructor(private readonly deps: SnapshotDeps) {}

  /**
   * Imports one file, or every *.json file of a directory. A single file that fails throws
   * HARN-SUS-004; in a directory each failure is reported in its result and the rest go on.
   */
  async importSnapshot(target: string, opts: ImportOptions = {}): Promise<ImportResult[]> {
    if (target.trim() === '') throw missingTarget();
    const paths = await resolveSnapshotTargets(snapshotPathFor(target, this.deps.stateDir));
    const single = paths.length === 1 && paths[0] === snapshotPathFor(target, this.deps.stateDir);
    const results: ImportResult[] = [];
    for (const [i, path] of paths.entries()) {
      try {
        const { record, warnings } = convertHarnSnapshot(
          await readSnapshotFile(path),
          path,
          this.deps.clock(),
        );
        results.push({ path, worker: summarize(await this.store(record, opts.replace ?? true)), warnings });
      } catch (err) {
        if (single) throw err;
        results.push({ path, error: serializeError(err) });
      }
      opts.onProgress?.(i + 1, paths.length, path);
    }
    return results;
  }

  async exportSnapshot(
    record: WorkerRecord,
    path?: string,
  ): Promise<{ path: string; snapshot: Record<string, unknown> }> {
    const target = path ?? snapshotPathFor(record.id, this.deps.stateDir);
    const snapshot = exportHarnSnapshot({ ...record, snapshot_path: target });
    await writeSnapshotFile(target, snapshot);
    return { path: target, snapshot };
  }

  private async store(imported: WorkerRecord, replace: boolean): Promise<WorkerRecord> {
    const applied = await this.deps.kernel.apply(imported.id, (existing) =>
      decideImport(existing, imported, replace),
    );
    if (applied.kind === 'rejected') throw applied.error;
    if (applied.kind !== 'committed') throw new Error(`import of ${imported.id} wrote nothing`);
    return applied.record;
  }
}
