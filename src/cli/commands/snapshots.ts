// `import` and `export`: Harn worker_snapshot files in and out. A directory import shows a progress
// bar on a terminal (stderr, so --json stdout stays one document) and a summary at the end.

import type { ImportResult } from '../../producers/snapshots.js';
import { positionalArgs, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { progressBar } from '../format.js';
import { EXIT } from '../output.js';

export const importCommand: Command = {
  name: 'import',
  help: `Usage: resume-processor import PATH|DIR [--no-replace] [--json]

Reads Harn worker_snapshot JSON files (or our own exports) into Redis. A worker whose status was
running loads as interrupted; a suspended worker is resumable and its timeout and trigger are armed.
An existing worker with the same id is replaced (Harn's cold load does the same) unless --no-replace.
Prints {"imported":[{path,worker,warnings}],"failed":[{path,error}]}; exits 1 when any file failed.

Example:
  resume-processor import .harn/workers --json`,
  flags: { 'no-replace': { type: 'boolean' } },
  async run(ctx) {
    const [target = ''] = positionalArgs(ctx.positionals, ['PATH']);
    const bar = progressBar();
    const results = await ctx.producer().importSnapshot(target, {
      replace: ctx.flags['no-replace'] !== true,
      onProgress: bar,
    });
    const imported = results.filter((r): r is Extract<ImportResult, { worker: unknown }> => 'worker' in r);
    const failed = results.filter((r): r is Extract<ImportResult, { error: unknown }> => 'error' in r);
    const lines = [
      ...imported.map(
        (r) =>
          `imported ${r.worker.id} (${r.worker.status}) from ${r.path}${r.warnings.map((w) => `\n  warning: ${w}`).join('')}`,
      ),
      ...failed.map((r) => `failed ${r.path}: ${r.error.message}`),
      `import: ${imported.length} imported, ${failed.length} failed, ${results.length} files`,
    ];
    return {
      document: { imported, failed },
      human: lines.join('\n'),
      exitCode: failed.length > 0 ? EXIT.error : EXIT.ok,
    };
  },
};

export const exportCommand: Command = {
  name: 'export',
  help: `Usage: resume-processor export ID [--out PATH] [--json]

Writes the worker in Harn's worker_snapshot format (default: $HARN_WORKER_STATE_DIR/<id>.json, or
.harn/workers/<id>.json), atomically (temp file + rename). A Harn runtime can load it; importing it
back gives an equal record. Prints {"path","snapshot"}.`,
  flags: { out: { type: 'string' } },
  async run(ctx) {
    const [id = ''] = positionalArgs(ctx.positionals, ['ID']);
    const result = await ctx.producer().exportSnapshot(id, stringFlag(ctx.flags, 'out'));
    return { document: result, human: `exported ${id} to ${result.path}` };
  },
};
