// The run report: one JSON document (every figure and check) and a short table for humans.

import { knownIssues } from './known-issues.js';
import type { Figure, ScenarioResult } from './types.js';

export interface RunReport {
  ok: boolean;
  size: string;
  seed: number;
  /** `server` (one redis-server per environment) or `cluster` (a private 3-master Redis Cluster each). */
  target: string;
  stalledIntervalMs: number | null;
  commit: string | null;
  startedAt: string;
  durationMs: number;
  host: { cpus: number; node: string; redis: string };
  scenarios: ScenarioResult[];
}

const get = (o: Record<string, Figure>, path: string): Figure | undefined => {
  let cur: Figure | undefined = o;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, Figure>)[key];
  }
  return cur;
};

const cell = (v: Figure | undefined): string => {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

const COLUMNS: [string, (r: ScenarioResult) => string][] = [
  ['scenario', (r) => r.name],
  ['ok', (r) => (r.error ? 'ERROR' : r.ok ? 'yes' : 'NO')],
  ['susp', (r) => cell(get(r.figures, 'suspensions'))],
  ['resumed', (r) => cell(get(r.figures, 'effectiveResumes'))],
  ['respawns', (r) => cell(get(r.figures, 'respawnJobs'))],
  ['lost', (r) => cell(get(r.figures, 'lost'))],
  ['double', (r) => cell(get(r.figures, 'doubled'))],
  ['dup sent', (r) => cell(get(r.figures, 'duplicatesSent'))],
  ['t/o fired', (r) => cell(get(r.figures, 'timeouts.fired'))],
  ['t/o supers.', (r) => cell(get(r.figures, 'timeouts.superseded'))],
  ['kills', (r) => cell(get(r.figures, 'kills'))],
  ['fenced', (r) => cell(get(r.figures, 'staleCommitsFenced'))],
  ['redeliv.', (r) => cell(get(r.figures, 'redeliveries'))],
  [
    'recovery ms',
    (r) => cell(get(r.figures, 'recoveryMs.max') ?? get(r.figures, 'recoveryMs.backlogDrained')),
  ],
  ['secs', (r) => (r.durationMs / 1000).toFixed(0)],
];

export function table(report: RunReport): string {
  const rows = report.scenarios.map((r) => COLUMNS.map(([, f]) => f(r)));
  const head = COLUMNS.map(([h]) => h);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const failed = report.scenarios.flatMap((r) => [
    ...(r.error ? [`${r.name}: scenario error: ${r.error}`] : []),
    ...r.checks
      .filter((c) => !c.ok)
      .map(
        (c) =>
          `${r.name}: ${c.severity === 'fail' ? 'FAIL' : 'warn'}${
            knownIssues(r.name, c).length
              ? ` [known ${knownIssues(r.name, c)
                  .map((k) => k.id)
                  .join('+')}]`
              : ''
          } ${c.id}: ${c.detail}${c.examples ? `\n      e.g. ${c.examples.join('\n           ')}` : ''}`,
      ),
  ]);
  if (failed.length > 0) out.push('', 'Checks not passed:', ...failed.map((f) => `  ${f}`));
  out.push('', `${report.ok ? 'ALL CHECKS PASSED' : 'SOME CHECKS FAILED'} (target: ${report.target})`);
  return out.join('\n');
}
