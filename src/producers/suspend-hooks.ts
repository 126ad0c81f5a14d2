// PreSuspend / PostSuspend hooks on the suspend path (Harn §2a). PreSuspend may block the suspend
// or rewrite its reason; PostSuspend is advisory: its failures are logged, the suspend stands.

import type { Logger } from 'pino';
import { type LifecycleHook, runHookChain } from '../lib/policy/hooks.js';
import type { JsonValue, SuspendInitiator } from '../lib/policy/types.js';

export interface PreSuspendPayload {
  event: 'PreSuspend';
  worker: { id: string };
  reason: string;
  initiator: SuspendInitiator;
  conditions: JsonValue;
}

export interface PostSuspendPayload {
  event: 'PostSuspend';
  worker: { id: string };
  reason: string;
  snapshot_path: string | null;
}

export interface SuspendHooks {
  preSuspend?: LifecycleHook<PreSuspendPayload>[];
  postSuspend?: LifecycleHook<PostSuspendPayload>[];
}

export type PreSuspendResult = { kind: 'allow'; reason: string } | { kind: 'block'; reason: string };

export async function runPreSuspend(
  hooks: SuspendHooks,
  payload: PreSuspendPayload,
): Promise<PreSuspendResult> {
  const list = hooks.preSuspend ?? [];
  if (list.length === 0) return { kind: 'allow', reason: payload.reason };
  const result = await runHookChain(list, payload, 'PreSuspend');
  if (result.kind === 'block') return result;
  // A modify payload replaces the whole payload; only its `reason` (when a string) is used.
  const modified = result.payload as { reason?: unknown };
  return { kind: 'allow', reason: typeof modified.reason === 'string' ? modified.reason : payload.reason };
}

export async function runPostSuspend(
  hooks: SuspendHooks,
  payload: PostSuspendPayload,
  logger: Logger,
): Promise<void> {
  for (const hook of hooks.postSuspend ?? []) {
    try {
      await hook(payload);
    } catch (err) {
      logger.warn({ workerId: payload.worker.id, err }, 'PostSuspend hook failed; the suspend stands');
    }
  }
}
