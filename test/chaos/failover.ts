// Failover on a real Redis Cluster (3 masters, 1 replica each) under load, shared by
// test/integration/cluster-failover.test.ts (a planned failover) and test/chaos/failover-run.ts (the
// SIGKILL cases and WAIT's cost, by hand). Suspended workers are resumed through the public producer
// API while some timeouts fall due; a fault (failover-faults.ts) hits one shard in the middle; then
// every acknowledged request is followed to its outcome and the records and respawn jobs are read back.

import type { ResumeOutcome } from '../../src/lib/policy/types.js';
import type { ProducerOptions } from '../../src/producers/producer.js';
import { createProducer } from '../../src/producers/producer.js';
import { type Harness, listAll, sleep } from '../support/harness.js';

export type Plan = 'resume' | 'timeout-resume' | 'timeout-fail';

export interface LoadOptions {
  workers: number;
  /** Resumes are spread over this window; the fault starts at `faultAtMs` into it. */
  windowMs: number;
  faultAtMs: number;
  fault: () => Promise<void>;
  producer?: Partial<ProducerOptions>;
  /** How long the acknowledged requests and due timeouts get to finish after the window. */
  settleMs?: number;
}

export interface LoadReport {
  acked: number;
  /** Producer calls that threw (not acknowledged), by error code. */
  refused: Record<string, number>;
  outcomes: Record<string, number>;
  /** Acknowledged resumes with no outcome in time, with their job's state and the worker's. */
  lostRequests: string[];
  /** Outcomes `resumed` whose commit is not in the record any more (it went back). */
  revertedCommits: string[];
  /** Running workers without their `respawn-<id>-<version>` job, and respawn jobs no record backs. */
  missingRespawns: string[];
  extraRespawns: string[];
  /** Workers still suspended at the end whose suspension an acknowledged resume or a timeout ended. */
  stuck: string[];
  /** Timeouts planned as resume/fail that ended otherwise. */
  wrongTimeouts: string[];
  faultMs: number;
  /** Slowest acknowledged resume, from the call to its outcome (ms), and when it was called relative to the fault. */
  slowest: { id: string; ms: number; enqueueMs: number; calledAtMs: number } | null;
}

const planOf = (i: number): Plan =>
  i % 10 === 0 ? 'timeout-resume' : i % 10 === 1 ? 'timeout-fail' : 'resume';

