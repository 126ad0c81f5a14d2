// The ledger: reads back from Redis what really happened (each worker's event log and record, job
// states and outcomes, respawn jobs, the per-partition indexes) and checks the guarantees against the
// plans the driver followed. It trusts no in-memory belief of the driver except what it sent.

import type { WorkerRecord } from '../../src/index.js';
import { allPartitions } from '../../src/lib/store/keys.js';
import type { SentRequest } from './driver.js';
import type { ChaosEnv } from './env.js';
import {
  type JobFact,
  readEvents,
  readJobsOf,
  requestJobId,
  requestKindOf,
  type StreamEvent,
  winnerOf,
} from './facts.js';
import { percentile, round } from './rng.js';
import { type Check, check, type Figure } from './types.js';
import { allowedWinners, type CyclePlan, type Winner, type WorkerPlan } from './workload.js';

/** Events the store keeps per worker (WorkerStore's default): an older prefix may be cut off. */
const EVENTS_KEPT = 32;
const LIVE = ['delayed', 'waiting', 'active', 'prioritized'];

export interface LedgerInput {
  env: ChaosEnv;
  plans: readonly WorkerPlan[];
  requests: readonly SentRequest[];
  driveStart: number;
  /** Job ids a fault failed on purpose (quarantined poison jobs), left out of the failed-set check. */
  expectedFailed?: ReadonlySet<string>;
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

/** zset member -> score, over every partition's key. */
async function zsetScores(env: ChaosEnv, key: (p: number) => string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of allPartitions(env.keys)) {
    const flat = await env.admin.zrange(key(p), 0, -1, 'WITHSCORES');
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i] ?? '', Number(flat[i + 1]));
  }
  return out;
}

/**
 * Every trigger binding of the deployment: topic -> worker id -> epoch (a SCAN over the hashes). SCAN
 * walks one server's keyspace: on a cluster each master is scanned (a partition's keys are on one).
 */
async function triggerBindings(env: ChaosEnv): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const p of allPartitions(env.keys)) {
    const head = env.keys.trigger(p, '');
    for (const node of env.dataNodes()) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', env.keys.trigger(p, '*'), 'COUNT', 1000);
        cursor = next;
        for (const key of found) {
          const topic = key.slice(head.length);
          const bindings = out.get(topic) ?? new Map<string, string>();
          for (const [id, epoch] of Object.entries(await node.hgetall(key))) bindings.set(id, epoch);
          out.set(topic, bindings);
        }
      } while (cursor !== '0');
    }
  }
  return out;
}

