// The load plan: one seeded plan per worker (what it is suspended with, when it is resumed,
// duplicated, raced by its timeout, an event or a close) and which winners each plan allows.

import type { JsonObject } from '../../src/lib/policy/types.js';
import type { Rng } from './rng.js';

export interface WorkloadParams {
  /** Suspension episodes in total: first suspensions plus re-suspensions by the runtime. */
  suspensions: number;
  /** Resumes, events and closes are spread over this window after setup. */
  driveMs: number;
  duplicateRate: number;
  maxDuplicates: number;
  duplicateWindowMs: number;
  raceTimeoutRate: number;
  raceJitterMs: number;
  triggerRate: number;
  closeRate: number;
  openRate: number;
  suspendRaceRate: number;
  resuspendRate: number;
  /** Share of duplicated requests that carry an idempotency key. */
  keyedShare: number;
  /** The consumers' reconciler lateness threshold: suspend races resume only after it passed. */
  lateAfterMs: number;
}

export const DEFAULT_RATES = {
  duplicateRate: 0.2,
  maxDuplicates: 3,
  duplicateWindowMs: 50,
  raceTimeoutRate: 0.1,
  raceJitterMs: 5,
  triggerRate: 0.05,
  closeRate: 0.03,
  openRate: 0.02,
  suspendRaceRate: 0,
  resuspendRate: 0.08,
  keyedShare: 0.5,
} satisfies Partial<WorkloadParams>;

export type PlanKind =
  | 'resume'
  | 'race-timeout'
  | 'trigger'
  | 'close'
  | 'open'
  | 'suspend-race'
  | 'resuspend'
  | 'timeout';
export type Winner = 'resume' | 'timeout' | 'trigger' | 'close' | 'other';
export type TimeoutAction = 'fail' | 'resume_with_summary' | 'resume_with_input';

export interface CyclePlan {
  cycle: number;
  kind: PlanKind;
  /** Conditions sent with the suspend (race timeouts get their absolute deadline at setup). */
  conditions: JsonObject | null;
  /** Offset from the drive start of the resume; for race kinds, of the timeout's deadline. */
  resumeAtMs: number | null;
  /** Race kinds: the resume is sent at the deadline plus this jitter. */
  jitterMs: number;
  input: string;
  duplicates: number[];
  keyed: boolean;
  topic?: string;
  eventId?: string;
  eventAtMs?: number;
  eventDuplicates?: number[];
  closeAtMs?: number;
  /** Filled by the driver: the suspension it created and its deadline. */
  epoch?: number;
  deadlineMs?: number;
  winningReason?: string;
  /** Resume sent this long after the deadline (race kinds). */
  raceSkewMs?: number;
  /** suspend-race: the two suspends differ in their timeout, or in the event topic they wait for. */
  raceVariant?: 'timeout' | 'topic';
}

export interface WorkerPlan {
  id: string;
  cycles: CyclePlan[];
}

export const LONG_TIMEOUT_MS = 10 * 60_000;
const OPEN_TIMEOUT_MS = 60 * 60_000;
const ACTIONS: TimeoutAction[] = ['fail', 'resume_with_summary', 'resume_with_input'];

