// The post-commit effects (an outbox's entries) as BullMQ calls. Each is idempotent: job ids are
// derived, so the committing consumer, a redelivered job and the reconciler may all run them. The
// kernel settles the outbox only once they are acknowledged.

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
    const client = await this.queues.client(record.id);
    // The adds are written now, in this order; the settle (the store's) goes out after them.
    const adds: Promise<string>[] = [];
    for (const effect of effects) {
      if (effect.kind === 'armTimeout')
        adds.push(
          this.queues.sendTimeout(
            client,
            { workerId: record.id, epoch: effect.epoch },
            jobIds.timeout(record.id, effect.epoch),
            Math.max(0, effect.dueAtMs - this.now()),
          ),
        );
      else if (effect.kind === 'respawn')
        adds.push(
          this.queues.sendRespawn(
            client,
            { workerId: record.id, version: record.version, initiator: respawnInitiator(record) },
            jobIds.respawn(record.id, record.version),
          ),
        );
    }
    const [, settled] = await Promise.all([Promise.all(adds), settle()]);
    return settled;
  }

  /** Sends every job-queue effect at once; PostResume is the kernel's (it needs the hooks). */
  run(record: WorkerRecord, effects: readonly Effect[]): Promise<unknown> {
    const sent: Promise<void>[] = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'armTimeout':
          sent.push(
            this.queues.addTimeout(
              { workerId: record.id, epoch: effect.epoch },
              jobIds.timeout(record.id, effect.epoch),
              Math.max(0, effect.dueAtMs - this.now()),
            ),
          );
          break;
        case 'respawn':
          sent.push(
            this.queues.addRespawn(
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
    return sent.length === 1 ? (sent[0] as Promise<void>) : Promise.all(sent);
  }
}
