// What the overview shows, read at request time: workers per status (the status indexes) and the
// suspended ones per reason (the reason indexes, as the metrics count them), the queues' job counts, the
// per-minute completed/failed history BullMQ keeps for each queue (the consumers' workers record
// it: `metrics` in src/consumers/consumer.ts), the lateness of the latest timeouts and the
// quarantined (poison) jobs.

import type { QueueName } from '../../lib/queues/catalog.js';
import type { CatalogJob } from '../../lib/queues/queues.js';
import { allPartitions } from '../../lib/store/keys.js';
import type { QuarantinedJob } from '../../lib/store/partition-indexes.js';
import { countByStatus } from '../../lib/store/status-counts.js';
import type { RouteDeps } from '../app.js';

/** Overdue workers counted, at most (the page says "1000+"). */
const OVERDUE_CAP = 1000;
/** Timeouts whose lateness is shown: the latest ones per partition. */
const LATENESS_SAMPLE = 200;
const MINUTES = 60;
const QUEUES: readonly QueueName[] = ['resume', 'timeout', 'tasks'];
const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

export interface Overview {
  atMs: number;
  byStatus: Record<string, number>;
  byReason: { reason: string; count: number }[];
  overdue: number;
  overdueCapped: boolean;
  queues: { queue: QueueName; counts: Record<(typeof STATES)[number], number> }[];
  /** Per minute, oldest first: minute start (s), resumes/s, timeouts/s, failed jobs per minute. */
  history: { t: number[]; resumes: number[]; timeouts: number[]; failed: number[] };
  /** The latest timeouts: when each ran (s) and how late it was (ms), oldest first. */
  lateness: { t: number[]; ms: number[] };
  quarantined: QuarantinedJob[];
}

/**
 * Sums per-minute series of several queues, aligned on their minute. BullMQ pushes a minute's count
 * when the first job of a later minute ends, so data[i] is the minute i + 1 before prevTS's, and the
 * count since prevTS (meta.count - meta.prevCount) is the minute in progress.
 */
function perMinute(
  metrics: { meta: { count: number; prevTS: number; prevCount: number }; data: number[] }[],
  nowMs: number,
): Map<number, number> {
  const byMinute = new Map<number, number>();
  const add = (minute: number, n: number) => {
    if (minute > nowMs - MINUTES * 60_000) byMinute.set(minute, (byMinute.get(minute) ?? 0) + n);
  };
  for (const m of metrics) {
    if (!m.meta.prevTS) continue;
    const current = Math.floor(m.meta.prevTS / 60_000) * 60_000;
    add(current, m.meta.count - m.meta.prevCount);
    for (const [i, n] of m.data.entries()) add(current - (i + 1) * 60_000, n);
  }
  return byMinute;
}

/** Per second over a minute: the minute in progress counts only the seconds it has had. */
const perSecond = (n: number, minute: number, nowMs: number) =>
  n / Math.max(1, Math.min(60, (nowMs - minute) / 1000));

const lateMs = (job: CatalogJob<'timeout'>) =>
  job.processedOn === undefined
    ? null
    : Math.max(0, job.processedOn - (job.timestamp + (job.opts.delay ?? 0)));

export async function readOverview(d: RouteDeps, nowMs: number): Promise<Overview> {
  const partitions = allPartitions(d.queues.keys).map((p) => d.queues.partition(p));
  const [byStatus, gauges, overdue, quarantined] = await Promise.all([
    countByStatus(d.redis, d.queues.keys),
    Promise.all(
      partitions.map((p) =>
        d.store.metrics.partitionGauges(p.partition, { overdueBeforeMs: nowMs, quarantinedSinceMs: nowMs }),
      ),
    ),
    d.producer.listWorkers({ overdue: true, limit: OVERDUE_CAP }),
    d.producer.listQuarantined({ limit: 50 }),
  ]);
  const reasons = new Map<string, number>();
  for (const g of gauges)
    for (const [reason, n] of g.byReason) reasons.set(reason, (reasons.get(reason) ?? 0) + n);

  const queues = await Promise.all(
    QUEUES.map(async (queue) => {
      const all = await Promise.all(partitions.map((p) => p[queue].getJobCounts(...STATES)));
      const counts = Object.fromEntries(
        STATES.map((s) => [s, all.reduce((n, c) => n + (c[s] ?? 0), 0)]),
      ) as Record<(typeof STATES)[number], number>;
      return { queue, counts };
    }),
  );

  const metric = (queue: 'resume' | 'timeout', type: 'completed' | 'failed') =>
    Promise.all(partitions.map((p) => p[queue].getMetrics(type, 0, MINUTES - 1)));
  const [resumed, timedOut, resumeFailed, timeoutFailed] = await Promise.all([
    metric('resume', 'completed'),
    metric('timeout', 'completed'),
    metric('resume', 'failed'),
    metric('timeout', 'failed'),
  ]);
  const series = [resumed, timedOut, [...resumeFailed, ...timeoutFailed]].map((m) => perMinute(m, nowMs));
  const minutes = [...new Set(series.flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
  const at = (s: Map<number, number> | undefined, minute: number) => s?.get(minute) ?? 0;
  const history = {
    t: minutes.map((m) => m / 1000),
    resumes: minutes.map((m) => perSecond(at(series[0], m), m, nowMs)),
    timeouts: minutes.map((m) => perSecond(at(series[1], m), m, nowMs)),
    failed: minutes.map((m) => at(series[2], m)),
  };

  const recent = (
    await Promise.all(partitions.map((p) => p.timeout.getJobs(['completed'], 0, LATENESS_SAMPLE - 1)))
  )
    .flat()
    .flatMap((job) => {
      const late = lateMs(job);
      return late === null || job.finishedOn === undefined ? [] : [{ t: job.finishedOn / 1000, ms: late }];
    })
    .sort((a, b) => a.t - b.t);

  return {
    atMs: nowMs,
    byStatus,
    byReason: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    overdue: overdue.items.length,
    overdueCapped: overdue.nextCursor !== null,
    queues,
    history,
    lateness: { t: recent.map((r) => r.t), ms: recent.map((r) => r.ms) },
    quarantined,
  };
}
