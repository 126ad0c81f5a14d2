// Whole-machine CPU time from /proc/stat, so a run can say how much of the box other processes
// (not Redis, not the bench's own processes) took while it measured. Linux only; elsewhere null.

import { readFileSync } from 'node:fs';

/** Busy CPU time of the whole machine so far, in ms (all cores summed). */
export function hostBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...; USER_HZ is 100 on Linux.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return null;
  }
}
