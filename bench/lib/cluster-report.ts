// The cluster comparison's Markdown (the generated part of docs/scaling.md) and console table.

import type { ClusterBenchResult, ClusterPoint } from '../phases/cluster.js';
import type { MachineInfo } from './machine.js';

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const n2 = (v: number) => v.toFixed(2);
const where = (p: ClusterPoint, masters: number) =>
  p.target === 'server' ? 'one redis-server' : `Redis Cluster, ${masters} masters`;

export function renderClusterMarkdown(
  r: ClusterBenchResult,
  meta: {
    generatedAt: string;
    machine: MachineInfo;
    command: string;
    durationSec: number;
    concurrency: number;
  },
): string {
  const lines: string[] = [];
  lines.push(`### Last run: ${meta.generatedAt.slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `\`${meta.command}\` took ${Math.round(meta.durationSec)} s on ${meta.machine.cpus} × ${meta.machine.cpuModel}, ` +
      `Node ${meta.machine.node}, redis-server ${meta.machine.redisServer}; one consumer process per point, ` +
      `concurrency ${meta.concurrency}; every Redis process on the same 2 cores.`,
  );
  lines.push('');
  lines.push(
    '| where | P | resumes/s (median round) | consumer CPU ms / resume | Redis CPU ms / resume (all processes) | requests / resume | Redis commands / resume | commands per shard | B / suspended worker | B kept / resume |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
  for (const p of r.points) {
    const shards = p.shards.map((s) => `${Math.round(s.share * 100)} %`).join(' / ');
    lines.push(
      `| ${where(p, r.masters)} | ${p.partitions} | ${n0(p.resumesPerSec)} | ${n2(p.consumerCpuMsPerResume)} | ` +
        `${n2(p.redisCpuMsPerResume)} | ${n2(p.requestsPerResume)} | ${p.commandsPerResume.toFixed(1)} | ${shards} | ` +
        `${n0(p.bytesPerSuspendedWorker)} | ${n0(p.bytesRetainedPerResume)} |`,
    );
  }
  lines.push('');
  lines.push(
    "Commands per shard: each master's share of all Redis commands during the measured rounds (INFO " +
      "commandstats, script-internal calls included, the harness's completion polls too). With P = 1 every " +
      'key is in one slot, so one master carries all of it; the spread with more partitions is what lets ' +
      'a cluster scale. B / suspended worker: used_memory of every master that the second half of the ' +
      'population added, per worker (the record, its index entries and its armed timeout job; a cluster adds its slot-to-key bookkeeping). B kept / resume: ' +
      'used_memory the measured rounds added, per resume: the finished resume job BullMQ keeps until the ' +
      "retention cap, the respawn job waiting on `tasks` (no runtime consumes it in the bench) and the record's growth.",
  );
  const model = capacityModel(r);
  if (model) {
    lines.push('');
    lines.push(
      `#### The model: CPU from the cluster row with P = ${model.from.partitions}, memory from the largest cluster figures (formulas above the markers)`,
    );
    lines.push('');
    lines.push('| | figure | from |');
    lines.push('| --- | ---: | --- |');
    for (const [what, figure, from] of model.rows) lines.push(`| ${what} | ${figure} | ${from} |`);
  }
  return lines.join('\n');
}

/** The deployment the capacity model targets (docs/scaling.md). */
export const CAPACITY_TARGET = {
  suspended: 1_000_000,
  resumesPerSec: 10_000,
  /** Planned utilisation of a consumer process's core and of a shard's main thread. */
  consumerUtilisation: 0.6,
  shardUtilisation: 0.5,
  /** Finished resume jobs BullMQ keeps per partition (KEEP_FINISHED.removeOnComplete.count). */
  keptPerPartition: 100_000,
  /** Partitions of the modelled deployment (16 per master of the measured cluster). */
  partitions: 48,
};

/** The capacity model's rows, computed from the measured cluster point with the most partitions. */
export function capacityModel(
  r: ClusterBenchResult,
): { from: ClusterPoint; rows: [string, string, string][] } | null {
  const from = r.points.filter((p) => p.target === 'cluster').sort((a, b) => b.partitions - a.partitions)[0];
  if (!from) return null;
  const t = CAPACITY_TARGET;
  const consumerCores = (t.resumesPerSec * from.consumerCpuMsPerResume) / 1000;
  const consumers = Math.ceil(consumerCores / t.consumerUtilisation) + 1;
  const redisCores = (t.resumesPerSec * from.redisCpuMsPerResume) / 1000;
  // The busiest master carries more than 1/masters of the work (partitions hash to slots unevenly).
  const imbalance = Math.max(...from.shards.map((s) => s.share)) * from.shards.length;
  const shards = Math.max(3, Math.ceil((redisCores * imbalance) / t.shardUtilisation));
  // Memory does not depend on P, and used_memory moves by ±20 % with the allocator's state: the
  // largest figure of the cluster rows, for planning.
  const clusterRows = r.points.filter((p) => p.target === 'cluster');
  const perWorker = Math.max(...clusterRows.map((p) => p.bytesPerSuspendedWorker));
  const perResume = Math.max(...clusterRows.map((p) => p.bytesRetainedPerResume));
  const records = t.suspended * perWorker;
  const kept = t.partitions * t.keptPerPartition * perResume;
  const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
  return {
    from,
    rows: [
      [
        'consumer CPU',
        `${consumerCores.toFixed(2)} cores`,
        `${n0(t.resumesPerSec)}/s × ${n2(from.consumerCpuMsPerResume)} ms`,
      ],
      [
        'consumer processes',
        `${consumers}`,
        `CPU ÷ ${t.consumerUtilisation} utilisation, one core each (+1 to lose one)`,
      ],
      [
        'Redis CPU',
        `${redisCores.toFixed(2)} cores`,
        `${n0(t.resumesPerSec)}/s × ${n2(from.redisCpuMsPerResume)} ms (all masters)`,
      ],
      [
        'masters (shards)',
        `${shards}`,
        `Redis CPU × ${n2(imbalance)} (busiest master's share × masters) ÷ ${t.shardUtilisation} per main thread, at least 3; + one replica each`,
      ],
      [
        'suspended workers',
        gb(records),
        `${n0(t.suspended)} × ${n0(perWorker)} B (largest of the cluster rows)`,
      ],
      [
        'finished jobs kept',
        gb(kept),
        `P = ${t.partitions} × ${n0(t.keptPerPartition)} kept × ${n0(perResume)} B (largest of the cluster rows)`,
      ],
      [
        'memory per master',
        gb((records + kept) / shards),
        `(records + kept) ÷ masters, before headroom (maxmemory ≥ 2 × this: fork for RDB/AOF rewrite, failover catch-up)`,
      ],
    ],
  };
}

export function clusterConsoleTable(r: ClusterBenchResult): string {
  return r.points
    .map(
      (p) =>
        `${p.target.padEnd(8)} P=${String(p.partitions).padEnd(3)} ${n0(p.resumesPerSec).padStart(7)}/s  ` +
        `cpu ${n2(p.consumerCpuMsPerResume)} + ${n2(p.redisCpuMsPerResume)} ms  ${n2(p.requestsPerResume)} req  ` +
        `shards ${p.shards.map((s) => `${Math.round(s.share * 100)}%`).join(' ')}`,
    )
    .join('\n');
}
