// The shape of bench/results/latest.json and the targets of the kernel issue (#8), evaluated on one
// run's ratios and counts.

import type { LatenessResult } from '../phases/lateness.js';
import type { ScaleResult } from '../phases/scale.js';
import type { SystemSummary } from '../phases/throughput.js';
import type { BenchConfig } from './args.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { LoadResult, QueueLoadResult } from './load.js';
import type { MachineInfo } from './machine.js';
import type { Percentiles } from './stats.js';

export interface LatenessSummary {
  p50: number;
  p99: number;
  max: number;
  /** Fire -> committed (respawn enqueued), for reference. */
  completedP99: number;
  early: number;
  missing: number;
  timeouts: number;
  setupOverran: boolean;
  /** Diagnostics: did the consumer's event loop or Redis itself stall during the window? */
  consumerEventLoopDelayMs: LatenessResult['consumerEventLoopDelayMs'] | null;
  redisLatencyEvents: Record<string, number>;
  timeline: LatenessResult['timeline'];
}

export interface Target {
  id: string;
  description: string;
  measured: number;
  limit: number;
  comparison: '>=' | '<=';
  unit: string;
  met: boolean;
}

export interface BenchResults {
  generatedAt: string;
  command: string;
  durationSec: number;
  machine: MachineInfo;
  config: Omit<
    BenchConfig,
    'out' | 'redisUrl' | 'writeDocs' | 'hz' | 'cluster' | 'clusterPartitions' | 'list' | 'listSizes'
  > & {
    hz: number;
  };
  plainBullmqJobsPerSec: number;
  handRolledResumesPerSec: number;
  resumesPerSec: number;
  ratios: {
    resumeOverPlain: number;
    resumeOverHandRolled: number;
    aggregateResumeOverPlain: number;
    aggregateResumeOverHandRolled: number;
    perRoundResumeOverPlain: number[];
    perRoundResumeOverHandRolled: number[];
  };
  latencyMs: Percentiles;
  latencyRun: {
    targetRatePerSec: number;
    offeredPerSec: number;
    sent: number;
    errors: number;
    missing: number;
    cpu: LoadResult['cpu'];
    consumerEventLoopDelayMs: LoadResult['consumerEventLoopDelayMs'];
    sendLagMs: LoadResult['sendLagMs'];
    timeline: LoadResult['timeline'];
    /** The same open-loop load, same rate, on a bare BullMQ forwarder (take a job, add a job). */
    forwarder: QueueLoadResult;
    /** ... and on the hand-rolled resume. */
    handRolled: QueueLoadResult;
  };
  /** idle: timeouts alone at C/5; loaded: resumes + timeouts at 0.8 C; flood: resumes at 1.5 C. */
  timeoutLatenessMs: { idle: LatenessSummary; loaded: LatenessSummary; flood: LatenessSummary };
  loadedRun: {
    resumeRatePerSec: number;
    timeoutRatePerSec: number;
    /** (resume rate + timeout rate) ÷ the resumes/s measured in the throughput phase. */
    offeredOverCapacity: number;
    resumeLatencyMs: Percentiles;
    timeline: LoadResult['timeline'];
  };
  floodRun: {
    resumeRatePerSec: number;
    offeredResumesPerSec: number;
    timeoutRatePerSec: number;
    /** Offered resumes ÷ the capacity measured in phase 3. */
    offeredOverCapacity: number;
    /** The idle run's timeout rate (C/5), for reference. */
    idleTimeoutRatePerSec: number;
  };
  bytesPerSuspendedWorker: number;
  bytesPerSuspendedWorkerWithTranscript: number;
  transcriptBytes: number;
  memoryBreakdown: ScaleResult['memoryBreakdown'];
  roundTripsPerResume: number;
  commandsPerResume: number;
  cost: { plain: SystemSummary; handRolled: SystemSummary; resumeProcessor: SystemSummary };
  scaling: ScaleResult['points'];
  scalingThroughput100kOver1k: number | null;
  setupWorkersPerSec: number;
  profile: (ProfileSummary & { resumes: number; resumesPerSec: number }) | null;
  targets: Target[];
}

export function evaluateTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const t = (
    id: string,
    description: string,
    measured: number,
    comparison: '>=' | '<=',
    limit: number,
    unit: string,
  ): Target => ({
    id,
    description,
    measured,
    limit,
    comparison,
    unit,
    met: Number.isFinite(measured) && (comparison === '>=' ? measured >= limit : measured <= limit),
  });
  const targets = [
    t(
      'vs-hand-rolled',
      'resume-processor resumes/s ÷ hand-rolled resumes/s (median of same-round ratios)',
      r.ratios.resumeOverHandRolled,
      '>=',
      1.0,
      '×',
    ),
    t(
      'vs-plain',
      'resume-processor resumes/s ÷ plain BullMQ jobs/s (median of same-round ratios)',
      r.ratios.resumeOverPlain,
      '>=',
      0.3,
      '×',
    ),
    t(
      'requests',
      'Redis requests per resume (client-side count; background loops apart)',
      r.cost.resumeProcessor.ownRequestsPerJob,
      '<=',
      5,
      '',
    ),
    t('bytes', 'bytes sent to Redis per resume', r.cost.resumeProcessor.bytesSentPerJob, '<=', 3000, 'B'),
    t('latency-p99', 'p99 resume → respawn latency at half load', r.latencyMs.p99, '<=', 15, 'ms'),
    t(
      'lateness-idle',
      'timeout lateness p99, timeouts alone at a fifth of the capacity',
      r.timeoutLatenessMs.idle.p99,
      '<=',
      50,
      'ms',
    ),
    t(
      'lateness-loaded',
      'timeout lateness p99, resumes and timeouts at 0.8 × capacity',
      r.timeoutLatenessMs.loaded.p99,
      '<=',
      100,
      'ms',
    ),
    t(
      'lateness-flood',
      'timeout lateness p99, resumes offered at 1.5 × capacity',
      r.timeoutLatenessMs.flood.p99,
      '<=',
      250,
      'ms',
    ),
    t(
      'memory',
      'Redis bytes per suspended worker with an armed timeout (transcript excluded)',
      r.bytesPerSuspendedWorker,
      '<=',
      2048,
      'B',
    ),
  ];
  if (r.scalingThroughput100kOver1k !== null) {
    targets.push(
      t(
        'scaling',
        'resumes/s at the largest N ÷ at the smallest N (median repetition)',
        r.scalingThroughput100kOver1k,
        '>=',
        0.85,
        '×',
      ),
    );
  }
  return targets;
}
