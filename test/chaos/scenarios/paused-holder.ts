// Scenario 4: Kleppmann's pause. A consumer freezes (SIGSTOP, like a long GC pause) right before
// its commit while holding the worker's lock; the lock TTL passes; another consumer resumes the
// worker; then the frozen one continues (SIGCONT). Its commit must be rejected by the version CAS,
// and it must do nothing else: one WorkerResumed, one respawn, the live consumer's input only.
// The kernel retries a lost CAS silently (it re-reads and decides again), so the harness watches
// Redis itself (MONITOR, from the live commit until the frozen job finishes) for the frozen holder's
// commit script call from the stale version.

import { Job } from 'bullmq';
import type { KeySpace } from '../../../src/lib/store/keys.js';
import type { SentRequest } from '../driver.js';
import { ChaosEnv, type ConsumerSettings } from '../env.js';
import { buildLedger } from '../ledger.js';
import { tailCommands } from '../monitor.js';
import { until } from '../processes.js';
import { quiesce } from '../quiesce.js';
import { sleep } from '../rng.js';
import { ANY_TARGET, type Check, check, type Figure, type Scenario } from '../types.js';
import type { CyclePlan, WorkerPlan } from '../workload.js';
import { consumersAlive, result } from './load.js';

const HELPERS: ConsumerSettings = {
  concurrency: 4,
  lockTtlMs: 1000,
  stalledIntervalMs: 2000,
  reconcileIntervalMs: 500,
};

interface Round {
  round: number;
  froze: boolean;
  workerId?: string;
  pausedMs?: number;
  live?: string;
  victim?: string;
  /** Commit script calls from the version the frozen holder read, seen after the live commit. */
  fencedCommits?: number;
}

/**
 * Counts commit script calls on `workerId` that expect version `from`, until `stop()` is called.
 * Every server that holds data is watched (on a cluster the worker's partition lives on one master).
 * MONITOR shows the script call as EVAL (a connection's first call: ioredis sends the source, which
 * MONITOR prints escaped) or EVALSHA; the commit script is recognised by its keys (document, two
 * status indexes, the deadline and pending indexes, in that order), then ARGV[1] is the expected version.
 */
async function watchStaleCommits(urls: readonly string[], keys: KeySpace, workerId: string, from: number) {
  const p = keys.partitionOf(workerId);
  const statusPrefix = keys.status(p, '');
  let seen = 0;
  const onCall = (args: string[]) => {
    const [cmd, , numkeys] = args;
    if (cmd?.toLowerCase() !== 'eval' && cmd?.toLowerCase() !== 'evalsha') return;
    const n = Number(numkeys);
    const isCommit =
      n >= 5 &&
      args[3] === keys.doc(workerId) &&
      args[4]?.startsWith(statusPrefix) &&
      args[5]?.startsWith(statusPrefix) &&
      args[6] === keys.deadlines(p) &&
      args[7] === keys.pending(p);
    if (isCommit && args[3 + n] === String(from)) seen += 1;
  };
  const tails = await Promise.all(urls.map((url) => tailCommands(url, onCall)));
  return {
    get seen() {
      return seen;
    },
    stop() {
      for (const tail of tails) tail.stop();
    },
  };
}

/**
 * A round's workers, all in one partition (round r: partition r mod P, so on the cluster the rounds
 * visit every master). A consumer's concurrency is per partition: with the batch in one partition
 * the victim, at concurrency 1, holds one job at most, as on one server (over six partitions it
 * could freeze holding six, and the round would watch the wrong one).
 */
function roundIds(keys: KeySpace, round: number, batch: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < batch; i++) {
    const id = `paused-r${round}-w${i}`;
    if (keys.partitionOf(id) === round % keys.partitions) ids.push(id);
  }
  return ids;
}

