// A consumer's metrics: what its jobs did (outcomes, latencies, lock waits, hook durations, fenced
// commits), kept twice at the cost of a few map updates and no Redis request: in a prom-client
// registry, which `consumer --metrics-port` serves for this process alone, and as deltas the flush
// (metrics-flush.ts) adds to the fleet totals `serve`'s /metrics shows. Counters and histograms are
// additive, so the fleet view is the sum of every consumer's flushes.

import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { type FamilyDef, FLEET, type Labels, leText, seriesKey } from './metrics-catalog.js';

/** What the consumer's parts report; `noMetrics` when nobody measures. */
export interface MetricsSink {
  /** A resume request's job finished: its outcome, and the error code of a refusal or failure. */
  resumeOutcome(outcome: string, code: string): void;
  /** A resume committed: seconds from its enqueue to the commit that enqueued the respawn. */
  resumeLatency(seconds: number): void;
  /** A timeout job finished with this outcome. */
  timeoutOutcome(outcome: string): void;
  /** A timeout was applied this many seconds after its deadline. */
  timeoutLateness(seconds: number): void;
  /** A commit lost its version compare-and-set. */
  fencedCommit(): void;
  /** Seconds spent taking a worker's lock. */
  lockWait(seconds: number): void;
  /** Seconds a hook chain took. */
  hookDuration(hook: string, seconds: number): void;
}

export const noMetrics: MetricsSink = {
  resumeOutcome() {},
  resumeLatency() {},
  timeoutOutcome() {},
  timeoutLateness() {},
  fencedCommit() {},
  lockWait() {},
  hookDuration() {},
};

export interface ConsumerMetricsOptions {
  /** Add prom-client's default process metrics to the registry (a process that serves it). */
  processMetrics?: boolean;
}

type Family = keyof typeof FLEET;

export class ConsumerMetrics implements MetricsSink {
  /** This process's registry (served by `consumer --metrics-port`). */
  readonly registry = new Registry();
  private readonly counters = new Map<Family, Counter>();
  private readonly histograms = new Map<Family, Histogram>();
  /** Counter deltas since the last flush (and deltas a flush gave back): series -> amount. */
  private pending = new Map<string, number>();
  /** Series keys by family and label values: computed once, not per observation. */
  private readonly counterSeries = new Map<string, string>();
  private readonly histogramSeries = new Map<string, HistogramSeries>();

  constructor(opts: ConsumerMetricsOptions = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    for (const [family, def] of Object.entries(FLEET) as [Family, FamilyDef][]) {
      const common = { name: def.name, help: def.help, labelNames: [...def.labelNames] };
      if (def.type === 'counter') {
        const counter = new Counter({ ...common, registers: [this.registry] });
        // A family without labels shows 0 before its first event.
        if (def.labelNames.length === 0) counter.inc(0);
        this.counters.set(family, counter);
      } else {
        this.histograms.set(
          family,
          new Histogram({ ...common, buckets: [...(def.buckets ?? [])], registers: [this.registry] }),
        );
      }
    }
  }

  resumeOutcome(outcome: string, code: string): void {
    this.count('resumeOutcomes', { outcome, code });
  }
  resumeLatency(seconds: number): void {
    this.observe('resumeLatency', {}, seconds);
  }
  timeoutOutcome(outcome: string): void {
    this.count('timeouts', { outcome });
  }
  timeoutLateness(seconds: number): void {
    this.observe('timeoutLateness', {}, Math.max(0, seconds));
  }
  fencedCommit(): void {
    this.count('fencedCommits', {});
  }
  lockWait(seconds: number): void {
    this.observe('lockWait', {}, seconds);
  }
  hookDuration(hook: string, seconds: number): void {
    this.observe('hookDuration', { hook }, seconds);
  }

  /** The deltas since the last call (the flush adds them to the fleet totals). */
  takeDeltas(): Map<string, number> {
    const taken = this.pending;
    this.pending = new Map();
    for (const series of this.histogramSeries.values()) {
      if (series.count === 0) continue;
      // Cumulative buckets, as the text format has them: each delta adds to the fleet's as it is.
      let cumulative = 0;
      series.hits.forEach((hits, i) => {
        cumulative += hits;
        if (cumulative > 0) add(taken, series.buckets[i] as string, cumulative);
      });
      add(taken, series.sumKey, series.sum);
      add(taken, series.countKey, series.count);
      series.hits.fill(0);
      series.sum = 0;
      series.count = 0;
    }
    return taken;
  }

  /** Deltas a flush could not add: kept for the next one. */
  restoreDeltas(deltas: ReadonlyMap<string, number>): void {
    for (const [series, amount] of deltas) this.add(series, amount);
  }

  private count(family: Family, labels: Labels): void {
    const counter = this.counters.get(family);
    if (!counter) return;
    if (Object.keys(labels).length === 0) counter.inc();
    else counter.inc(labels);
    const id = seriesId(family, labels);
    let series = this.counterSeries.get(id);
    if (series === undefined) {
      series = seriesKey(FLEET[family].name, labels);
      this.counterSeries.set(id, series);
    }
    this.add(series, 1);
  }

  private observe(family: Family, labels: Labels, value: number): void {
    const histogram = this.histograms.get(family);
    if (!histogram || !Number.isFinite(value)) return;
    histogram.observe(labels, value);
    const id = seriesId(family, labels);
    let series = this.histogramSeries.get(id);
    if (series === undefined) {
      series = histogramSeries(FLEET[family] as FamilyDef, labels);
      this.histogramSeries.set(id, series);
    }
    // One slot per observation (the first bound it fits under); takeDeltas makes them cumulative.
    const bounds = series.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    series.hits[i] = (series.hits[i] ?? 0) + 1;
    series.sum += value;
    series.count += 1;
  }

  private add(series: string, amount: number): void {
    add(this.pending, series, amount);
  }
}

function add(deltas: Map<string, number>, series: string, amount: number): void {
  deltas.set(series, (deltas.get(series) ?? 0) + amount);
}

/** A family with one combination of label values (families have few, and fixed label names). */
const seriesId = (family: Family, labels: Labels): string =>
  `${family}\u0000${Object.values(labels).join('\u0000')}`;

/** One histogram series' fleet keys and what it observed since the last flush. */
interface HistogramSeries {
  bounds: readonly number[];
  /** The bucket series, one per bound and +Inf last. */
  buckets: string[];
  sumKey: string;
  countKey: string;
  /** Observations per bucket slot (not cumulative), sum and count since the last flush. */
  hits: number[];
  sum: number;
  count: number;
}

function histogramSeries(def: FamilyDef, labels: Labels): HistogramSeries {
  const bounds = [...(def.buckets ?? [])];
  return {
    bounds,
    buckets: [...bounds, Number.POSITIVE_INFINITY].map((b) =>
      seriesKey(`${def.name}_bucket`, { ...labels, le: leText(b) }),
    ),
    sumKey: seriesKey(`${def.name}_sum`, labels),
    countKey: seriesKey(`${def.name}_count`, labels),
    hits: new Array(bounds.length + 1).fill(0),
    sum: 0,
    count: 0,
  };
}
