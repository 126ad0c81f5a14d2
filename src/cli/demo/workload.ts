// Drives the planned workload through the producer API: register, suspend (arming timeouts), then
// send the resume requests: duplicates at once, racing ones at the deadline, one after a close.

import { type SerializedError, serializeError } from '../../lib/errors.js';
import type { JsonValue, TimeoutAction } from '../../lib/policy/types.js';
import type { Producer, ResumeTicket } from '../../producers/types.js';
import type { PlannedWorker, WorkerKind } from './plan.js';

export interface SentRequest {
  workerId: string;
  kind: WorkerKind;
  ticket?: ResumeTicket;
  /** The producer refused the request (it never reached a queue). */
  error?: SerializedError;
}

export interface ArmedTimeout {
  workerId: string;
  epoch: number;
  deadlineMs: number;
  action: TimeoutAction;
}

export interface WorkloadResult {
  requests: SentRequest[];
  armed: ArmedTimeout[];
}

/** Workers set up at once: enough to keep three consumers busy without queueing in the client. */
const PARALLEL = 32;

export async function runWorkload(
  producer: Producer,
  plan: readonly PlannedWorker[],
): Promise<WorkloadResult> {
  const requests: SentRequest[] = [];
  const armed: ArmedTimeout[] = [];
  const later: Promise<void>[] = [];

  const send = async (w: PlannedWorker) => {
    const input: JsonValue = w.digest
      ? { input: `continue ${w.id}: next step`, continue_transcript: false }
      : `continue ${w.id}: next step`;
    // All copies leave together: duplicates race each other through the queue and the lock.
    const sent = await Promise.all(
      Array.from({ length: w.resumes }, () =>
        producer.resume(w.id, input).then(
          (ticket): SentRequest => ({ workerId: w.id, kind: w.kind, ticket }),
          (err: unknown): SentRequest => ({ workerId: w.id, kind: w.kind, error: serializeError(err) }),
        ),
      ),
    );
    requests.push(...sent);
  };

  const drive = async (w: PlannedWorker) => {
    await producer.registerWorker({
      id: w.id,
      name: `demo ${w.kind}`,
      task: `demo task of ${w.id}`,
      transcript: {
        messages: [
          { role: 'user', content: `work on ${w.id}` },
          { role: 'assistant', content: 'started; waiting for input before the next step' },
        ],
      },
    });
    const t = w.timeout;
    const conditions: JsonValue | undefined = t
      ? {
          timeout: {
            duration_ms: t.durationMs,
            on_timeout: t.action,
            ...(t.input === undefined ? {} : { input: t.input }),
          },
        }
      : undefined;
    const summary = await producer.suspend(w.id, {
      reason: `demo: ${w.kind}`,
      ...(conditions === undefined ? {} : { conditions }),
    });
    const s = summary.suspension;
    if (t && s?.deadline_ms !== undefined) {
      armed.push({ workerId: w.id, epoch: s.epoch, deadlineMs: s.deadline_ms, action: t.action });
    }
    switch (w.kind) {
      case 'timeout':
        return;
      case 'closed':
        await producer.close(w.id);
        await send(w);
        return;
      case 'race': {
        // Not awaited here: the slot is freed while this worker waits for its deadline.
        const wait = Math.max(0, (s?.deadline_ms ?? Date.now()) + (w.raceOffsetMs ?? 0) - Date.now());
        later.push(sleep(wait).then(() => send(w)));
        return;
      }
      default:
        await send(w);
    }
  };

  await inParallel(plan, PARALLEL, drive);
  await Promise.all(later);
  return { requests, armed };
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
