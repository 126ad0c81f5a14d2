// Post-commit effects (the outbox). Each one is idempotent, so the committing consumer, a
// redelivered job and the reconciler may all run them: the respawn job id is derived from worker
// id + version, so a repeat is a no-op in BullMQ; removals and index updates are set operations.

import type { Redis } from 'ioredis';
import { respawnPayload } from './policy/transitions.js';
import type { Effect, WorkerRecord } from './policy/types.js';
import type { QueueSet } from './queues/queues.js';
import type { KeySpace } from './store/keys.js';
import type { WorkerStore } from './store/worker-store.js';

export type PostResumeRunner = (record: WorkerRecord) => Promise<string[]>;

// Trigger index: one hash per event topic, worker id -> epoch of the suspension that waits for it.
// Only the suspension that registered an entry may drop it (a newer suspension re-registers).
const DROP_IF_EPOCH = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`;

export const deadlineMember = (workerId: string, epoch: number) => `${workerId}|${epoch}`;

export class EffectRunner {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly queues: QueueSet,
  ) {}

  /** Runs the effects in order; returns PostResume hook errors (advisory, never thrown). */
  async run(
    record: WorkerRecord,
    effects: readonly Effect[],
    postResume?: PostResumeRunner,
    fault: (point: 'after-timeout-removal' | 'after-respawn') => void = () => {},
  ): Promise<string[]> {
    let hookErrors: string[] = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'removeTimeout':
          // 0 when the job is active: then it runs and finds the epoch stale. The CAS is the guard.
          await Promise.all([
            this.queues.timeout.remove(effect.jobId),
            this.redis.zrem(this.keys.deadlines, deadlineMember(record.id, effect.epoch)),
          ]);
          fault('after-timeout-removal');
          break;
        case 'dropTrigger':
          await Promise.all(
            effect.matchEvents.map((topic) =>
              this.redis.eval(DROP_IF_EPOCH, 1, this.keys.trigger(topic), record.id, String(effect.epoch)),
            ),
          );
          break;
        case 'respawn':
          await this.queues.tasks.add('respawn', respawnPayload(record), { jobId: effect.jobId });
          fault('after-respawn');
          break;
        case 'postResume':
          if (postResume) hookErrors = await postResume(record);
          break;
        default: {
          const unknown: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
        }
      }
    }
    return hookErrors;
  }
}

/**
 * Finishes a committed record's outbox: runs its effects, indexes the record, then clears the
 * outbox at its version and drops the pending mark. Every step is idempotent, so the committing
 * consumer, a redelivered job, the reconciler and a producer about to write may all call it.
 */
export async function finishOutbox(
  store: WorkerStore,
  runner: EffectRunner,
  record: WorkerRecord,
  postResume?: PostResumeRunner,
  fault?: (point: 'after-timeout-removal' | 'after-respawn') => void,
): Promise<string[]> {
  const outbox = record.outbox;
  if (!outbox) return [];
  const errors = await runner.run(record, outbox.effects, postResume, fault);
  // Independent writes: sent together, one round trip.
  await Promise.all([
    store.syncIndex(record, { type: 'WorkerResumed' }),
    store.clearOutbox(record.id, outbox.version),
    store.client.zrem(store.keys.pending, record.id),
  ]);
  return errors;
}