export const pausedHolder: Scenario = {
  name: 'paused-holder',
  title: 'a lock holder SIGSTOPped past its lock TTL is fenced at commit',
  targets: ANY_TARGET,
  async run(ctx) {
    const started = Date.now();
    const rounds = ctx.size === 'full' ? 5 : 2;
    const batch = ctx.size === 'full' ? 40 : 12;
    const env = await ChaosEnv.create({ name: 'paused', target: ctx.target, consumers: HELPERS });
    const plans: WorkerPlan[] = [];
    const requests: SentRequest[] = [];
    const log: Round[] = [];
    const checks: Check[] = [];
    try {
      await env.fleet.start(2);
      env.sink.start();
      for (let r = 0; r < rounds; r++) {
        const victim = await env.fleet.spawn(2 + r, {
          RP_FAULTS: 'pause:before-commit',
          CONSUMER_CONCURRENCY: '1',
          LOCK_TTL_MS: '1000',
          // The victim keeps its BullMQ job lock through the pause: the late commit is its own.
          STALLED_INTERVAL_MS: '60000',
        });
        const ids = roundIds(env.keys, r, batch);
        for (const id of ids) {
          await env.producer.registerWorker({ id, name: id, task: 'work' });
          const s = await env.producer.suspend(id, {
            reason: 'park',
            conditions: { timeout: { duration_ms: 600_000 } },
          });
          const cycle: CyclePlan = {
            cycle: 1,
            kind: 'resume',
            conditions: null,
            resumeAtMs: 0,
            jitterMs: 0,
            input: `go ${id}`,
            duplicates: [],
            keyed: false,
            ...(s.suspension ? { epoch: s.suspension.epoch } : {}),
            ...(s.suspension?.deadline_ms !== undefined ? { deadlineMs: s.suspension.deadline_ms } : {}),
          };
          plans.push({ id, cycles: [cycle] });
        }
        // The helpers wait (SIGSTOP, idle) until the victim has taken a job and frozen: a consumer
        // just started is not fetching yet (on the cluster its twelve workers each connect first),
        // and the helpers would take the whole batch before it. They go on once it froze.
        const helpers = [env.fleet.slots[0], env.fleet.slots[1]];
        for (const h of helpers) h?.signal('SIGSTOP');
        await Promise.all(
          ids.map(async (id) => {
            const t = await env.producer.resume(id, `go ${id}`);
            requests.push({
              workerId: id,
              cycle: 1,
              role: 'original',
              jobId: t.jobId,
              keyed: false,
              sentAt: Date.now(),
            });
          }),
        );
        const froze = await until(() => victim.state() === 'T', 20_000, 20);
        for (const h of helpers) h?.signal('SIGCONT');
        const entry: Round = { round: r, froze: froze === true };
        log.push(entry);
        if (!froze) {
          await victim.stop();
          continue;
        }
        const pausedAt = Date.now();
        // The frozen job: the only active one whose BullMQ lock lives far longer than the helpers'.
        const frozen = await until(async () => {
          for (const q of env.partitions())
            for (const id of await q.resume.getRanges(['active'], 0, -1))
              if ((await env.admin.pttl(env.keys.queueKey(q.partition, 'resume', `${id}:lock`))) > 10_000)
                return { id, queue: q.resume };
          return undefined;
        }, 10_000);
        const jobId = frozen?.id;
        const job = frozen ? await Job.fromId(frozen.queue, frozen.id) : undefined;
        const workerId = job ? String((job.data as { workerId: string }).workerId) : undefined;
        if (!frozen || !jobId || !workerId) {
          victim.signal('SIGCONT');
          await victim.stop();
          continue;
        }
        entry.workerId = workerId;
        // Past the lock TTL: the Redlock key is gone while the holder is still frozen.
        await until(async () => (await env.admin.exists(env.store.keys.lock(workerId))) === 0, 10_000, 50);
        const liveInput = `live ${workerId}`;
        const ticket = await env.producer.resume(workerId, liveInput);
        requests.push({
          workerId,
          cycle: 1,
          role: 'duplicate',
          jobId: ticket.jobId,
          keyed: false,
          sentAt: Date.now(),
        });
        const live = await ticket.result({ timeoutMs: 30_000 }).catch((e: Error) => ({ outcome: e.message }));
        entry.live = live.outcome;
        // The version the frozen holder read: the suspension's epoch (the live resume committed +1).
        const readAt = plans.find((p) => p.id === workerId)?.cycles[0]?.epoch ?? -1;
        const watch = await watchStaleCommits(
          env.servers.map((s) => s.url),
          env.keys,
          workerId,
          readAt,
        );
        victim.signal('SIGCONT');
        entry.pausedMs = Date.now() - pausedAt;
        const done = await until(async () => {
          const j = await Job.fromId(frozen.queue, jobId);
          return j?.finishedOn ? j : undefined;
        }, 30_000);
        const rv = done?.returnvalue as { outcome?: string; error?: { code?: string } } | undefined;
        entry.victim = rv ? `${rv.outcome}${rv.error?.code ? ` ${rv.error.code}` : ''}` : 'unfinished';
        await sleep(200); // MONITOR lines arrive after the replies
        entry.fencedCommits = watch.seen;
        watch.stop();
        const rec = await env.producer.getRecord(workerId);
        checks.push(
          check(
            `round-${r}-fenced`,
            entry.live === 'resumed' &&
              entry.victim === 'rejected HARN-SUS-003' &&
              (entry.fencedCommits ?? 0) >= 1 &&
              rec?.version === readAt + 1 &&
              JSON.stringify(rec?.history) === JSON.stringify([liveInput]),
            `live resume ${entry.live}; frozen holder after SIGCONT: ${entry.victim}, its commit from v${readAt} seen ${entry.fencedCommits}x and rejected; record v${rec?.version}, history ${JSON.stringify(rec?.history)}`,
          ),
        );
        await victim.stop();
      }
      const q = await quiesce(env, {
        workerIds: plans.map((p) => p.id),
        idle: () => !env.sink.busy,
        timeoutMs: 60_000,
      });
      const ledger = await buildLedger({ env, plans, requests, driveStart: started });
      const fenced = log.filter(
        (e) => e.victim === 'rejected HARN-SUS-003' && (e.fencedCommits ?? 0) >= 1,
      ).length;
      checks.unshift(
        check('quiescent', q.ok, `reached quiescence in ${q.waitedMs} ms (last: ${q.last})`),
        check(
          'holders-froze',
          log.every((e) => e.froze && e.workerId),
          `${log.filter((e) => e.froze).length}/${rounds} victims froze holding a lock before commit`,
        ),
      );
      checks.push(...ledger.checks, consumersAlive(env));
      const figures: Record<string, Figure> = {
        ...ledger.figures,
        rounds,
        staleCommitsFenced: fenced,
        pausesMs: log.map((e) => e.pausedMs ?? null),
        roundsLog: log.map(
          (e) => `${e.workerId}: live ${e.live}, frozen ${e.victim}, stale commits seen ${e.fencedCommits}`,
        ),
      };
      return result(
        'paused-holder',
        pausedHolder.title,
        started,
        { rounds, batch, lockTtlMs: 1000 },
        figures,
        checks,
      );
    } finally {
      await env.close();
    }
  },
};
