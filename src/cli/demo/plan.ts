// The demo's workload, decided up front from a seed so a run can be repeated: what each worker's
// suspension carries and which resume requests it receives, and when. Pure: no Redis, no clock.

import type { TimeoutAction } from '../../lib/policy/types.js';

export type WorkerKind =
  /** one resume request, no timeout */
  | 'resume'
  /** 2-3 identical resume requests sent at once, no timeout */
  | 'duplicate'
  /** a short timeout and no request: the timeout must fire */
  | 'timeout'
  /** a short timeout and 1-2 requests sent within ±40 ms of the deadline: either may win */
  | 'race'
  /** a longer timeout and 1-2 requests sent right after suspending: the timeout is disarmed */
  | 'superseded'
  /** closed after suspending, then resumed: HARN-SUS-010, the timeout (if any) never fires */
  | 'closed';

export interface PlannedTimeout {
  durationMs: number;
  action: TimeoutAction;
  /** resume_with_input: the input to resume with (else the timeout payload is the input). */
  input?: string;
}

export interface PlannedWorker {
  id: string;
  kind: WorkerKind;
  timeout?: PlannedTimeout;
  /** Resume requests sent together. */
  resumes: number;
  /** Offset of the requests from the deadline (race only). */
  raceOffsetMs?: number;
  /** Resume with continue_transcript=false, so the consumer digests the transcript. */
  digest: boolean;
}

const ACTIONS: readonly TimeoutAction[] = ['fail', 'resume_with_summary', 'resume_with_input'];

// Out of every 20 workers: 4 resume, 4 duplicate, 4 timeout, 4 race, 3 superseded, 1 closed.
const KINDS: readonly WorkerKind[] = [
  ...Array<WorkerKind>(4).fill('resume'),
  ...Array<WorkerKind>(4).fill('duplicate'),
  ...Array<WorkerKind>(4).fill('timeout'),
  ...Array<WorkerKind>(4).fill('race'),
  ...Array<WorkerKind>(3).fill('superseded'),
  'closed',
];

/** mulberry32: a small seeded generator; the demo needs repeatability, not quality. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planWorkload(count: number, seed: number): PlannedWorker[] {
  const random = seededRandom(seed);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const plan: PlannedWorker[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length] ?? 'resume';
    const action = ACTIONS[Math.floor(i / KINDS.length) % ACTIONS.length] ?? 'fail';
    const id = `demo-worker-${String(i).padStart(4, '0')}`;
    const digest = random() < 0.3;
    const short = (): PlannedTimeout => withInput({ durationMs: between(300, 2000), action }, random() < 0.5);
    switch (kind) {
      case 'resume':
        plan.push({ id, kind, resumes: 1, digest });
        break;
      case 'duplicate':
        plan.push({ id, kind, resumes: between(2, 3), digest });
        break;
      case 'timeout':
        plan.push({ id, kind, timeout: short(), resumes: 0, digest });
        break;
      case 'race':
        plan.push({
          id,
          kind,
          timeout: short(),
          resumes: between(1, 2),
          raceOffsetMs: between(-40, 40),
          digest,
        });
        break;
      case 'superseded':
        plan.push({
          id,
          kind,
          timeout: withInput({ durationMs: between(1500, 2000), action }, false),
          resumes: between(1, 2),
          digest,
        });
        break;
      case 'closed':
        plan.push({ id, kind, ...(random() < 0.5 ? { timeout: short() } : {}), resumes: 1, digest });
        break;
      default: {
        const unknown: never = kind;
        throw new Error(`unknown kind ${String(unknown)}`);
      }
    }
  }
  return plan;
}

function withInput(timeout: PlannedTimeout, input: boolean): PlannedTimeout {
  return timeout.action === 'resume_with_input' && input
    ? { ...timeout, input: 'timed out: continue with the defaults' }
    : timeout;
}
