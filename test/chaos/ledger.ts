// The ledger: reads back from Redis what really happened (worker event streams, job states and
// outcomes, respawn jobs, indexes) and checks the guarantees against the plans the driver followed.
// It trusts no in-memory belief of the driver except what it sent.

import type { WorkerRecord } from '../../src/index.js';
import type { SentRequest } from './driver.js';
import type { ChaosEnv } from './env.js';
import { type JobFact, readEvents, readJobs, requestJobId, type StreamEvent, winnerOf } from './facts.js';
import { percentile, round } from './rng.js';
import { type Check, check, type Figure } from './types.js';
import { allowedWinners, type CyclePlan, type Winner, type WorkerPlan } from './workload.js';

export interface LedgerInput {
  env: ChaosEnv;
  plans: readonly WorkerPlan[];
  requests: readonly SentRequest[];
  driveStart: number;
}

export interface Ledger {
  figures: Record<string, Figure>;
  checks: Check[];
  resumeJobs: Map<string, JobFact>;
  timeoutJobs: Map<string, JobFact>;
}

interface Suspension {
  workerId: string;
  plan: CyclePlan | undefined;
  epoch: number;
  at: number;
  winner: Winner | null;
  winnerEvent: StreamEvent | undefined;
}

export async function buildLedger(input: LedgerInput): Promise<Ledger> {
  const { env, plans } = input;
  const ids = plans.map((p) => p.id);
  const [resumeJobs, timeoutJobs, taskJobs, records, events, deadlines] = await Promise.all([
    readJobs(env.queues.resume),
    readJobs(env.queues.timeout),
    readJobs(env.queues.tasks),
    env.store.readMany(ids),
    readEvents(env, ids),
    env.admin.zrange(env.store.keys.deadlines, 0, -1),
  ]);
  const deadlineSet = new Set(deadlines);
  const recordById = new Map<string, WorkerRecord | null>(ids.map((id, i) => [id, records[i] ?? null]));
  const checks: Check[] = [];

  // --- Streams: versions, suspensions and their winners -----------------------------------------
  const versionGaps: string[] = [];
  const suspensions: Suspension[] = [];
  const cycleMismatch: string[] = [];
  for (const plan of plans) {
    const evs = events.get(plan.id) ?? [];
    evs.forEach((ev, i) => {
      if (ev.version !== i + 1)
        versionGaps.push(`${plan.id}: event ${i} ${ev.type} has version ${ev.version}`);
    });
    const own = evs.filter((e) => e.type === 'WorkerSuspended');
    if (own.length !== plan.cycles.length)
      cycleMismatch.push(`${plan.id}: ${own.length} suspensions, planned ${plan.cycles.length}`);
    own.forEach((s, k) => {
      const next = evs.find((e) => e.version === s.version + 1);
      suspensions.push({
        workerId: plan.id,
        plan: plan.cycles[k],
        epoch: s.version,
        at: s.at,
        winner: winnerOf(next),
        winnerEvent: next,
      });
    });
  }
  checks.push(
    check(
      'versions-contiguous',
      versionGaps.length === 0,
      `every worker's event stream has versions 1..n with no gap or repeat (${versionGaps.length} bad)`,
      versionGaps,
    ),
    check(
      'suspensions-as-planned',
      cycleMismatch.length === 0,
      `each worker was suspended as often as planned (${cycleMismatch.length} differ)`,
      cycleMismatch,
    ),
  );

  // --- Winners against the plan ----------------------------------------------------------------
  const winners: Record<string, number> = { resume: 0, timeout: 0, trigger: 0, close: 0, other: 0, open: 0 };
  const unexpected: string[] = [];
  for (const s of suspensions) {
    winners[s.winner ?? 'open'] = (winners[s.winner ?? 'open'] ?? 0) + 1;
    if (!s.plan) continue;
    const allowed = allowedWinners(s.plan);
    const ok = allowed === null ? s.winner === null : s.winner !== null && allowed.includes(s.winner);
    if (!ok)
      unexpected.push(
        `${s.workerId}@${s.epoch} (${s.plan.kind}): won by ${s.winner ?? 'nothing (still suspended)'}, allowed ${allowed?.join('|') ?? 'none'}`,
      );
  }
  checks.push(
    check(
      'one-winner-as-planned',
      unexpected.length === 0,
      `every suspension ended by exactly one allowed winner; open ones still suspended (${unexpected.length} not)`,
      unexpected,
    ),
  );

  // --- Respawns: exactly one per effective resume -----------------------------------------------
  const mine = new Set(ids);
  const respawnIds = new Set<string>();
  for (const id of taskJobs.keys()) {
    const m = /^respawn-(.+)-(\d+)$/.exec(id);
    if (m && mine.has(m[1] ?? '')) respawnIds.add(id);
  }
  const expected = new Map<string, StreamEvent & { workerId: string }>();
  for (const plan of plans)
    for (const ev of events.get(plan.id) ?? [])
      if (ev.type === 'WorkerResumed')
        expected.set(`respawn-${plan.id}-${ev.version}`, { ...ev, workerId: plan.id });
  const lostRespawns = [...expected.keys()].filter((id) => !respawnIds.has(id));
  const orphanRespawns = [...respawnIds].filter((id) => !expected.has(id));
  checks.push(
    check(
      'respawn-per-resume',
      lostRespawns.length === 0 && orphanRespawns.length === 0,
      `effective resumes (${expected.size}) = respawn jobs (${respawnIds.size}); ${lostRespawns.length} resumes without a respawn, ${orphanRespawns.length} respawns without a resume`,
      [...lostRespawns.map((id) => `missing ${id}`), ...orphanRespawns.map((id) => `orphan ${id}`)],
    ),
  );

  // --- Requests: acknowledged ones all answered; no suspension told "resumed" twice ---------------
  const byJob = new Map<string, SentRequest[]>();
  for (const r of input.requests) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
  const lostRequests: string[] = [];
  const outcomes: Record<string, number> = {};
  const resumedClaims = new Map<string, string[]>();
  const mismatched: string[] = [];
  for (const [jobId, sent] of byJob) {
    const job = resumeJobs.get(jobId);
    const rv = job?.returnvalue as
      | { outcome?: string; version?: number; replayed?: boolean; error?: { code?: string } }
      | undefined;
    if (job?.state !== 'completed' || !rv?.outcome) {
      lostRequests.push(
        `${jobId} for ${sent[0]?.workerId}: ${job ? `${job.state} ${job.failedReason ?? ''}` : 'no such job'}`,
      );
      continue;
    }
    const key = rv.outcome === 'rejected' ? `rejected ${rv.error?.code ?? '?'}` : rv.outcome;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (rv.outcome === 'resumed' && !rv.replayed) {
      const wid = String(job.data.workerId);
      const claim = `${wid}@${rv.version}`;
      resumedClaims.set(claim, [...(resumedClaims.get(claim) ?? []), jobId]);
      const ev = (events.get(wid) ?? []).find((e) => e.version === rv.version);
      if (ev?.type !== 'WorkerResumed' || requestJobId(ev) !== jobId)
        mismatched.push(
          `${jobId}: outcome resumed v${rv.version} but the stream has ${ev?.type ?? 'nothing'} from ${ev ? requestJobId(ev) : '-'}`,
        );
    }
  }
  // Duplicates: tickets folded into one job by its id (idempotency key, event id), and extra jobs
  // of one request group that the state check (or an idempotency replay) answered without effect.
  let absorbedByJobId = 0;
  let absorbedByState = 0;
  let absorbedByReplay = 0;
  const groups = new Map<string, SentRequest[]>();
  for (const r of input.requests) {
    const g = `${r.workerId}|${r.cycle}|${r.role === 'event' ? 'event' : 'resume'}`;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  for (const sent of groups.values()) {
    const jobs = new Set(sent.map((r) => r.jobId));
    absorbedByJobId += sent.length - jobs.size;
    if (jobs.size < 2) continue;
    for (const jobId of jobs) {
      const rv = resumeJobs.get(jobId)?.returnvalue as { outcome?: string; replayed?: boolean } | undefined;
      if (rv?.replayed) absorbedByReplay += 1;
    }
    absorbedByState += jobs.size - 1;
  }
  absorbedByState -= absorbedByReplay;
  const doubleClaims = [...resumedClaims]
    .filter(([, jobs]) => jobs.length > 1)
    .map(([c, jobs]) => `${c}: ${jobs.join(', ')}`);
  checks.push(
    check(
      'no-lost-request',
      lostRequests.length === 0,
      `every acknowledged request (${byJob.size} jobs) finished with an outcome (${lostRequests.length} did not)`,
      lostRequests,
    ),
    check(
      'outcomes-match-state',
      mismatched.length === 0 && doubleClaims.length === 0,
      `every "resumed" outcome is the committed winner; no suspension reported resumed twice (${mismatched.length} mismatched, ${doubleClaims.length} doubled)`,
      [...mismatched, ...doubleClaims],
    ),
  );

  // --- Timeouts: applied once when they won, never early, superseded otherwise ------------------
  const lateness: number[] = [];
  const early: string[] = [];
  const notArmed: string[] = [];
  const wrongJob: string[] = [];
  let armed = 0;
  let fired = 0;
  let superseded = 0;
  let leftDelayed = 0;
  for (const s of suspensions) {
    const deadline = s.plan?.deadlineMs;
    const jobId = `timeout-${s.workerId}-${s.epoch}`;
    const job = timeoutJobs.get(jobId);
    if (deadline === undefined) continue;
    armed += 1;
    if (s.winner === 'timeout' && s.winnerEvent) {
      fired += 1;
      lateness.push(s.winnerEvent.at - deadline);
      if (s.winnerEvent.at < deadline - 5)
        early.push(`${s.workerId}@${s.epoch}: fired ${deadline - s.winnerEvent.at} ms before its deadline`);
      const rv = job?.returnvalue as { outcome?: string } | undefined;
      if (job?.state !== 'completed' || (rv?.outcome !== 'resumed' && rv?.outcome !== 'failed'))
        wrongJob.push(
          `${jobId}: timeout won but its job is ${job?.state ?? 'missing'} with ${JSON.stringify(rv)?.slice(0, 80)}`,
        );
    } else if (s.winner !== null) {
      superseded += 1;
      if (job && job.state !== 'completed') leftDelayed += 1;
    } else {
      const live = job && ['delayed', 'waiting', 'active', 'prioritized'].includes(job.state);
      if (!live && !deadlineSet.has(`${s.workerId}|${s.epoch}`)) notArmed.push(`${s.workerId}@${s.epoch}`);
    }
  }
  checks.push(
    check(
      'timeouts-once-or-superseded',
      early.length === 0,
      `${armed} armed timeouts: ${fired} applied once, ${superseded} superseded, ${armed - fired - superseded} still armed, ${early.length} fired before their deadline`,
      early,
    ),
    check(
      'timeout-job-trail',
      wrongJob.length === 0,
      `every timeout that won left its job completed with the outcome it applied (${wrongJob.length} did not)`,
      wrongJob,
      'warn',
    ),
    check(
      'superseded-timeouts-removed',
      leftDelayed === 0,
      `superseded timeout jobs still delayed or waiting: ${leftDelayed} (they will run and find their epoch stale)`,
      [],
      'warn',
    ),
  );

  // --- Final records: nothing stuck -------------------------------------------------------------
  const stuck: string[] = [];
  const outboxes: string[] = [];
  const historyDupes: string[] = [];
  const triggerTopics = new Set<string>();
  for (const r of records)
    for (const t of r?.suspension?.auto_resume_trigger?.match_events ?? []) triggerTopics.add(t);
  const triggerIndex = new Map<string, Record<string, string>>();
  for (const topic of triggerTopics)
    triggerIndex.set(topic, await env.admin.hgetall(env.store.keys.trigger(topic)));
  for (const [id, r] of recordById) {
    if (!r) {
      stuck.push(`${id}: no record`);
      continue;
    }
    if (r.outbox) outboxes.push(`${id} v${r.version}: ${r.outbox.effects.map((e) => e.kind).join(',')}`);
    if (new Set(r.history).size !== r.history.length)
      historyDupes.push(`${id}: ${JSON.stringify(r.history)}`);
    const s = r.suspension;
    if (r.status !== 'suspended' || !s) continue;
    const wantsTimeout = s.deadline_ms !== undefined;
    const topics = s.auto_resume_trigger?.match_events ?? [];
    if (!wantsTimeout && topics.length === 0) continue;
    const job = timeoutJobs.get(`timeout-${id}-${s.epoch}`);
    const timeoutArmed =
      wantsTimeout &&
      ((job !== undefined && ['delayed', 'waiting', 'active', 'prioritized'].includes(job.state)) ||
        deadlineSet.has(`${id}|${s.epoch}`));
    const triggerArmed = topics.some((t) => triggerIndex.get(t)?.[id] === String(s.epoch));
    if (!timeoutArmed && !triggerArmed)
      stuck.push(
        `${id}@${s.epoch}: suspended, asked for ${wantsTimeout ? 'a timeout' : ''}${topics.length ? ` events ${topics.join(',')}` : ''}, nothing armed (timeout job ${job?.state ?? 'missing'})`,
      );
  }
  checks.push(
    check(
      'no-stuck-worker',
      stuck.length === 0 && notArmed.length === 0,
      `every suspended worker has an armed timeout or trigger, or asked for none (${stuck.length + notArmed.length} stuck)`,
      [...stuck, ...notArmed],
    ),
    check(
      'outboxes-cleared',
      outboxes.length === 0,
      `no outbox left at quiescence (${outboxes.length} left)`,
      outboxes,
    ),
    check(
      'no-double-apply',
      historyDupes.length === 0,
      `no resume input applied twice to a worker's history (${historyDupes.length} workers)`,
      historyDupes,
    ),
  );

  // --- Queues: nothing failed, nothing dropped for stalling --------------------------------------
  const failed = [...resumeJobs.values(), ...timeoutJobs.values()].filter((j) => j.state === 'failed');
  checks.push(
    check(
      'no-failed-jobs',
      failed.length === 0,
      `resume/timeout jobs in the failed set: ${failed.length}`,
      failed.map((j) => `${j.id}: ${j.failedReason}`),
    ),
  );
  const [pending, overdue] = await Promise.all([
    env.admin.zcard(env.store.keys.pending),
    env.admin.zcount(env.store.keys.deadlines, '-inf', Date.now()),
  ]);
  checks.push(
    check(
      'reconciler-inputs-drained',
      pending === 0 && overdue === 0,
      `pending commits ${pending}, overdue deadline entries ${overdue}`,
      [],
      'warn',
    ),
  );

  // --- Status index agrees with the records (listWorkers reads it) --------------------------------
  const indexBad: string[] = [];
  const statuses = ['running', 'suspended', 'completed', 'failed', 'cancelled', 'stopped', 'interrupted'];
  const members = await Promise.all(statuses.map((st) => env.admin.smembers(env.store.keys.status(st))));
  const indexed = new Map<string, string[]>();
  statuses.forEach((st, i) => {
    for (const id of members[i] ?? []) indexed.set(id, [...(indexed.get(id) ?? []), st]);
  });
  for (const [id, r] of recordById) {
    const at = indexed.get(id) ?? [];
    if (r && (at.length !== 1 || at[0] !== r.status))
      indexBad.push(`${id}: record ${r.status}, index ${at.join('+') || 'none'}`);
  }
  checks.push(
    check(
      'status-index-consistent',
      indexBad.length === 0,
      `status index matches every record (${indexBad.length} differ; listWorkers({status}) would miss them)`,
      indexBad,
      'warn',
    ),
  );

  // --- Figures ---------------------------------------------------------------------------------
  const redeliveries = [...resumeJobs.values(), ...timeoutJobs.values()].reduce(
    (n, j) => n + Math.max(0, j.attemptsStarted - 1),
    0,
  );
  const stalled = [...resumeJobs.values(), ...timeoutJobs.values()].reduce((n, j) => n + j.stalledCounter, 0);
  const maxStalled = Math.max(
    0,
    ...[...resumeJobs.values(), ...timeoutJobs.values()].map((j) => j.stalledCounter),
  );
  const latencies: number[] = [];
  let lastRespawn = 0;
  for (const [rid, ev] of expected) {
    const task = taskJobs.get(rid);
    if (!task) continue;
    lastRespawn = Math.max(lastRespawn, task.timestamp);
    if (winnerOf(ev) !== 'resume') continue;
    const req = resumeJobs.get(requestJobId(ev));
    if (req) latencies.push(task.timestamp - req.timestamp);
  }
  const skews = plans.flatMap((p) =>
    p.cycles.map((c) => c.raceSkewMs).filter((v): v is number => v !== undefined),
  );
  const duplicatesSent = input.requests.filter((r) => r.role === 'duplicate').length;
  const logs = env.logs;
  const figures: Record<string, Figure> = {
    workers: plans.length,
    suspensions: suspensions.length,
    resumeRequests: input.requests.filter((r) => r.role === 'original').length,
    eventTickets: input.requests.filter((r) => r.role === 'event').length,
    duplicatesSent,
    duplicatesAbsorbed: {
      byJobId: absorbedByJobId,
      byStateCheck: absorbedByState,
      byIdempotencyReplay: absorbedByReplay,
    },
    effectiveResumes: expected.size,
    respawnJobs: respawnIds.size,
    lost: lostRespawns.length + lostRequests.length,
    doubled: orphanRespawns.length + doubleClaims.length + historyDupes.length,
    winners,
    outcomes,
    timeouts: {
      armed,
      fired,
      superseded,
      stillArmed: armed - fired - superseded,
      early: early.length,
      leftDelayed,
    },
    timeoutLatenessMs: {
      p50: percentile(lateness, 50),
      p99: percentile(lateness, 99),
      max: lateness.length ? Math.max(...lateness) : null,
    },
    raceSkewMs: {
      p50: percentile(skews.map(Math.abs), 50),
      max: skews.length ? Math.max(...skews.map(Math.abs)) : null,
    },
    redeliveries,
    stalledRedeliveries: stalled,
    maxStallsOfOneJob: maxStalled,
    runtimeRedeliveries: env.sink.redelivered(),
    commitFencedLogs: logs.count('commit fenced: record changed'),
    reconcilerOutboxesFinished: logs.count('reconciler finished an orphaned outbox'),
    reconcilerTimeoutsRearmed: logs.count('reconciler re-armed a late timeout'),
    failedAttemptsByReason: Object.fromEntries(logs.failedReasons),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    resumesPerSecDuringDrive:
      lastRespawn > input.driveStart
        ? round((expected.size * 1000) / (lastRespawn - input.driveStart))
        : null,
  };
  return { figures, checks, resumeJobs, timeoutJobs };
}
