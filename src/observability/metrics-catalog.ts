// The metric families of resume-processor: names, help, labels and buckets, shared by a consumer's
// own registry (its --metrics-port) and the fleet totals `serve` renders, so both speak the same
// series. Also the one encoding of a series (`name{label="value",...}`) used as the field of the
// fleet totals hash: a counter's or a cumulative bucket's delta is added to it as it is.

export const PREFIX = 'resume_processor_';

/** Seconds, from a fast commit to a resume that waited for its lock or a retry backoff. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface FamilyDef {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  labelNames: readonly string[];
  buckets?: readonly number[];
}

/** What consumers count and time (additive over the fleet). */
export const FLEET = {
  resumeOutcomes: {
    name: `${PREFIX}resume_outcomes_total`,
    help: 'Resume requests a consumer finished, by outcome (resumed, blocked, rejected, expired; job_failed: out of retries or invalid) and error code',
    type: 'counter',
    labelNames: ['outcome', 'code'],
  },
  timeouts: {
    name: `${PREFIX}timeouts_total`,
    help: 'Timeout jobs a consumer finished, by outcome (resumed, failed: the worker failed by on_timeout, stale, rejected, job_failed)',
    type: 'counter',
    labelNames: ['outcome'],
  },
  resumeLatency: {
    name: `${PREFIX}resume_latency_seconds`,
    help: 'From a resume request being enqueued to the commit that enqueued its respawn',
    type: 'histogram',
    labelNames: [],
    buckets: SECONDS,
  },
  timeoutLateness: {
    name: `${PREFIX}timeout_lateness_seconds`,
    help: "When a timeout was applied minus its suspension's deadline",
    type: 'histogram',
    labelNames: [],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  fencedCommits: {
    name: `${PREFIX}fenced_commits_total`,
    help: 'Commits refused by the version compare-and-set (another commit won; the consumer decided again)',
    type: 'counter',
    labelNames: [],
  },
  lockWait: {
    name: `${PREFIX}lock_wait_seconds`,
    help: "Time spent taking a worker's lock (acquired or given up)",
    type: 'histogram',
    labelNames: [],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  },
  hookDuration: {
    name: `${PREFIX}hook_duration_seconds`,
    help: 'Time a chain of lifecycle hooks took (PreResume, PostResume)',
    type: 'histogram',
    labelNames: ['hook'],
    buckets: SECONDS,
  },
} as const satisfies Record<string, FamilyDef>;

/** What `serve` reads from the indexes and queues at scrape time. */
export const GAUGES = {
  suspendedWorkers: {
    name: `${PREFIX}suspended_workers`,
    help: 'Suspended workers by reason (the 100 most common reasons; the rest under reason="(other)")',
    labelNames: ['reason'],
  },
  oldestSuspensionAge: {
    name: `${PREFIX}oldest_suspension_age_seconds`,
    help: 'How long the longest-suspended worker has been suspended (0: none is)',
    labelNames: [],
  },
  overdueWorkers: {
    name: `${PREFIX}overdue_workers`,
    help: 'Suspended workers whose timeout is due for longer than the overdue grace (RECONCILE_INTERVAL_MS)',
    labelNames: [],
  },
  quarantinedJobs: {
    name: `${PREFIX}quarantined_jobs`,
    help: 'Jobs quarantined as poison (RP-POISON-JOB) in the last 7 days',
    labelNames: [],
  },
  queueJobs: {
    name: `${PREFIX}queue_jobs`,
    help: 'BullMQ jobs per queue and state, summed over the partitions',
    labelNames: ['queue', 'state'],
  },
} as const;

export type Labels = Record<string, string>;

const escapeValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** A series in the text format: `name{a="x",b="y"}` (labels in the order given), or `name`. */
export function seriesKey(name: string, labels: Labels = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeValue(v)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** A bucket bound as the text format writes it. */
export const leText = (bound: number) => (bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound));
