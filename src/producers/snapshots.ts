// Snapshot import and export for the producer: Harn `worker_snapshot` files in, the same format out.
// An import writes the record with the same CAS as every other change (a cold load replaces a live
// entry, as Harn does, at a higher version so fencing still holds) and arms its timeout and trigger.

import type { Redis } from 'ioredis';
import { deadlineMember } from '../lib/effects.js';
import { ResumeProcessorError, RpCode, type SerializedError, serializeError } from '../lib/errors.js';
import { missingTarget } from '../lib/policy/messages.js';
import { summarize } from '../lib/policy/summary.js';
import type { WorkerRecord, WorkerSummary } from '../lib/policy/types.js';
import { convertHarnSnapshot, exportHarnSnapshot, withVersion } from '../lib/snapshot/harn-snapshot.js';
import {
  readSnapshotFile,
  resolveSnapshotTargets,
  snapshotPathFor,
  writeSnapshotFile,
} from '../lib/snapshot/snapshot-files.js';
import type { WorkerStore } from '../lib/store/worker-store.js';

export type ImportResult =
  | { path: string; worker: WorkerSummary; warnings: string[] }
  | { path: string; error: SerializedError };

export interface ImportOptions {
  /** Replace a live worker with the same id (Harn's cold load does); default true. */
  replace?: boolean;
  onProgress?: (done: number, total: number, path: string) => void;
}

export interface SnapshotDeps {
  store: WorkerStore;
  redis: Redis;
  clock: () => number;
  stateDir: string;
  /** Arms the timeout and trigger of a suspended record after its commit, and indexes it. */
  arm: (record: WorkerRecord) => Promise<void>;
}

const MAX_CAS_ATTEMPTS = 8;

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
        const stored = await this.storeImported(record, opts.replace ?? true);
        results.push({ path, worker: summarize(stored), warnings });
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

  private async storeImported(imported: WorkerRecord, replace: boolean): Promise<WorkerRecord> {
    const { store, redis } = this.deps;
    for (let attempt = 1; ; attempt++) {
      const existing = await store.read(imported.id);
      if (existing && !replace) {
        throw new ResumeProcessorError(
          RpCode.WorkerExists,
          `worker ${imported.id} already exists (import without replace)`,
          {
            workerId: imported.id,
          },
        );
      }
      if (existing?.outbox) {
        throw new ResumeProcessorError(
          RpCode.VersionConflict,
          `worker ${imported.id} has a resume in flight; import again shortly`,
          {
            workerId: imported.id,
            retryable: true,
          },
        );
      }
      const next = existing ? withVersion(imported, existing.version + 1) : imported;
      const s = next.suspension;
      // Intent first, as in suspend: the reconciler can arm a timeout whose job add was lost.
      if (s?.deadline_ms !== undefined)
        await redis.zadd(store.keys.deadlines, s.deadline_ms, deadlineMember(next.id, s.epoch));
      for (const topic of s?.auto_resume_trigger?.match_events ?? []) {
        await redis.hset(store.keys.trigger(topic), next.id, String(s?.epoch));
      }
      const result = await store.commit(existing?.version ?? null, next, {
        type: 'WorkerImported',
        data: { path: next.snapshot_path, status: next.status },
      });
      if (!result.ok) {
        if (attempt >= MAX_CAS_ATTEMPTS) {
          throw new ResumeProcessorError(
            RpCode.VersionConflict,
            `worker ${next.id} kept changing during import`,
            {
              workerId: next.id,
              retryable: true,
            },
          );
        }
        continue;
      }
      if (next.status === 'suspended') await this.deps.arm(next);
      else await store.syncIndex(next, { type: 'WorkerImported' });
      return next;
    }
  }
}
