// Scenario sizes: `full` for `npm run chaos`, `reduced` for `npm test` (test/chaos/chaos.test.ts).
// Consumer settings: lockDuration = stalledInterval = S (the consumer sets both from
// STALLED_INTERVAL_MS): a SIGKILLed consumer's job lock lapses within S and the next stall check but
// one moves it back to wait, so it is taken over in about 2S; S = 2.5 s keeps that well under 10 s.

import type { ConsumerSettings } from './env.js';
import type { LoadSize } from './scenarios/load.js';
import type { Size } from './types.js';

const FULL_CONSUMER: ConsumerSettings = {
  concurrency: 16,
  lockTtlMs: 2500,
  stalledIntervalMs: 2500,
  reconcileIntervalMs: 1000,
};
const REDUCED_CONSUMER: ConsumerSettings = {
  concurrency: 8,
  lockTtlMs: 2000,
  stalledIntervalMs: 2000,
  reconcileIntervalMs: 500,
};

export function loadSize(
  size: Size,
  overrides: Partial<LoadSize> = {},
  stalledIntervalMs?: number,
): LoadSize {
  const base: LoadSize =
    size === 'full'
      ? {
          suspensions: 5000,
          driveMs: 30_000,
          consumers: 4,
          settings: FULL_CONSUMER,
          quiesceTimeoutMs: 180_000,
        }
      : {
          suspensions: 300,
          driveMs: 8_000,
          consumers: 3,
          settings: REDUCED_CONSUMER,
          quiesceTimeoutMs: 60_000,
        };
  const settings = stalledIntervalMs
    ? { ...base.settings, stalledIntervalMs, lockTtlMs: stalledIntervalMs }
    : base.settings;
  return { ...base, settings, ...overrides };
}