/** Registers and suspends the workers, resumes them over the window with a fault in it, then checks. */
export async function runFailoverLoad(h: Harness, opts: LoadOptions): Promise<LoadReport> {
  const producer = createProducer({
    connection: h.connection,
    prefix: h.prefix,
    partitions: h.partitions,
    ...opts.producer,
  });
  const ids = Array.from({ length: opts.workers }, (_, i) => `fo-${i}`);
  const plans = new Map(ids.map((id, i) => [id, planOf(i)]));
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids.slice(i, i + 25).map(async (id) => {
        await producer.registerWorker({ id, name: 'fo', task: 'work' });
        if (plans.get(id) === 'resume')
          await producer.suspend(id, { reason: 'park', conditions: { timeout: { duration_ms: 600_000 } } });
      }),
    );
  }
  // Timeouts fall due around the fault (±300 ms), armed last so setup time does not shift them.
  const t0 = Date.now();
  await Promise.all(
    ids
      .filter((id) => plans.get(id) !== 'resume')
      .map((id, k) =>
        producer.suspend(id, {
          reason: 'park',
          conditions: {
            timeout: {
              duration_ms: Math.max(50, t0 + opts.faultAtMs - Date.now() + ((k * 37) % 600) - 300),
              on_timeout: plans.get(id) === 'timeout-fail' ? 'fail' : 'resume_with_summary',
            },
          },
        }),
      ),
  );
  const start = Date.now();
  const resumeIds = ids.filter((id) => plans.get(id) === 'resume');
  const report: LoadReport = {
    acked: 0,
    refused: {},
    outcomes: {},
    lostRequests: [],
    revertedCommits: [],
    missingRespawns: [],
    extraRespawns: [],
    stuck: [],
    wrongTimeouts: [],
    faultMs: 0,
    slowest: null,
  };
  const faultAt = start + opts.faultAtMs;
  const fault = sleep(opts.faultAtMs).then(async () => {
    const at = Date.now();
    await opts.fault();
    report.faultMs = Date.now() - at;
  });
  const outcomes = new Map<string, ResumeOutcome>();
  const acked = new Set<string>();
  const calls = resumeIds.map(async (id, k) => {
    await sleep(start + (k * opts.windowMs) / resumeIds.length - Date.now());
    let ticket: Awaited<ReturnType<typeof producer.resume>>;
    const calledAt = Date.now();
    try {
      ticket = await producer.resume(id, `go ${id}`);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message.slice(0, 40);
      report.refused[code] = (report.refused[code] ?? 0) + 1;
      return;
    }
    report.acked += 1;
    acked.add(id);
    const enqueueMs = Date.now() - calledAt;
    try {
      // The outcome is read like a caller would: a read that fails while the shard fails over
      // (RP-REDIS-UNAVAILABLE, retryable) is tried again until the settle time is up.
      const until = Date.now() + (opts.settleMs ?? 30_000);
      const outcome = await (async function read(): Promise<ResumeOutcome> {
        try {
          return await ticket.result({ timeoutMs: Math.max(1, until - Date.now()) });
        } catch (err) {
          if (!(err as { retryable?: boolean }).retryable || Date.now() >= until) throw err;
          await sleep(200);
          return read();
        }
      })();
      outcomes.set(id, outcome);
      const ms = Date.now() - calledAt;
      if (ms > (report.slowest?.ms ?? -1))
        report.slowest = { id, ms, enqueueMs, calledAtMs: calledAt - faultAt };
      report.outcomes[outcome.outcome] = (report.outcomes[outcome.outcome] ?? 0) + 1;
    } catch {
      // What is left of it says where it was lost: no job (its enqueue went with the old master) or
      // a job no consumer finished.
      const job = await h.queues.of(id).resume.getJob(ticket.jobId);
      const record = (await h.store.read(id))?.record;
      const state = job ? await job.getState() : 'gone';
      report.lostRequests.push(`${id} (job ${state}, worker ${record?.status} v${record?.version})`);
    }
  });
  await Promise.all([fault, ...calls]);
  // Timeouts: each must leave `suspended` (fired, maybe late through the reconciler).
  const deadline = Date.now() + (opts.settleMs ?? 30_000);
  for (;;) {
    const left = (await listAll(producer, { status: 'suspended' })).filter(
      (w) => plans.get(w.id) !== 'resume',
    );
    if (left.length === 0 || Date.now() > deadline) break;
    await sleep(200);
  }
  const records = new Map((await h.store.readMany(ids)).map((s, i) => [ids[i] as string, s?.record]));
  const respawns = new Set(await h.respawnJobIds());
  const expected = new Set<string>();
  for (const id of ids) {
    const r = records.get(id);
    const outcome = outcomes.get(id);
    // A refused resume leaves its worker suspended with its timeout armed: not stuck.
    if (!r || (r.status === 'suspended' && (acked.has(id) || plans.get(id) !== 'resume')))
      report.stuck.push(id);
    if (outcome?.outcome === 'resumed' && (r?.version ?? 0) < outcome.version)
      report.revertedCommits.push(id);
    const plan = plans.get(id);
    if (plan === 'timeout-resume' && r?.status !== 'running') report.wrongTimeouts.push(id);
    if (plan === 'timeout-fail' && r?.status !== 'failed') report.wrongTimeouts.push(id);
    if (r?.status === 'running') expected.add(`respawn-${id}-${r.version}`);
  }
  report.missingRespawns = [...expected].filter((j) => !respawns.has(j));
  report.extraRespawns = [...respawns].filter((j) => !expected.has(j));
  await producer.disconnect();
  return report;
}
