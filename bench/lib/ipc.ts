// Messages between the bench orchestrator and its child processes (Node IPC channel).

import type { CommandCounts } from './round-trips.js';

export type ParentMessage =
  | { type: 'stats'; requestId: number }
  | { type: 'profile-start'; requestId: number; intervalUs: number }
  | { type: 'profile-stop'; requestId: number; path: string }
  | { type: 'stop' };

export interface ChildStats {
  /** Client-side counters of every Redis connection the child opened, by connection name. */
  redis: Record<string, CommandCounts>;
  /** process.cpuUsage() in microseconds since the child started. */
  cpuUserUs: number;
  cpuSystemUs: number;
  atMs: number;
  /** Event-loop delay since the previous stats request (perf_hooks, 10 ms resolution), in ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export type ChildMessage =
  | { type: 'ready'; pid: number }
  | { type: 'stats'; requestId: number; stats: ChildStats }
  | { type: 'done'; requestId: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
