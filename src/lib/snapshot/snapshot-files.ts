// Snapshot files on disk: read one (or every *.json of a directory) and write one atomically.
// The only I/O of the snapshot module; conversion lives in harn-snapshot.ts. Read failures are
// HARN-SUS-004 with Harn's wording ("worker snapshot read/parse error: ...").

import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ResumeProcessorError, RpCode } from '../errors.js';
import { snapshotInvalid } from '../policy/messages.js';
import { compareCodePoints } from '../policy/resume-options.js';

/** Harn's default HARN_WORKER_STATE_DIR. */
export const DEFAULT_WORKER_STATE_DIR = '.harn/workers';

/** Harn's rule (§2b step 2): a target containing '/' or ending in '.json' is a snapshot path, else a worker id. */
export function isSnapshotPath(target: string): boolean {
  return target.includes('/') || target.endsWith('.json');
}

/** The file Harn would load for `target`: the path itself, or `<stateDir>/<id>.json` for a worker id. */
export function snapshotPathFor(target: string, stateDir: string = DEFAULT_WORKER_STATE_DIR): string {
  if (isSnapshotPath(target)) return target;
  return stateDir.endsWith('/') ? `${stateDir}${target}.json` : `${stateDir}/${target}.json`;
}

const errnoCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;

function ioReason(err: unknown): string {
  switch (errnoCode(err)) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory, not a snapshot file';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** The parsed JSON of a snapshot file. Missing, unreadable or non-JSON files throw HARN-SUS-004. */
export async function readSnapshotFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw snapshotInvalid(path, `worker snapshot read error: ${ioReason(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw snapshotInvalid(path, `worker snapshot parse error: ${(err as Error).message}`);
  }
}

/** Paths of the regular `*.json` files directly in `dir`, in code-point order (HARN-SUS-004 if unreadable). */
export async function listSnapshotFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw snapshotInvalid(dir, `worker snapshot directory read error: ${ioReason(err)}`);
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name)
    .sort(compareCodePoints)
    .map((name) => join(dir, name));
}

/** A directory's snapshot files, or the target itself: what an `import <target>` reads. */
export async function resolveSnapshotTargets(target: string): Promise<string[]> {
  const info = await stat(target).catch(() => null);
  return info?.isDirectory() ? listSnapshotFiles(target) : [target];
}

/**
 * Writes `snapshot` as pretty JSON (2 spaces, trailing newline). The bytes go to a temporary file
 * in the same directory, are flushed, and the file is renamed over `path`: a crash leaves either
 * the old file or the new one, never half of one. Parent directories are created (as Harn does).
 */
export async function writeSnapshotFile(path: string, snapshot: unknown): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  const text = `${JSON.stringify(snapshot, null, 2)}\n`;
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw new ResumeProcessorError(
      RpCode.SnapshotWriteFailed,
      `cannot write snapshot \`${path}\`: ${ioReason(err)}`,
      {
        path,
        cause: err,
      },
    );
  }
  await syncDirectory(dir);
}

/** Makes the rename durable; best effort (some platforms cannot open a directory). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => {});
  await handle.close().catch(() => {});
}
