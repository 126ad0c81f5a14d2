// `serve`'s /metrics: the fleet view. The gauges are read at scrape time from the partitions'
// indexes (counting commands, no scan) and from BullMQ's job counts; the counters and histograms are
// the totals every consumer's flush added to Redis. With prom-client's default metrics of the serve
// process. Scrape one serve for the fleet; a consumer's --metrics-port only for that process.

import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FAILED_KEPT_MS, QUEUE_NAMES } from '../lib/queues/catalog.js';
import type { QueueSet } from '../lib/queues/queues.js';
import { allPartitions } from '../lib/store/keys.js';
import type { PartitionGauges } from '../lib/store/metric-readings.js';
import type { WorkerStore } from '../lib/store/worker-store.js';
import { type FamilyDef, FLEET, GAUGES, leText, seriesKey } from './metrics-catalog.js';

/** Reasons shown one by one; the rest add up under reason="(other)". */
const MAX_REASONS = 100;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface FleetMetricsDeps {
  store: WorkerStore;
  queues: QueueSet;
  /** A timeout due for longer than this is overdue (RECONCILE_INTERVAL_MS, as `list --overdue`). */
  overdueGraceMs: number;
  clock?: () => number;
}

export class FleetMetrics {
  private readonly registry = new Registry();
  private readonly gauges: { [K in keyof typeof GAUGES]: Gauge };
  private readonly clock: () => number;

  constructor(private readonly deps: FleetMetricsDeps) {
    this.clock = deps.clock ?? Date.now;
    collectDefaultMetrics({ register: this.registry });
    const gauge = (def: { name: string; help: string; labelNames: readonly string[] }) =>
      new Gauge({
        name: def.name,
        help: def.help,
        labelNames: [...def.labelNames],
        registers: [this.registry],
      });
    this.gauges = {
      suspendedWorkers: gauge(GAUGES.suspendedWorkers),
      oldestSuspensionAge: gauge(GAUGES.oldestSuspensionAge),
      overdueWorkers: gauge(GAUGES.overdueWorkers),
      quarantinedJobs: gauge(GAUGES.quarantinedJobs),
      queueJobs: gauge(GAUGES.queueJobs),
    };
  }

  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  /** The whole exposition: process metrics, gauges read now, the fleet's totals. */
  async render(): Promise<string> {
    const now = this.clock();
    const { store, queues } = this.deps;
    const partitions = allPartitions(store.keys);
    const at = { overdueBeforeMs: now - this.deps.overdueGraceMs, quarantinedSinceMs: now - FAILED_KEPT_MS };
    const [readings, counts, totals] = await Promise.all([
      Promise.all(partitions.map((p) => store.metrics.partitionGauges(p, at))),
      Promise.all(
        partitions.flatMap((p) => {
          const q = queues.partition(p);
          return [q.resume, q.timeout, q.tasks].map(async (queue) => ({
            queue: queue.name,
            counts: await queue.getJobCounts(...QUEUE_STATES),
          }));
        }),
      ),
      store.metrics.totals(),
    ]);
    this.setGauges(readings, now);
    this.gauges.queueJobs.reset();
    for (const name of Object.values(QUEUE_NAMES))
      for (const state of QUEUE_STATES) this.gauges.queueJobs.set({ queue: name, state }, 0);
    for (const { queue, counts: c } of counts)
      for (const state of QUEUE_STATES) this.gauges.queueJobs.inc({ queue, state }, c[state] ?? 0);
    return `${await this.registry.metrics()}\n${renderTotals(totals)}`;
  }

  private setGauges(readings: PartitionGauges[], now: number): void {
    const byReason = new Map<string, number>();
    let suspended = 0;
    let oldest: number | null = null;
    let overdue = 0;
    let quarantined = 0;
    for (const r of readings) {
      for (const [reason, n] of r.byReason) byReason.set(reason, (byReason.get(reason) ?? 0) + n);
      suspended += r.suspended;
      if (r.oldestSuspendedAtMs !== null) oldest = Math.min(oldest ?? Infinity, r.oldestSuspendedAtMs);
      overdue += r.overdue;
      quarantined += r.quarantined;
    }
    const g = this.gauges;
    g.suspendedWorkers.reset();
    const ranked = [...byReason].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    let listed = 0;
    for (const [reason, n] of ranked.slice(0, MAX_REASONS)) {
      g.suspendedWorkers.set({ reason }, n);
      listed += n;
    }
    // The rest, and suspensions older than the reasons set (made before it existed): the series
    // always add up to the suspended workers.
    if (suspended > listed) g.suspendedWorkers.set({ reason: '(other)' }, suspended - listed);
    g.oldestSuspensionAge.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
    g.overdueWorkers.set(overdue);
    g.quarantinedJobs.set(quarantined);
  }
}

/**
 * The fleet totals (series -> value, from the consumers' flushes) in the text format: each family
 * with its HELP and TYPE, a histogram's buckets in order. A family without labels and without any
 * flush yet shows zeros, so dashboards and alerts have a series from the start.
 */
export function renderTotals(totals: Record<string, string>): string {
  const families = new Map<string, { def: FamilyDef; lines: [string, string][] }>();
  for (const def of Object.values(FLEET) as FamilyDef[]) families.set(def.name, { def, lines: [] });
  for (const [series, value] of Object.entries(totals)) {
    const name = series.split('{')[0] ?? '';
    const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? null;
    if (family) family.lines.push([series, value]);
  }
  const out: string[] = [];
  for (const { def, lines } of families.values()) {
    out.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
    if (lines.length === 0 && def.labelNames.length === 0) {
      if (def.type === 'counter') out.push(`${def.name} 0`);
      else {
        for (const b of [...(def.buckets ?? []), Number.POSITIVE_INFINITY])
          out.push(`${seriesKey(`${def.name}_bucket`, { le: leText(b) })} 0`);
        out.push(`${def.name}_sum 0`, `${def.name}_count 0`);
      }
    }
    lines.sort(([a], [b]) => seriesOrder(a, b));
    for (const [series, value] of lines) out.push(`${series} ${Number(value)}`);
  }
  return `${out.join('\n')}\n`;
}

/** A histogram's series grouped by labels, buckets by bound, then _sum and _count. */
function seriesOrder(a: string, b: string): number {
  const key = (s: string) => {
    const le = /,?le="([^"]*)"/.exec(s);
    const bound = le ? (le[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(le[1])) : 0;
    const rest = s.replace(/,?le="[^"]*"/, '').replace(/\{\}$/, '');
    const labels = rest.includes('{') ? rest.slice(rest.indexOf('{')) : '';
    const name = s.split('{')[0] ?? '';
    const kind = name.endsWith('_bucket') ? 0 : name.endsWith('_sum') ? 1 : 2;
    return { labels, kind, bound };
  };
  const x = key(a);
  const y = key(b);
  if (x.labels !== y.labels) return x.labels < y.labels ? -1 : 1;
  return x.kind - y.kind || x.bound - y.bound;
}
