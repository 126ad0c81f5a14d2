// The demo's printed summary: a short table of what happened, then one line per guarantee check.

import { table } from '../format.js';
import type { Check, DemoStats } from './checks.js';

type Row = [what: string, count: string, note: string];

export interface DemoHeader {
  prefix: string;
  seed: number;
  consumers: number;
  redis: string;
  elapsedMs: number;
}

export function renderReport(header: DemoHeader, stats: DemoStats, checks: readonly Check[]): string {
  const lines = [
    `demo: ${stats.workers} workers, ${header.consumers} consumer processes, prefix ${header.prefix}, seed ${header.seed}`,
    `      redis ${header.redis}, ${(header.elapsedMs / 1000).toFixed(1)} s`,
    '',
    table(['WHAT', 'COUNT', 'NOTE'], rows(stats)),
    '',
    'checks:',
    ...checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    checks.every((c) => c.ok)
      ? 'demo: all checks passed'
      : `demo: ${checks.filter((c) => !c.ok).length} check(s) FAILED`,
  ];
  return lines.join('\n');
}

function rows(stats: DemoStats): Row[] {
  const { requests: r, outcomes: o, timeouts: t, effectiveResumes: e, races } = stats;
  const optional = (row: Row, show: boolean): Row[] => (show ? [row] : []);
  const statuses = Object.entries(stats.finalStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]): Row => [`  ${status}`, String(n), '']);
  return [
    ['workers registered and suspended', String(stats.workers), ''],
    [
      'resume requests sent',
      String(r.sent),
      `${r.duplicates} duplicates, ${r.racingTimeout} at a deadline, ${r.afterClose} after close`,
    ],
    ['  resumed', String(o.resumed), 'this request won its suspension'],
    ['  rejected HARN-SUS-003', String(o.notSuspended), 'not suspended: another request or the timeout won'],
    ['  rejected HARN-SUS-010', String(o.closed), 'the worker was closed'],
    ['  blocked', String(o.blocked), 'by a PreResume hook (none installed)'],
    ...optional(['  rejected (other)', String(o.otherRejected), ''], o.otherRejected > 0),
    ...optional(['  no outcome', String(o.none), 'refused by the producer or timed out'], o.none > 0),
    ['timeouts armed', String(t.armed), ''],
    ['  fired: fail', String(t.fired.fail), 'worker failed: "auto-resume timeout expired"'],
    ['  fired: resume_with_summary', String(t.fired.resume_with_summary), 'resumed with a transcript digest'],
    ['  fired: resume_with_input', String(t.fired.resume_with_input), 'resumed with the timeout input'],
    ['  stale', String(t.stale), 'ran after another winner: a no-op'],
    ['  superseded', String(t.superseded), 'disarmed by a resume or close before it ran'],
    [
      'races at a deadline',
      String(races.wonByRequest + races.wonByTimeout),
      `won by the request ${races.wonByRequest}, by the timeout ${races.wonByTimeout}`,
    ],
    [
      'respawn jobs (tasks queue)',
      String(stats.respawnJobs),
      `${e.byRequest} by request + ${e.byTimeout} by timeout`,
    ],
    ['final status', '', ''],
    ...statuses,
  ];
}