export async function buildLedger(input: LedgerInput): Promise<Ledger> {
  const { env, plans } = input;
  const ids = plans.map((p) => p.id);
  const parts = env.partitions();
  const [resumeJobs, timeoutJobs, taskJobs, snapshots, events, deadlines, bindings] = await Promise.all([
    readJobsOf(parts.map((q) => q.resume)),
    readJobsOf(parts.map((q) => q.timeout)),
    readJobsOf(parts.map((q) => q.tasks)),
    env.store.readMany(ids),
    readEvents(env, ids),
    zsetScores(env, (p) => env.keys.deadlines(p)),
    triggerBindings(env),
  ]);
  const recordById = new Map<string, WorkerRecord | null>(
    ids.map((id, i) => [id, snapshots[i]?.record ?? null]),
  );
  const checks: Check[] = [];

  // --- Streams: versions, suspensions and their winners -----------------------------------------
  const versionGaps: string[] = [];
  const suspensions: Suspension[] = [];
  const cycleMismatch: string[] = [];
  for (const plan of plans) {
    const evs = events.get(plan.id) ?? [];
    // The log keeps the last EVENTS_KEPT events: it starts at version 1 unless it is full.
    const first = evs.length >= EVENTS_KEPT ? (evs[0]?.version ?? 1) : 1;
    evs.forEach((ev, i) => {
      if (ev.version !== first + i)
        versionGaps.push(
          `${plan.id}: event ${i} ${ev.type} has version ${ev.version}, expected ${first + i}`,
        );
    });
    const record = recordById.get(plan.id);
    const last = evs[evs.length - 1];
    if (record && last?.version !== record.version)
      versionGaps.push(
        `${plan.id}: record at v${record.version}, last event ${last?.type ?? 'none'} v${last?.version}`,
      );
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
      `every worker's event log has versions 1..n with no gap or repeat, n = the record's version (${versionGaps.length} bad)`,
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

  // --- Requests: acknowledged ones all answered; each commit claimed by the job that made it -------
  const byJob = new Map<string, SentRequest[]>();
  for (const r of input.requests) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
  const lostRequests: string[] = [];
  const outcomes: Record<string, number> = {};
  for (const [jobId, sent] of byJob) {
    const job = resumeJobs.get(jobId);
    const rv = job?.returnvalue as { outcome?: string; error?: { code?: string } } | undefined;
    if (job?.state !== 'completed' || !rv?.outcome) {
      lostRequests.push(
        `${jobId} for ${sent[0]?.workerId}: ${job ? `${job.state} ${job.failedReason ?? ''}` : 'no such job'}`,
      );
      continue;
    }
    const key = rv.outcome === 'rejected' ? `rejected ${rv.error?.code ?? '?'}` : rv.outcome;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  // A job's stored outcome names the version it committed (`resumed` v, or a timeout's `failed` v).
  // Events carry no request id any more: the claims are matched against the event log (the version
  // holds the matching event, of the kind of the claiming job) and against the record's
  // last_request (the request id of the latest resume or timeout fail, `<job id>@<enqueue ms>`).
  const mismatched: string[] = [];
  const claims = new Map<string, string[]>();
  const claimOf = (workerId: string, version: number) => claims.get(`${workerId}@${version}`) ?? [];
  for (const job of [...resumeJobs.values(), ...timeoutJobs.values()]) {
    const rv = job.returnvalue as { outcome?: string; version?: number; replayed?: boolean } | undefined;
    if (job.state !== 'completed' || rv?.replayed || typeof rv?.version !== 'number') continue;
    if (rv.outcome !== 'resumed' && rv.outcome !== 'failed') continue;
    const wid = String(job.data.workerId);
    if (!recordById.has(wid)) continue;
    const claim = `${wid}@${rv.version}`;
    claims.set(claim, [...(claims.get(claim) ?? []), job.id]);
    const ev = (events.get(wid) ?? []).find((e) => e.version === rv.version);
    const wanted = rv.outcome === 'resumed' ? 'WorkerResumed' : 'WorkerFailed';
    const kind = requestKindOf(job.id);
    if (ev?.type !== wanted || winnerOf(ev) !== kind)
      mismatched.push(
        `${job.id}: outcome ${rv.outcome} v${rv.version} (a ${kind} request) but the log has ${ev?.type ?? 'nothing'} won by ${winnerOf(ev) ?? '-'}`,
      );
  }
  // A keyed duplicate that read "no idempotency record yet" just before the committing job finished
  // removes that finished job and re-adds its id; the new job replays the stored outcome. Consistent
  // for the caller (replayed, same version), but the committing job's own trail is gone: a warning.
  const replacedJobs: string[] = [];
  for (const [id, r] of recordById) {
    const last = r?.last_request;
    if (!last) continue;
    const ev = (events.get(id) ?? []).find((e) => e.version === last.version);
    const jobId = requestJobId(last.id);
    const job = resumeJobs.get(jobId) ?? timeoutJobs.get(jobId);
    const others = claimOf(id, last.version).filter((j) => j !== jobId);
    const rv = job?.returnvalue as { version?: number; replayed?: boolean } | undefined;
    const replaced = job !== undefined && `${job.id}@${job.timestamp}` !== last.id;
    if (replaced && rv?.replayed && rv.version === last.version)
      replacedJobs.push(
        `${jobId}: committed v${last.version} as ${last.id}, now a replay enqueued at ${job.timestamp}`,
      );
    // last_request names a resume's commit, or a timeout's `fail` (`failed: true`).
    else if (ev?.type !== (last.failed ? 'WorkerFailed' : 'WorkerResumed') || others.length > 0 || replaced)
      mismatched.push(
        `${id}: last_request ${last.id} v${last.version}, log has ${ev?.type ?? 'nothing'}, claimed by ${claimOf(id, last.version).join(', ') || 'nobody'}; its job ${job ? `${job.state}@${job.timestamp} ${JSON.stringify(job.returnvalue)?.slice(0, 120)}` : 'missing'}`,
      );
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
  const doubleClaims = [...claims]
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
      `every "resumed"/"failed" outcome is the committed winner of its kind, the record's last_request included; no commit claimed twice (${mismatched.length} mismatched, ${doubleClaims.length} doubled)`,
      [...mismatched, ...doubleClaims],
    ),
    check(
      'committing-job-kept',
      replacedJobs.length === 0,
      `the job that committed a resume is still on its queue with its own outcome (${replacedJobs.length} were replaced by a keyed duplicate that replays it)`,
      replacedJobs,
      'warn',
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
  // Timeouts that won a suspension whose deadline the driver never learnt (its suspend's reply was lost).
  const unplannedTimeoutWins: string[] = [];
  for (const s of suspensions) {
    const deadline = s.plan?.deadlineMs;
    const jobId = `timeout-${s.workerId}-${s.epoch}`;
    const job = timeoutJobs.get(jobId);
    if (deadline === undefined) {
      if (s.winner === 'timeout')
        unplannedTimeoutWins.push(
          `${s.workerId}@${s.epoch} (${s.plan?.kind ?? 'no plan'} cycle ${s.plan?.cycle ?? '-'}, driver saw epoch ${s.plan?.epoch ?? 'none'})`,
        );
      continue;
    }
    if (job) job.dueAt = deadline; // a promoted job lost its delay (recovery figures use dueAt)
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
      // Still armed: its delayed job, or the deadline entry the reconciler fires from (member = worker
      // id, score = the deadline this suspension was armed with).
      const live = job !== undefined && LIVE.includes(job.state);
      if (!live && deadlines.get(s.workerId) !== deadline)
        notArmed.push(
          `${s.workerId}@${s.epoch}: open, timeout job ${job?.state ?? 'missing'}, deadline entry ${deadlines.get(s.workerId) ?? 'missing'} (armed for ${deadline})`,
        );
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

  // --- Final records: nothing stuck; the indexes the commit script moves agree with them -----------
  const stuck: string[] = [];
  const outboxes: string[] = [];
  const historyDupes: string[] = [];
  const deadlineBad: string[] = [];
  const bindingBad: string[] = [];
  const boundTo = (topic: string, id: string) => bindings.get(topic)?.get(id);
  for (const [id, r] of recordById) {
    if (!r) {
      stuck.push(`${id}: no record`);
      continue;
    }
    if (r.outbox) outboxes.push(`${id} v${r.version}: ${r.outbox.effects.map((e) => e.kind).join(',')}`);
    if (new Set(r.history).size !== r.history.length)
      historyDupes.push(`${id}: ${JSON.stringify(r.history)}`);
    const s = r.status === 'suspended' ? r.suspension : null;
    const indexed = deadlines.get(id);
    if (indexed !== s?.deadline_ms)
      deadlineBad.push(
        `${id} (${r.status} v${r.version}): deadline entry ${indexed ?? 'missing'}, record ${s?.deadline_ms ?? 'none armed'}`,
      );
    const topics = s?.auto_resume_trigger?.match_events ?? [];
    for (const [topic, members] of bindings) {
      const epoch = members.get(id);
      if (epoch !== undefined && !(s && topics.includes(topic) && epoch === String(s.epoch)))
        bindingBad.push(`${id} (${r.status} v${r.version}): bound to ${topic} at epoch ${epoch}`);
    }
    if (!s) continue;
    const wantsTimeout = s.deadline_ms !== undefined;
    if (!wantsTimeout && topics.length === 0) continue;
    const job = timeoutJobs.get(`timeout-${id}-${s.epoch}`);
    const timeoutArmed =
      wantsTimeout && ((job !== undefined && LIVE.includes(job.state)) || indexed === s.deadline_ms);
    const triggerArmed = topics.some((t) => boundTo(t, id) === String(s.epoch));
    if (!timeoutArmed && !triggerArmed)
      stuck.push(
        `${id}@${s.epoch}: suspended, asked for ${wantsTimeout ? 'a timeout' : ''}${topics.length ? ` events ${topics.join(',')}` : ''}, nothing armed (timeout job ${job?.state ?? 'missing'})`,
      );
  }
  const unknownBound = [...bindings].flatMap(([topic, members]) =>
    [...members.keys()]
      .filter((id) => !recordById.has(id))
      .map((id) => `${id}: bound to ${topic}, not a worker of this run`),
  );
  checks.push(
    check(
      'deadline-index-consistent',
      deadlineBad.length === 0,
      `the deadline index (the reconciler's input) holds exactly the armed suspensions, at their record's deadline (${deadlineBad.length} differ)`,
      deadlineBad,
    ),
    check(
      'trigger-index-consistent',
      bindingBad.length === 0 && unknownBound.length === 0,
      `every trigger binding belongs to a suspension waiting for that topic at that epoch (${bindingBad.length + unknownBound.length} stale)`,
      [...bindingBad, ...unknownBound],
      'warn',
    ),
  );
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
  const failed = [...resumeJobs.values(), ...timeoutJobs.values()].filter(
    (j) => j.state === 'failed' && !input.expectedFailed?.has(j.id),
  );
  checks.push(
    check(
      'no-failed-jobs',
      failed.length === 0,
      `resume/timeout jobs in the failed set: ${failed.length}`,
      failed.map((j) => `${j.id}: ${j.failedReason}`),
    ),
  );
  const now = Date.now();
  const pending = await env.store.indexes.countPending();
  const overdue = [...deadlines.values()].filter((ms) => ms <= now).length;
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
  const indexed = new Map<string, string[]>();
  for (const p of allPartitions(env.keys))
    for (const st of statuses)
      for (const id of await env.admin.zrange(env.keys.status(p, st), 0, -1))
        indexed.set(id, [...(indexed.get(id) ?? []), `${st}${env.keys.partitions > 1 ? `@${p}` : ''}`]);
  for (const [id, r] of recordById) {
    const at = indexed.get(id) ?? [];
    const own = `${r?.status}${env.keys.partitions > 1 ? `@${env.keys.partitionOf(id)}` : ''}`;
    if (r && (at.length !== 1 || at[0] !== own))
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
  // Commits no job reports as its own (a redelivered job that found its commit superseded answers
  // with the state it found, e.g. a timeout's `stale`): a figure, the trail checks cover the timeouts.
  const unclaimed = [...expected.values()].filter((ev) => claimOf(ev.workerId, ev.version).length === 0);
  const latencies: number[] = [];
  let lastRespawn = 0;
  for (const [rid, ev] of expected) {
    const task = taskJobs.get(rid);
    if (!task) continue;
    lastRespawn = Math.max(lastRespawn, task.timestamp);
    if (winnerOf(ev) !== 'resume') continue;
    const claimant = claimOf(ev.workerId, ev.version).find((j) => resumeJobs.has(j));
    const req = claimant ? resumeJobs.get(claimant) : undefined;
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
    effectiveResumesUnclaimed: {
      count: unclaimed.length,
      examples: unclaimed.slice(0, 3).map((ev) => `${ev.workerId}@${ev.version} (${winnerOf(ev)})`),
    },
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
      wonWithoutPlannedDeadline: unplannedTimeoutWins.length,
      wonWithoutPlannedDeadlineExamples: unplannedTimeoutWins.slice(0, 5),
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
