// Renders one run as markdown (the generated part of docs/benchmarks.md, between markers, so the
// hand-written analysis around it survives regeneration) and as a console table.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from './results.js';

export const BEGIN =
  '<!-- bench:generated:begin (written by `npm run bench`; edits inside are overwritten) -->';
export const END = '<!-- bench:generated:end -->';

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)} %` : 'n/a');
const range = (xs: number[]) => (xs.length === 0 ? 'n/a' : `${n2(Math.min(...xs))}–${n2(Math.max(...xs))}`);

export function renderMarkdown(r: BenchResults, chartPath: string): string {
  const m = r.machine;
  const c = r.cost;
  const lines: string[] = [];
  const row = (...cells: string[]) => lines.push(`| ${cells.join(' | ')} |`);
  lines.push(`### Last run: ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `\`${r.command}\` took ${n0(r.durationSec)} s on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ` +
      `Node ${m.node}, redis-server ${m.redisServer}, BullMQ ${m.bullmq}, ioredis ${m.ioredis}, ` +
      `@sesamecare-oss/redlock ${m.redlock} (${m.platform}). Concurrency C = ${r.config.concurrency} in every ` +
      `measured process; ${r.config.rounds} interleaved rounds of ${n0(r.config.perRound)} jobs per system` +
      `${r.config.aof ? '; Redis with AOF everysec' : '; Redis without persistence'}, hz ${r.config.hz}.`,
  );
  lines.push('');
  lines.push(`![throughput and latency](${chartPath})`);
  lines.push('');
  row('Result', 'Value');
  row('---', '---:');
  row('plain BullMQ, no-op jobs/s', n0(r.plainBullmqJobsPerSec));
  row('hand-rolled resume, resumes/s', n0(r.handRolledResumesPerSec));
  row('**resume-processor, resumes/s**', `**${n0(r.resumesPerSec)}**`);
  row(
    'resume-processor ÷ plain BullMQ: median round (range; all rounds pooled)',
    `${n2(r.ratios.resumeOverPlain)} (${range(r.ratios.perRoundResumeOverPlain)}; ${n2(r.ratios.aggregateResumeOverPlain)})`,
  );
  row(
    'resume-processor ÷ hand-rolled: median round (range; all rounds pooled)',
    `${n2(r.ratios.resumeOverHandRolled)} (${range(r.ratios.perRoundResumeOverHandRolled)}; ${n2(r.ratios.aggregateResumeOverHandRolled)})`,
  );
  const cpu = r.latencyRun.cpu;
  row(
    `latency at ${n0(r.latencyRun.targetRatePerSec)}/s, p50 / p95 / p99 (ms; CPU: consumer ${pct(cpu.consumer ?? Number.NaN)}, Redis ${pct(cpu.redis)}, load generator ${pct(cpu.generator)}, other processes ${cpu.otherProcesses === null ? 'n/a' : `${n2(cpu.otherProcesses)} cores`})`,
    `${n0(r.latencyMs.p50)} / ${n0(r.latencyMs.p95)} / ${n0(r.latencyMs.p99)}`,
  );
  for (const [name, ref] of [
    ['hand-rolled resume', r.latencyRun.handRolled],
    [
      'bare BullMQ forwarder (take a job, add a job: the floor of a two-hop chain here)',
      r.latencyRun.forwarder,
    ],
  ] as const) {
    row(
      `↳ the same load on the ${name}, p50 / p95 / p99 (ms; CPU: worker ${pct(ref.cpu.worker)}, Redis ${pct(ref.cpu.redis)})`,
      `${n0(ref.latencyMs.p50)} / ${n0(ref.latencyMs.p95)} / ${n0(ref.latencyMs.p99)}`,
    );
  }
  const { idle, loaded, flood } = r.timeoutLatenessMs;
  row(
    `timeout lateness, idle, p50 / p99 / max (ms; ${n0(idle.timeouts)} timeouts at ${n0(r.floodRun.idleTimeoutRatePerSec)}/s, nothing else)`,
    `${n0(idle.p50)} / ${n0(idle.p99)} / ${n0(idle.max)}`,
  );
  row(
    `timeout lateness, loaded, p50 / p99 / max (ms; ${n0(r.loadedRun.resumeRatePerSec)} resumes/s + ${n0(r.loadedRun.timeoutRatePerSec)} timeouts/s = ${n2(r.loadedRun.offeredOverCapacity)} × capacity)`,
    `${n0(loaded.p50)} / ${n0(loaded.p99)} / ${n0(loaded.max)}`,
  );
  row(
    `timeout lateness, flood, p50 / p99 / max (ms; resumes offered at ${n0(r.floodRun.offeredResumesPerSec)}/s = ${n2(r.floodRun.offeredOverCapacity)} × capacity, ${n0(r.floodRun.timeoutRatePerSec)} timeouts/s)`,
    `${n0(flood.p50)} / ${n0(flood.p99)} / ${n0(flood.max)}`,
  );
  row(
    'Redis bytes per suspended worker + armed timeout (transcript excluded)',
    n0(r.bytesPerSuspendedWorker),
  );
  row(
    'Redis requests per resume (client-side count; with background loops and idle re-fetches)',
    `${n2(r.cost.resumeProcessor.ownRequestsPerJob)} (${n2(r.roundTripsPerResume)})`,
  );
  row('bytes sent to Redis per resume', n0(r.cost.resumeProcessor.bytesSentPerJob));
  row('Redis commands per resume (INFO commandstats, script-internal included)', n1(r.commandsPerResume));
  lines.push('');
  lines.push('**Targets** (ratios from this run)');
  lines.push('');
  row('Target', 'Limit', 'Measured', 'Met?');
  row('---', '---:', '---:', '---');
  for (const t of r.targets) {
    const v = t.unit === '×' || t.unit === '' ? n2(t.measured) : n0(t.measured);
    row(
      t.description,
      `${t.comparison} ${t.limit} ${t.unit}`,
      `${v} ${t.unit}`,
      t.met ? 'met' : '**not met**',
    );
  }
  lines.push('');
  lines.push('**Cost per job**, measured around the throughput rounds');
  lines.push('');
  row('', 'plain BullMQ', 'hand-rolled', 'resume-processor');
  row('---', '---:', '---:', '---:');
  const costRow = (label: string, f: (s: BenchResults['cost']['plain']) => string) =>
    row(label, f(c.plain), f(c.handRolled), f(c.resumeProcessor));
  costRow('jobs/s', (s) => n0(s.perSec));
  costRow('requests / job (client; background loops apart)', (s) => n2(s.ownRequestsPerJob));
  costRow('requests / job (client, all)', (s) => n2(s.roundTripsPerJob));
  costRow('commands / job (server, incl. inside scripts)', (s) => n1(s.commandsPerJob));
  costRow('bytes sent to Redis / job (command arguments)', (s) => n0(s.bytesSentPerJob));
  costRow('consumer CPU ms / job', (s) => n2(s.consumerCpuMsPerJob));
  costRow('Redis CPU ms / job', (s) => n2(s.redisCpuMsPerJob));
  costRow('consumer process CPU (of one core)', (s) => pct(s.consumerCpuUtilisation));
  costRow('redis-server CPU (of one core)', (s) => pct(s.redisCpuUtilisation));
  costRow('everything else on the machine (cores; 2 = the whole box)', (s) =>
    s.otherProcessesCores === null ? 'n/a' : n2(s.otherProcessesCores),
  );
  lines.push('');
  lines.push('Round trips of one resume, by command (client-side, per resume):');
  lines.push('');
  row('command', 'hand-rolled', 'resume-processor');
  row('---', '---:', '---:');
  const names = new Set([
    ...Object.keys(c.resumeProcessor.clientCommandsByName),
    ...Object.keys(c.handRolled.clientCommandsByName),
  ]);
  for (const name of names) {
    const a = c.handRolled.clientCommandsByName[name] ?? 0;
    const b = c.resumeProcessor.clientCommandsByName[name] ?? 0;
    if (a < 0.05 && b < 0.05) continue;
    row(`\`${name}\``, n2(a), n2(b));
  }
  lines.push('');
  lines.push('**Scaling with the number of suspended workers** (same resumes per repetition at every N)');
  lines.push('');
  row(
    'suspended workers',
    'resumes/s (median repetition)',
    'per repetition',
    'CPU ms / resume (consumer + Redis)',
    'round trips / resume',
    'commands / resume',
    'bytes / worker*',
  );
  row('---:', '---:', '---:', '---:', '---:', '---:', '---:');
  for (const p of r.scaling) {
    row(
      n0(p.suspendedWorkers),
      n0(p.medianRepResumesPerSec),
      p.perRepResumesPerSec.map((v) => n0(v)).join(', '),
      `${n2(p.consumerCpuMsPerResume)} + ${n2(p.redisCpuMsPerResume)}`,
      n1(p.roundTripsPerResume),
      n1(p.commandsPerResume),
      n0(p.bytesPerWorker),
    );
  }
  lines.push('');
  lines.push(
    `\\* used_memory delta of the population of that N, divided by N, minus the ` +
      `${r.transcriptBytes}-byte transcript (${n0(r.bytesPerSuspendedWorkerWithTranscript)} B with it at the largest N).`,
  );
  lines.push('');
  lines.push(
    'Where a suspended worker’s bytes are (MEMORY USAGE of one sample worker, and shared structures ÷ N):',
  );
  lines.push('');
  row('structure', 'bytes');
  row('---', '---:');
  for (const [k, v] of Object.entries(r.memoryBreakdown.perKey)) row(k, n0(v));
  for (const [k, v] of Object.entries(r.memoryBreakdown.sharedPerWorker))
    row(`${k} (share per worker)`, n0(v));
  if (r.profile) {
    const p = r.profile;
    lines.push('');
    lines.push(
      `**Consumer CPU profile**: ${n0(p.resumes)} resumes (${n0(p.resumesPerSec)}/s with the sampler on); ` +
        `${n0(p.busyMs)} ms on CPU, ${n0(p.idleMs)} ms idle (waiting on Redis) in the consumer's main thread.`,
    );
    lines.push('');
    row('origin', 'self ms', 'share of busy');
    row('---', '---:', '---:');
    for (const o of p.byOrigin.slice(0, 12)) row(o.origin, n0(o.selfMs), pct(o.share));
    lines.push('');
    row('activity (inclusive: the frame anywhere on the stack)', 'ms', 'share of busy');
    row('---', '---:', '---:');
    for (const a of p.activities) row(a.activity.replace(/^ +/, '↳ '), n0(a.ms), pct(a.share));
    lines.push('');
    row('top self-time functions', 'where', 'self ms', 'share');
    row('---', '---', '---:', '---:');
    for (const f of p.topFunctions.slice(0, 20))
      row(`\`${f.name}\``, f.where || f.origin, n0(f.selfMs), pct(f.share));
  }
  return lines.join('\n');
}

