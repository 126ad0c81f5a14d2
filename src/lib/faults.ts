// Test-only fault injection: make a consumer process die or freeze at a named step, so chaos and
// integration tests can prove that another consumer or the reconciler finishes the work.
// Configured only by the composition root (RP_FAULTS); a library user never sees it.

export const FAULT_POINTS = [
  /** The job is taken (BullMQ's lock on it is held); the worker is not locked or read yet. */
  'before-lock',
  'after-lock',
  'after-hooks',
  'before-commit',
  /** The change, its jobs and the lock release are committed (one script); the job is not acked. */
  'after-commit',
  'before-ack',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface FaultPlan {
  action: 'crash' | 'pause';
  at: FaultPoint;
}

export type FaultHook = (point: FaultPoint) => void;

export const noFaults: FaultHook = () => {};

/** Parses `crash:after-commit` or `pause:before-commit`; the fault fires once per process. */
export function parseFaultPlan(spec: string | undefined): FaultPlan | null {
  if (!spec) return null;
  const [action, at] = spec.split(':');
  if ((action !== 'crash' && action !== 'pause') || !FAULT_POINTS.includes(at as FaultPoint)) {
    throw new Error(`RP_FAULTS must be crash|pause:<${FAULT_POINTS.join('|')}>, got "${spec}"`);
  }
  return { action, at: at as FaultPoint };
}

export function faultHook(plan: FaultPlan | null): FaultHook {
  if (!plan) return noFaults;
  let fired = false;
  return (point) => {
    if (fired || point !== plan.at) return;
    fired = true;
    // SIGKILL is a crash with no cleanup; SIGSTOP freezes every timer, like a long GC pause.
    process.kill(process.pid, plan.action === 'crash' ? 'SIGKILL' : 'SIGSTOP');
  };
}
