// The post-commit effects (an outbox's entries) as BullMQ calls. Each is idempotent: job ids are
// derived, so the committing consumer, a redelivered job and the reconciler may all run them. The
// kernel settles the outbox only once they are acknowledged.

import type { RedisClient } from 'bullmq';
import { jobIds } from './policy/ids.js';
import { respawnInitiator } from './policy/resume.js';
import type { Effect, WorkerRecord } from './policy/types.js';
import type { QueueSet } from './queues/queues.js';

export class EffectRunner {
  constructor(
    private readonly queues: QueueSet,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Writes every job-queue effect to the queues' connection, then asks for `settle` (a store
   * script sent on the same connection after them) without waiting in between: Redis runs them in
   * that order, and they cost one round trip of time. Resolves with the settle's reply; rejects
   * with an effect's error.
   */
  async runThenSettle(
    record: WorkerRecord,
    effects: readonly Effect[],
    settle: () => Promise<number>,
  ): Promise<number> {
    const adds = this.send(await this.queues.client(record.id), record, effects);
    const [, settled] = await Promise.all([Promise.all(adds), settle()]);
    return settled;
  }

  /** Sends every job-queue effect at once; PostResume is the kernel's (it needs the hooks). */
  async run(record: WorkerRecord, effects: readonly Effect[]): Promise<void> {
    await Promise.all(this.send(await this.queues.client(record.id), record, effects));
  }

  /** Writes the effects' job adds now, in order (BullMQ writes an add before its first await). */
  private send(client: RedisClient, record: WorkerRecord, effects: readonly Effect[]): Promise<string>[] {
    const adds: Promise<string>[] = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'armTimeout':
          adds.push(
            this.queues.sendTimeout(
              client,
              { workerId: record.id, epoch: effect.epoch },
              jobIds.timeout(record.id, effect.epoch),
              Math.max(0, effect.dueAtMs - this.now()),
            ),
          );
          break;
        case 'respawn':
          adds.push(
            this.queues.sendRespawn(
              client,
              { workerId: record.id, version: record.version, initiator: respawnInitiator(record) },
              jobIds.respawn(record.id, record.version),
            ),
          );
          break;
        case 'postResume':
          break;
        default: {
          const unknown: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
        }
      }
    }
    return adds;
  }
}
