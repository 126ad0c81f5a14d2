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
  /** Deltas since the last flush: series (with its labels, `le` last for a bucket) -> amount. */
  private pending = new Map<string, number>();

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
    this.add(seriesKey(FLEET[family].name, labels), 1);
  }

  private observe(family: Family, labels: Labels, value: number): void {
    const histogram = this.histograms.get(family);
    const def = FLEET[family] as FamilyDef;
    if (!histogram || !Number.isFinite(value)) return;
    histogram.observe(labels, value);
    // Cumulative buckets, as the text format has them: each delta adds to the fleet's as it is.
    for (const bound of [...(def.buckets ?? []), Number.POSITIVE_INFINITY])
      if (value <= bound) this.add(seriesKey(`${def.name}_bucket`, { ...labels, le: leText(bound) }), 1);
    this.add(seriesKey(`${def.name}_sum`, labels), value);
    this.add(seriesKey(`${def.name}_count`, labels), 1);
  }

  private add(series: string, amount: number): void {
    this.pending.set(series, (this.pending.get(series) ?? 0) + amount);
  }
}