export function makePlans(runId: string, p: WorkloadParams, rng: Rng): WorkerPlan[] {
  const workers = Math.max(1, Math.round(p.suspensions / (1 + p.resuspendRate)));
  const resuspend = Math.min(workers, p.suspensions - workers);
  const count = (rate: number) => Math.round(workers * rate);
  const kinds: PlanKind[] = [
    ...Array<PlanKind>(count(p.raceTimeoutRate)).fill('race-timeout'),
    ...Array<PlanKind>(count(p.triggerRate)).fill('trigger'),
    ...Array<PlanKind>(count(p.closeRate)).fill('close'),
    ...Array<PlanKind>(count(p.openRate)).fill('open'),
    ...Array<PlanKind>(count(p.suspendRaceRate)).fill('suspend-race'),
    ...Array<PlanKind>(resuspend).fill('resuspend'),
  ].slice(0, workers);
  while (kinds.length < workers) kinds.push('resume');
  rng.shuffle(kinds);

  const dupes = (): number[] =>
    rng.chance(p.duplicateRate)
      ? Array.from({ length: rng.int(1, p.maxDuplicates) }, () => rng.real(0, p.duplicateWindowMs))
      : [];
  const at = (from: number, to: number) => rng.real(from, Math.max(from + 1, to));
  const drive = p.driveMs;
  let triggerIndex = 0;

  return kinds.map((kind, i): WorkerPlan => {
    const id = `${runId}-w${i}`;
    const base = { cycle: 1, kind, jitterMs: 0, input: `go ${id} c1`, keyed: rng.chance(p.keyedShare) };
    const withDupes = { ...base, duplicates: dupes() };
    switch (kind) {
      case 'resume': {
        const variant = rng.next();
        const conditions: JsonObject | null =
          variant < 0.5
            ? null
            : variant < 0.9
              ? { timeout: { duration_ms: LONG_TIMEOUT_MS, on_timeout: rng.pick(ACTIONS) } }
              : { on_event: `chaos.never.${i}` };
        return { id, cycles: [{ ...withDupes, conditions, resumeAtMs: at(500, drive) }] };
      }
      case 'race-timeout': {
        const action = rng.pick(ACTIONS);
        const timeout: JsonObject = { on_timeout: action };
        if (action === 'resume_with_input' && rng.chance(0.5)) timeout.input = `timeout input ${id}`;
        return {
          id,
          cycles: [
            {
              ...withDupes,
              conditions: { timeout },
              resumeAtMs: at(1500, drive),
              jitterMs: rng.real(-p.raceJitterMs, p.raceJitterMs),
            },
          ],
        };
      }
      case 'trigger': {
        const group = Math.floor(triggerIndex++ / 4);
        const topic = `chaos.${runId}.t${group}`;
        const eventAtMs = 1000 + ((group * 7919) % Math.max(1, drive - 1000));
        const conditions: JsonObject = rng.chance(0.5)
          ? { on_event: topic, timeout: { duration_ms: LONG_TIMEOUT_MS } }
          : { on_event: topic };
        const racing = rng.chance(0.5);
        return {
          id,
          cycles: [
            {
              ...withDupes,
              conditions,
              topic,
              eventId: `ev-${group}`,
              eventAtMs,
              eventDuplicates: dupes(),
              resumeAtMs: racing ? eventAtMs + rng.real(-25, 25) : null,
              duplicates: racing ? withDupes.duplicates : [],
            },
          ],
        };
      }
      case 'close': {
        const closeAtMs = at(500, drive);
        return {
          id,
          cycles: [
            {
              ...withDupes,
              conditions: rng.chance(0.5) ? { timeout: { duration_ms: LONG_TIMEOUT_MS } } : null,
              closeAtMs,
              resumeAtMs: closeAtMs + rng.real(-25, 25),
            },
          ],
        };
      }
      case 'open': {
        const variant = rng.int(0, 2);
        const conditions: JsonObject | null =
          variant === 0
            ? { timeout: { duration_ms: OPEN_TIMEOUT_MS } }
            : variant === 1
              ? { on_event: `chaos.never.${i}` }
              : null;
        return { id, cycles: [{ ...base, duplicates: [], conditions, resumeAtMs: null }] };
      }
      case 'suspend-race': {
        // Two concurrent suspends of one worker. `timeout`: different timeouts; the resume comes
        // after the shorter deadline plus the reconciler's lateness threshold, so only the winner's
        // timeout may count. `topic`: different event topics; an event of the loser's topic is
        // delivered before the resume and must not resume the worker.
        const resumeAtMs = at(Math.min(drive, p.lateAfterMs + 3000), drive);
        const raceVariant = rng.chance(0.5) ? 'timeout' : 'topic';
        return {
          id,
          cycles: [
            {
              ...withDupes,
              conditions: null,
              resumeAtMs,
              raceVariant,
              ...(raceVariant === 'topic'
                ? { eventId: `ev-${id}`, eventAtMs: Math.max(500, resumeAtMs - 1500), eventDuplicates: [] }
                : {}),
            },
          ],
        };
      }
      case 'resuspend': {
        const raceSecond = rng.chance(0.5);
        return {
          id,
          cycles: [
            {
              ...withDupes,
              keyed: true,
              conditions: { timeout: { duration_ms: LONG_TIMEOUT_MS, on_timeout: rng.pick(ACTIONS) } },
              resumeAtMs: at(500, drive * 0.6),
            },
            {
              cycle: 2,
              kind: 'resuspend',
              keyed: true,
              input: `go ${id} c2`,
              conditions: {
                timeout: {
                  duration_ms: Math.round(rng.real(300, 1500)),
                  on_timeout: rng.pick(['fail', 'resume_with_summary']),
                },
              },
              resumeAtMs: raceSecond ? 0 : null,
              jitterMs: rng.real(-p.raceJitterMs, p.raceJitterMs),
              duplicates: raceSecond ? dupes() : [],
            },
          ],
        };
      }
      case 'timeout':
        throw new Error('timeout-only plans are built by the crash-point scenario');
      default: {
        const unknown: never = kind;
        throw new Error(`unknown plan kind ${String(unknown)}`);
      }
    }
  });
}

/** Which winners a suspension of this plan may end with; null: it must still be suspended. */
export function allowedWinners(c: CyclePlan): Winner[] | null {
  switch (c.kind) {
    case 'resume':
      return ['resume'];
    case 'race-timeout':
      return ['resume', 'timeout'];
    case 'trigger':
      return c.resumeAtMs === null ? ['trigger'] : ['trigger', 'resume'];
    case 'close':
      return ['close', 'resume'];
    case 'open':
      return null;
    case 'suspend-race':
      return c.raceVariant === 'timeout' && c.winningReason === 'short' ? ['timeout'] : ['resume'];
    case 'timeout':
      return ['timeout'];
    case 'resuspend':
      return c.cycle === 1 ? ['resume'] : c.resumeAtMs === null ? ['timeout'] : ['resume', 'timeout'];
  }
}
