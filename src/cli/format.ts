// Human-readable renderings of summaries, lists and outcomes (the --json form is the object itself).

import type { ResumeOutcome, WorkerSummary } from '../lib/policy/types.js';
import type { QuarantinedJob } from '../lib/store/partition-indexes.js';

export function formatSummary(w: WorkerSummary, now = Date.now()): string {
  const lines = [
    `${w.id}  ${w.status}  version ${w.version}`,
    `  name: ${w.name}   mode: ${w.mode}`,
    `  task: ${oneLine(w.task, 100)}`,
  ];
  const s = w.suspension;
  if (s) {
    const reason = s.reason ? `"${oneLine(s.reason, 60)}"` : '(no reason)';
    lines.push(`  suspended: ${reason} by ${s.initiator} at ${s.suspended_at}, epoch ${s.epoch}`);
    if (s.deadline_ms !== undefined) {
      const left = ((s.deadline_ms - now) / 1000).toFixed(1);
      lines.push(
        `  timeout: ${s.on_timeout ?? 'resume_with_summary'} at ${new Date(s.deadline_ms).toISOString()} (in ${left} s)`,
      );
    }
  }
  if (w.latest_error) lines.push(`  latest_error: ${oneLine(w.latest_error, 100)}`);
  if (w.history.length > 0)
    lines.push(`  history: ${w.history.length} entr${w.history.length === 1 ? 'y' : 'ies'}`);
  return lines.join('\n');
}

export function formatList(workers: readonly WorkerSummary[]): string {
  if (workers.length === 0) return '(no workers)';
  const rows = workers.map((w) => [w.id, w.status, String(w.version), w.name]);
  return table(['ID', 'STATUS', 'VERSION', 'NAME'], rows);
}

export function formatQuarantined(jobs: readonly QuarantinedJob[]): string {
  if (jobs.length === 0) return '(no quarantined jobs)';
  const rows = jobs.map((j) => [
    j.queue,
    j.jobId,
    j.workerId,
    String(j.deaths),
    new Date(j.atMs).toISOString(),
  ]);
  return table(['QUEUE', 'JOB', 'WORKER', 'DEATHS', 'SINCE'], rows);
}

export function formatOutcome(o: ResumeOutcome): string {
  const replayed = o.replayed ? ' (replayed)' : '';
  switch (o.outcome) {
    case 'resumed':
      return `resumed ${o.worker.id} at version ${o.version}${replayed}; respawn job ${o.respawnJobId}`;
    case 'blocked':
      return `blocked ${o.worker.id}${replayed}: ${o.reason} (${o.error}); the worker stays suspended`;
    case 'rejected':
      return `rejected${replayed}: ${o.error.message}`;
    case 'expired':
      return `expired${replayed}: no suspension took the early resume within its ttl`;
    default: {
      const unknown: never = o;
      return JSON.stringify(unknown);
    }
  }
}

/** Left-aligned columns separated by two spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A one-line progress bar on stderr when it is a terminal; silent otherwise. */
export function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done === total) process.stderr.write('\n');
  };
}