const SKELETON = `# Benchmarks

Run with \`npm run bench\` (\`npm run bench -- --quick\` for a smoke test).

${BEGIN}
${END}
`;

export function writeDocs(path: string, generated: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : SKELETON;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const base = start >= 0 && end > start ? current : `${current.trimEnd()}\n\n${BEGIN}\n${END}\n`;
  const s = base.indexOf(BEGIN);
  const e = base.indexOf(END);
  writeFileSync(path, `${base.slice(0, s + BEGIN.length)}\n${generated}\n${base.slice(e)}`);
}

export function consoleTable(r: BenchResults): string {
  const rows: [string, string][] = [
    ['plain BullMQ jobs/s', n0(r.plainBullmqJobsPerSec)],
    ['hand-rolled resumes/s', n0(r.handRolledResumesPerSec)],
    ['resume-processor resumes/s', n0(r.resumesPerSec)],
    ['rp / plain', n2(r.ratios.resumeOverPlain)],
    ['rp / hand-rolled', n2(r.ratios.resumeOverHandRolled)],
    ['latency p50/p95/p99 ms', `${n0(r.latencyMs.p50)}/${n0(r.latencyMs.p95)}/${n0(r.latencyMs.p99)}`],
    [
      '  same load, hand-rolled',
      `${n0(r.latencyRun.handRolled.latencyMs.p50)}/${n0(r.latencyRun.handRolled.latencyMs.p95)}/${n0(r.latencyRun.handRolled.latencyMs.p99)}`,
    ],
    [
      '  same load, bare forwarder',
      `${n0(r.latencyRun.forwarder.latencyMs.p50)}/${n0(r.latencyRun.forwarder.latencyMs.p95)}/${n0(r.latencyRun.forwarder.latencyMs.p99)}`,
    ],
    [
      'lateness idle p50/p99/max ms',
      `${n0(r.timeoutLatenessMs.idle.p50)}/${n0(r.timeoutLatenessMs.idle.p99)}/${n0(r.timeoutLatenessMs.idle.max)}`,
    ],
    [
      'lateness loaded p50/p99/max ms',
      `${n0(r.timeoutLatenessMs.loaded.p50)}/${n0(r.timeoutLatenessMs.loaded.p99)}/${n0(r.timeoutLatenessMs.loaded.max)}`,
    ],
    [
      'lateness flood p50/p99/max ms',
      `${n0(r.timeoutLatenessMs.flood.p50)}/${n0(r.timeoutLatenessMs.flood.p99)}/${n0(r.timeoutLatenessMs.flood.max)}`,
    ],
    ['bytes sent / resume', n0(r.cost.resumeProcessor.bytesSentPerJob)],
    ['bytes / suspended worker', n0(r.bytesPerSuspendedWorker)],
    ['requests / resume', n1(r.roundTripsPerResume)],
    ['commands / resume', n1(r.commandsPerResume)],
    ...r.scaling.map((p): [string, string] => [
      `resumes/s at N=${n0(p.suspendedWorkers)} (median rep)`,
      n0(p.medianRepResumesPerSec),
    ]),
    ...r.targets.map((t): [string, string] => [`target ${t.id}`, t.met ? 'met' : 'NOT MET']),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
