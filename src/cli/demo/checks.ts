// Turns what the demo sent and what Redis holds into counts and guarantee checks (DESIGN §3).
// Pure: everything it needs is passed in. The demo touches a worker no more after its suspension
// ends, so any second ending event in an episode is a double, never a legitimate later change.

import type { SerializedError } from '../../lib/errors.js';
import { jobIds } from '../../lib/policy/ids.js';
import type { ResumeOutcome, TimeoutAction } from '../../lib/policy/types.js';
import type { Facts, WorkerEvent } from './observe.js';
import type { PlannedWorker } from './plan.js';
import type { WorkloadResult } from './workload.js';

export type RequestResult = { ok: true; outcome: ResumeOutcome } | { ok: false; error: SerializedError };

export interface DemoStats {
  workers: number;
  requests: { sent: number; duplicates: number; racingTimeout: number; afterClose: number };
  outcomes: {
    resumed: number;
    notSuspended: number;
    closed: number;
    otherRejected: number;
    blocked: number;
    none: number;
  };
  timeouts: { armed: number; fired: Record<TimeoutAction, number>; stale: number; superseded: number };
  effectiveResumes: { byRequest: number; byTimeout: number };
  /** Who won the suspensions whose requests were sent at the deadline. */
  races: { wonByRequest: number; wonByTimeout: number };
  respawnJobs: number;
  finalStatus: Record<string, number>;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckInput {
  plan: readonly PlannedWorker[];
  workload: WorkloadResult;
  results: readonly RequestResult[];
  facts: Facts;
  drained: boolean;
  consumerExitCodes: readonly (number | null)[];
}

const ENDINGS = new Set(['WorkerResumed', 'WorkerFailed', 'WorkerCancelled']);
const isTimeoutResume = (e: WorkerEvent) => e.type === 'WorkerResumed' && requestOf(e).startsWith('timeout-');
const isTimeoutFail = (e: WorkerEvent) => e.type === 'WorkerFailed' && field(e, 'reason') === 'timeout';

export function evaluate(input: CheckInput): { stats: DemoStats; checks: Check[] } {
  const { plan, workload, results, facts } = input;
  const actionOf = new Map(workload.armed.map((a) => [a.workerId, a.action]));
  const fired: Record<TimeoutAction, number> = { fail: 0, resume_with_summary: 0, resume_with_input: 0 };
  const finalStatus: Record<string, number> = {};
  const expectedRespawns = new Set<string>();
  let byRequest = 0;
  let byTimeout = 0;
  const episodeProblems: string[] = [];
  const doubleResumes: string[] = [];
  const timeoutTwice: string[] = [];
  const kindOf = new Map(plan.map((w) => [w.id, w.kind]));
  const races = { wonByRequest: 0, wonByTimeout: 0 };

  for (const [id, w] of facts.workers) {
    finalStatus[w.status ?? 'missing'] = (finalStatus[w.status ?? 'missing'] ?? 0) + 1;
    for (const episode of episodes(w.events)) {
      const endings = episode.filter((e) => ENDINGS.has(e.type));
      if (endings.length !== 1)
        episodeProblems.push(`${id}: ${endings.map((e) => e.type).join(', ') || 'never ended'}`);
      if (episode.filter((e) => e.type === 'WorkerResumed').length > 1) doubleResumes.push(id);
      if (episode.filter((e) => isTimeoutResume(e) || isTimeoutFail(e)).length > 1) timeoutTwice.push(id);
    }
    if (kindOf.get(id) === 'race') {
      if (w.events.some((e) => isTimeoutResume(e) || isTimeoutFail(e))) races.wonByTimeout += 1;
      else if (w.events.some((e) => e.type === 'WorkerResumed')) races.wonByRequest += 1;
    }
    for (const e of w.events) {
      if (e.type === 'WorkerResumed') {
        expectedRespawns.add(jobIds.respawn(id, e.version));
        if (isTimeoutResume(e)) byTimeout += 1;
        else byRequest += 1;
      }
      if (isTimeoutResume(e) || isTimeoutFail(e)) {
        const action = actionOf.get(id);
        if (action) fired[action] += 1;
      }
    }
  }

  const outcomes = { resumed: 0, notSuspended: 0, closed: 0, otherRejected: 0, blocked: 0, none: 0 };
  const missingRespawn: string[] = [];
  const respawnIds = new Set(facts.respawnJobIds);
  for (const r of results) {
    if (!r.ok) outcomes.none += 1;
    else if (r.outcome.outcome === 'resumed') {
      outcomes.resumed += 1;
      if (!respawnIds.has(r.outcome.respawnJobId)) missingRespawn.push(r.outcome.respawnJobId);
    } else if (r.outcome.outcome === 'blocked') outcomes.blocked += 1;
    else if (r.outcome.outcome === 'expired') outcomes.otherRejected += 1;
    else if (r.outcome.error.code === 'HARN-SUS-003') outcomes.notSuspended += 1;
    else if (r.outcome.error.code === 'HARN-SUS-010') outcomes.closed += 1;
    else outcomes.otherRejected += 1;
  }

  const firedTotal = fired.fail + fired.resume_with_summary + fired.resume_with_input;
  const stale = facts.timeoutResults.filter((t) => t.outcome === 'stale').length;
  const effectiveTimeoutJobs = facts.timeoutResults.filter(
    (t) => t.outcome === 'resumed' || t.outcome === 'failed',
  ).length;
  const stats: DemoStats = {
    workers: plan.length,
    requests: {
      sent: results.length,
      duplicates: plan.reduce((n, w) => n + Math.max(0, w.resumes - 1), 0),
      racingTimeout: plan.filter((w) => w.kind === 'race').reduce((n, w) => n + w.resumes, 0),
      afterClose: plan.filter((w) => w.kind === 'closed').reduce((n, w) => n + w.resumes, 0),
    },
    outcomes,
    timeouts: {
      armed: workload.armed.length,
      fired,
      stale,
      superseded: workload.armed.length - firedTotal - stale,
    },
    effectiveResumes: { byRequest, byTimeout },
    races,
    respawnJobs: facts.respawnJobIds.length,
    finalStatus,
  };

  const unexpectedRespawns = facts.respawnJobIds.filter((id) => !expectedRespawns.has(id));
  const lostRespawns = [...expectedRespawns].filter((id) => !respawnIds.has(id));
  const suspendedLeft = [...facts.workers].filter(([, w]) => w.status === 'suspended').map(([id]) => id);
  const closedWrong = plan
    .filter((w) => w.kind === 'closed')
    .filter((w) => facts.workers.get(w.id)?.status !== 'cancelled')
    .map((w) => w.id);
  const failedSetRequests = results.filter((r) => !r.ok).length;

  const checks: Check[] = [
    check(
      'every resume request got an outcome',
      failedSetRequests === 0 && results.length === workload.requests.length,
      `${results.length - failedSetRequests}/${workload.requests.length}`,
      failedSetRequests > 0 ? `${failedSetRequests} without outcome` : '',
    ),
    check(
      'queues drained: nothing waiting, delayed or failed',
      input.drained && facts.failedJobs.length === 0,
      'resume and timeout queues empty',
      describe(
        facts.failedJobs.map((f) => `${f.queue}/${f.id}: ${f.reason}`),
        input.drained ? '' : 'not drained in time',
      ),
    ),
    check(
      'one winner per suspension',
      episodeProblems.length === 0,
      `${facts.workers.size} suspensions`,
      describe(episodeProblems),
    ),
    check(
      'no worker resumed twice for one suspension',
      doubleResumes.length === 0,
      `${byRequest + byTimeout} WorkerResumed events`,
      describe(doubleResumes),
    ),
    check(
      'exactly one respawn job per effective resume',
      unexpectedRespawns.length === 0 &&
        lostRespawns.length === 0 &&
        facts.respawnJobIds.length === expectedRespawns.size,
      `${facts.respawnJobIds.length} respawn jobs = ${expectedRespawns.size} resumes`,
      describe([...unexpectedRespawns.map((i) => `extra ${i}`), ...lostRespawns.map((i) => `missing ${i}`)]),
    ),
    check(
      'request outcomes agree with the event logs',
      outcomes.resumed === byRequest && missingRespawn.length === 0,
      `${outcomes.resumed} resumed outcomes`,
      `${byRequest} resumes by request in the event logs; ${describe(missingRespawn)}`,
    ),
    check(
      'every timeout applied at most once',
      timeoutTwice.length === 0 && effectiveTimeoutJobs === firedTotal,
      `${firedTotal} fired, ${stale} stale no-ops`,
      `${effectiveTimeoutJobs} effective timeout jobs; ${describe(timeoutTwice)}`,
    ),
    check(
      'no worker left suspended after its timeout was due',
      suspendedLeft.length === 0,
      'none suspended',
      describe(suspendedLeft),
    ),
    check(
      'closed workers stay closed (HARN-SUS-010)',
      closedWrong.length === 0 && outcomes.closed === stats.requests.afterClose,
      `${outcomes.closed} rejected after close`,
      describe(closedWrong),
    ),
    check(
      'consumer processes stopped gracefully (exit 0)',
      input.consumerExitCodes.every((c) => c === 0),
      `${input.consumerExitCodes.length} exited 0`,
      `exit codes ${input.consumerExitCodes.join(', ')}`,
    ),
  ];
  return { stats, checks };
}

function check(name: string, ok: boolean, okDetail: string, failDetail: string): Check {
  return { name, ok, detail: ok ? okDetail : failDetail };
}

/** Splits a worker's events into suspension episodes: each starts at a WorkerSuspended. */
function episodes(events: readonly WorkerEvent[]): WorkerEvent[][] {
  const out: WorkerEvent[][] = [];
  for (const e of events) {
    if (e.type === 'WorkerSuspended') out.push([]);
    else out.at(-1)?.push(e);
  }
  return out;
}

function describe(items: readonly string[], extra = ''): string {
  const head = items.slice(0, 5).join('; ');
  const more = items.length > 5 ? ` (+${items.length - 5} more)` : '';
  return [extra, head + more].filter(Boolean).join('; ');
}

function field(e: WorkerEvent, name: string): unknown {
  return typeof e.data === 'object' && e.data !== null
    ? (e.data as Record<string, unknown>)[name]
    : undefined;
}

const requestOf = (e: WorkerEvent) => String(field(e, 'request') ?? '');
