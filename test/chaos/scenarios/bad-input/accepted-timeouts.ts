// Part C of the bad-input scenario: what suspend accepts as a timeout must be able to end the
// suspension; what it refuses must leave the worker untouched.

import fc from 'fast-check';
import { BLANKS, jsonValue } from '../../adversarial.js';
import type { ChaosEnv } from '../../env.js';
import { quiesce } from '../../quiesce.js';
import { describe, typedCode } from './fixtures.js';

export interface LiveOutcome {
  tried: number;
  accepted: number;
  refused: number;
  stranded: string[];
  refusalChanged: string[];
  untyped: string[];
}

/** Part C: whatever suspend accepts as a timeout must be able to end the suspension. */
export async function acceptedTimeoutsFire(env: ChaosEnv, count: number, seed: number): Promise<LiveOutcome> {
  const inputs = fc.oneof(
    fc.constantFrom<unknown>(
      ...BLANKS,
      'ok',
      0,
      false,
      {},
      [],
      [''],
      { a: '' },
      '🙂',
      '\uD800',
      'x'.repeat(100_000),
    ),
    jsonValue,
  );
  const samples = fc.sample(
    fc.record({
      action: fc.constantFrom('resume_with_input', 'resume_with_summary', 'fail'),
      input: fc.oneof(fc.constant(undefined), inputs),
      ms: fc.integer({ min: 50, max: 400 }),
    }),
    { numRuns: count, seed },
  );
  const out: LiveOutcome = {
    tried: 0,
    accepted: 0,
    refused: 0,
    stranded: [],
    refusalChanged: [],
    untyped: [],
  };
  const accepted: { id: string; desc: string }[] = [];
  for (const [i, s] of samples.entries()) {
    const id = `live-${i}`;
    await env.producer.registerWorker({ id, name: id, task: 'work' });
    const timeout: Record<string, unknown> = { duration_ms: s.ms, on_timeout: s.action };
    if (s.input !== undefined) timeout.input = s.input;
    out.tried += 1;
    try {
      await env.producer.suspend(id, { reason: 'bad input', conditions: { timeout } as never });
      out.accepted += 1;
      accepted.push({ id, desc: describe(timeout) });
    } catch (err) {
      out.refused += 1;
      if (!typedCode(err))
        out.untyped.push(`suspend(${describe(timeout)}) threw ${String(err).slice(0, 160)}`);
      const r = await env.producer.getRecord(id);
      if (r?.status !== 'running' || r.version !== 1)
        out.refusalChanged.push(`${id}: ${r?.status} v${r?.version}`);
    }
  }
  await quiesce(env, { workerIds: accepted.map((a) => a.id), idle: () => true, timeoutMs: 30_000 });
  for (const a of accepted) {
    const r = await env.producer.getRecord(a.id);
    if (r?.status === 'suspended')
      out.stranded.push(`${a.id} timeout ${a.desc}: still suspended, nothing armed`);
  }
  return out;
}
