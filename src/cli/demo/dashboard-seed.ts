// Demo data for the dashboard (`demo --serve`, the screenshots script, the browser test): workers
// suspended for different reasons, some with deadlines ahead, some overdue, one waiting for an
// event, some with no timeout, and one with a resume behind it (so its page has a continuity
// payload and a longer timeline).
//
// Overdue workers need a consumer that does not resume them when their timeout fires: the demo's
// consumer runs `reviewGate`, a PreResume hook that blocks an input-less resume (what a timeout's
// resume_with_summary is) of a `review-` worker. The timeout fires, is blocked, the worker stays
// suspended past its deadline (the reconciler fires it again now and then, blocked again) until an
// operator resumes it with input.

import type { JsonValue, PreResumePayload } from '../../lib/policy/types.js';
import type { Producer } from '../../producers/types.js';

export const REVIEW_PREFIX = 'review-';

/** PreResume hook: a `review-` worker is resumed by a person's input, never by its timeout alone. */
export function reviewGate(payload: PreResumePayload): { block: true; reason: string } | undefined {
  if (payload.resume_input !== null || !payload.worker.id.startsWith(REVIEW_PREFIX)) return undefined;
  return { block: true, reason: 'a review needs a person: resume it with the reviewer’s answer' };
}

interface Seed {
  id: string;
  name: string;
  reason: string;
  initiator?: 'self' | 'parent' | 'operator';
  conditions?: JsonValue;
}

const MIN = 60_000;

const SEEDS: Seed[] = [
  ...[1, 2, 3].map((n) => ({
    id: `${REVIEW_PREFIX}pr-${40 + n}`,
    name: 'code reviewer',
    reason: 'waiting for code review',
    initiator: 'self' as const,
    conditions: { timeout: { duration_ms: 500 * n, on_timeout: 'resume_with_summary' } },
  })),
  {
    id: 'approval-refund-118',
    name: 'refund agent',
    reason: 'needs approval',
    initiator: 'self',
    conditions: { timeout: { duration_ms: 12 * MIN, on_timeout: 'fail' } },
  },
  {
    id: 'approval-refund-121',
    name: 'refund agent',
    reason: 'needs approval',
    initiator: 'self',
    conditions: {
      timeout: {
        duration_ms: 47 * MIN,
        on_timeout: 'resume_with_input',
        input: 'no answer: refund declined',
      },
    },
  },
  {
    id: 'approval-vendor-7',
    name: 'procurement agent',
    reason: 'needs approval',
    initiator: 'parent',
    conditions: { timeout: { duration_ms: 26 * 60 * MIN, on_timeout: 'fail' } },
  },
  {
    id: 'deploy-api-981',
    name: 'release agent',
    reason: 'waiting for deploy',
    initiator: 'self',
    conditions: { on_event: 'deploy.finished', timeout: { duration_ms: 95 * MIN } },
  },
  { id: 'ask-human-onboarding', name: 'onboarding agent', reason: 'asked a human', initiator: 'self' },
  { id: 'ask-human-invoice-33', name: 'billing agent', reason: 'asked a human' },
];

const transcript = (id: string): JsonValue => ({
  messages: [
    { role: 'user', content: `Work on ${id}.` },
    { role: 'assistant', content: 'Looked into it; drafted the next step.' },
    { role: 'assistant', content: 'I need an answer before I go on, so I am parking myself.' },
  ],
});

export interface SeededWorkers {
  ids: string[];
  /** Workers whose timeout the review gate keeps from resuming them: overdue within seconds. */
  overdue: string[];
}

/**
 * Registers and suspends the demo's workers. `resumedOnce` (needs a running consumer) is resumed
 * and suspended again first, so its page shows a continuity payload.
 */
export async function seedDashboard(
  producer: Producer,
  opts: { resumedOnce?: boolean } = {},
): Promise<SeededWorkers> {
  for (const s of SEEDS) {
    await producer.registerWorker({
      id: s.id,
      name: s.name,
      task: `handle ${s.id}`,
      transcript: transcript(s.id),
    });
    if (opts.resumedOnce && s.id === 'approval-vendor-7') {
      await producer.suspend(s.id, { reason: 'asked for a quote', initiator: 'self' });
      const ticket = await producer.resume(s.id, 'the quote came in: 4,200 EUR');
      await ticket.result({ timeoutMs: 15_000 });
    }
    await producer.suspend(s.id, {
      reason: s.reason,
      ...(s.initiator ? { initiator: s.initiator } : {}),
      ...(s.conditions ? { conditions: s.conditions } : {}),
    });
  }
  return {
    ids: SEEDS.map((s) => s.id),
    overdue: SEEDS.filter((s) => s.id.startsWith(REVIEW_PREFIX)).map((s) => s.id),
  };
}
