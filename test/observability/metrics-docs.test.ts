// The operator docs name real series: every resume_processor_* name in the Grafana dashboard and in
// the alert rules of docs/operations.md is one the code exports (a histogram's _bucket/_sum/_count
// included), and the dashboard is importable JSON.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLEET, GAUGES } from '../../src/observability/metrics-catalog.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
const exported = new Set(
  [...Object.values(FLEET), ...Object.values(GAUGES)].flatMap((d) =>
    'type' in d && d.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => d.name + s) : [d.name],
  ),
);
const namesIn = (text: string) => [...new Set(text.match(/resume_processor_[a-z_]+/g) ?? [])];

describe('the metrics docs', () => {
  it("the Grafana dashboard's queries use exported series", () => {
    const dashboard = JSON.parse(doc('grafana-dashboard.json'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    expect(exprs.length).toBeGreaterThan(10);
    const names = namesIn(exprs.join('\n'));
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
    // Every exported family is on it.
    const families = [...Object.values(FLEET), ...Object.values(GAUGES)].map((d) => d.name);
    expect(families.filter((f) => !names.some((n) => n.startsWith(f)))).toEqual([]);
  });

  it('the alert rules in operations.md use exported series, and cover overdue, failed jobs, lateness', () => {
    const text = doc('operations.md');
    const rules = /### Alerts[\s\S]*?```yaml\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    const names = namesIn(rules);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining([
        'resume_processor_overdue_workers',
        'resume_processor_queue_jobs',
        'resume_processor_timeout_lateness_seconds_bucket',
      ]),
    );
    expect(rules).toMatch(/resume_processor_overdue_workers > 0\n\s+for: 5m/);
  });
});
