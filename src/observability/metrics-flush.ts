// A consumer's periodic flush of its metric deltas to the fleet totals in Redis: every few seconds
// (and once more on a graceful stop) one MULTI of HINCRBY on one key, never on a job's path. A flush
// that fails keeps its deltas for the next one; a flush whose answer was lost may count twice.

import type { Logger } from 'pino';
import type { MetricReadings } from '../lib/store/metric-readings.js';
import type { ConsumerMetrics } from './metrics.js';

export interface MetricsFlushOptions {
  metrics: ConsumerMetrics;
  readings: MetricReadings;
  intervalMs: number;
  logger: Logger;
}

export class MetricsFlush {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private lastWarn = 0;

  constructor(private readonly opts: MetricsFlushOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and flushes what is left (the graceful stop's last flush). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.flush();
  }

  flush(): Promise<void> {
    this.running ??= this.send().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async send(): Promise<void> {
    const deltas = this.opts.metrics.takeDeltas();
    if (deltas.size === 0) return;
    try {
      await this.opts.readings.addTotals(deltas);
    } catch (err) {
      this.opts.metrics.restoreDeltas(deltas);
      // One line a minute while Redis is away.
      if (Date.now() - this.lastWarn > 60_000) {
        this.lastWarn = Date.now();
        this.opts.logger.warn({ err }, 'metrics flush to Redis failed; the counts are kept for the next one');
      }
    }
  }
}
