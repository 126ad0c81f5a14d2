// Fixtures for the bad-input properties: one live worker per status, a snapshot of everything a
// refused call must leave alone, and the predicates for "typed error" and "valid result".

import fc from 'fast-check';
import { type Producer, ResumeProcessorError } from '../../../../src/index.js';
import { WORKER_STATUSES } from '../../../../src/lib/policy/types.js';
import { allPartitions } from '../../../../src/lib/store/keys.js';
import type { ChaosEnv } from '../../env.js';

export const ROLES = ['running', 'suspendedTimeout', 'suspendedTrigger', 'cancelled', 'completed'] as const;
export type Role = (typeof ROLES)[number];
export const FIXTURE_TOPIC = 'fixture.topic.zz9';

export const typedCode = (err: unknown): string | null =>
  err instanceof ResumeProcessorError &&
  typeof err.code === 'string' &&
  /^(RP|HARN-SUS)-[A-Z0-9-]+$/.test(err.code) &&
  err.message.startsWith(err.code)
    ? err.code
    : null;

export const describe = (v: unknown) => {
  try {
    const s = fc.stringify(v);
    return s.length > 240 ? `${s.slice(0, 240)}…(${s.length} chars)` : s;
  } catch {
    return String(v);
  }
};

/** Live fixtures, one per role; a fixture a valid call changed is replaced by a fresh one. */
export class Fixtures {
  readonly ids = new Map<Role, string>();
  private n = 0;
  constructor(private readonly producer: Producer) {}

  async make(role: Role): Promise<string> {
    const id = `fx-${role}-${this.n++}`;
    await this.producer.registerWorker({ id, name: id, task: 'fixture task' });
    if (role === 'suspendedTimeout')
      await this.producer.suspend(id, { reason: 'fx', conditions: { timeout: { duration_ms: 3_600_000 } } });
    if (role === 'suspendedTrigger')
      await this.producer.suspend(id, { reason: 'fx', conditions: { on_event: FIXTURE_TOPIC } });
    if (role === 'cancelled') await this.producer.close(id);
    if (role === 'completed') await this.producer.complete(id);
    this.ids.set(role, id);
    return id;
  }

  async init(): Promise<void> {
    for (const role of ROLES) await this.make(role);
  }

  all(): string[] {
    return [...this.ids.values()];
  }
}

/**
 * Everything a refused call must leave alone, per component: each fixture's document (record, event
 * log, outbox), its status-set membership, deadline, pending mark, trigger binding and lock; the
 * partitions' indexes and the key count; the queues.
 */
export async function snapshot(env: ChaosEnv, ids: readonly string[]): Promise<Map<string, string>> {
  const { admin, keys, store } = env;
  const pipe = admin.pipeline();
  const PER_ID = 3 + WORKER_STATUSES.length;
  for (const id of ids) {
    const p = keys.partitionOf(id);
    pipe.get(keys.doc(id));
    for (const status of WORKER_STATUSES) pipe.zscore(keys.status(p, status), id);
    pipe.zscore(keys.deadlines(p), id);
    pipe.zscore(keys.pending(p), id);
    pipe.hget(keys.trigger(p, FIXTURE_TOPIC), id);
  }
  for (const p of allPartitions(keys)) {
    pipe.zcard(keys.deadlines(p));
    pipe.zcard(keys.pending(p));
    pipe.hgetall(keys.trigger(p, FIXTURE_TOPIC));
  }
  pipe.dbsize();
  const replies = (await pipe.exec()) ?? [];
  const out = new Map<string, string>();
  const locks = await Promise.all(ids.map((id) => admin.exists(store.workerKeys(id).lock)));
  ids.forEach((id, i) => {
    out.set(id, JSON.stringify([...replies.slice(i * PER_ID, (i + 1) * PER_ID).map(([, v]) => v), locks[i]]));
  });
  out.set('global', JSON.stringify(replies.slice(ids.length * PER_ID).map(([, v]) => v)));
  const counts = await Promise.all(
    env
      .partitions()
      .flatMap((q) => [
        q.resume.getJobCounts('waiting', 'delayed', 'prioritized'),
        q.timeout.getJobCounts('waiting', 'delayed', 'prioritized'),
      ]),
  );
  out.set('queues', JSON.stringify(counts));
  return out;
}

export const isSummary = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { id?: unknown }).id === 'string' &&
  (WORKER_STATUSES as readonly unknown[]).includes((v as { status?: unknown }).status) &&
  Number.isInteger((v as { version?: unknown }).version);
export const isTicket = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { jobId?: unknown }).jobId === 'string' &&
  typeof (v as { result?: unknown }).result === 'function';

/** Stands for "the current fixture of this role"; resolved right before the call. */
export class FixtureRef {
  constructor(readonly role: Role) {}
}

export function resolveRefs(value: unknown, fixtures: Fixtures, depth = 0): unknown {
  if (value instanceof FixtureRef) return fixtures.ids.get(value.role);
  if (depth >= 2 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, fixtures, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (o[key] instanceof FixtureRef) o[key] = resolveRefs(o[key], fixtures, depth + 1);
  return o;
}
