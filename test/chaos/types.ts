// Shapes shared by the chaos harness: a scenario's result is its figures plus named checks.

export type Severity = 'fail' | 'warn';

export interface Check {
  id: string;
  ok: boolean;
  /** `fail` checks decide the exit code; `warn` checks are reported only. */
  severity: Severity;
  detail: string;
  /** A few offending items (worker ids, job ids), enough to start a reproduction. */
  examples?: string[];
}

export type Figure = number | string | boolean | null | { [key: string]: Figure } | Figure[];

export interface ScenarioResult {
  name: string;
  title: string;
  ok: boolean;
  durationMs: number;
  params: Record<string, Figure>;
  figures: Record<string, Figure>;
  checks: Check[];
  /** Set when the scenario itself crashed (harness or infrastructure), as opposed to a failed check. */
  error?: string;
}

export type Size = 'full' | 'reduced';

/** What a scenario runs against: one redis-server (the default), or a private 3-master Redis Cluster. */
export type ChaosTarget = 'server' | 'cluster';
export const ANY_TARGET: readonly ChaosTarget[] = ['server', 'cluster'];
export const SERVER_ONLY: readonly ChaosTarget[] = ['server'];

export interface RunContext {
  size: Size;
  seed: number;
  /** Overrides STALLED_INTERVAL_MS (= BullMQ lockDuration and stalledInterval) of the load scenarios. */
  stalledIntervalMs?: number | undefined;
  target: ChaosTarget;
  log(message: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  /**
   * The targets the scenario can run on. One that needs a single server (it stops, kills or proxies
   * Redis itself, or snapshots one server's keyspace) lists only `server`, and says why in `serverOnly`.
   */
  targets: readonly ChaosTarget[];
  serverOnly?: string;
  run(ctx: RunContext): Promise<ScenarioResult>;
}

export const check = (
  id: string,
  ok: boolean,
  detail: string,
  examples: readonly string[] = [],
  severity: Severity = 'fail',
): Check => ({
  id,
  ok,
  severity,
  detail,
  ...(examples.length > 0 ? { examples: examples.slice(0, 5) } : {}),
});
