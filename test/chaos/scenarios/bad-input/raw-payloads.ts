// Part B of the bad-input scenario: random and mutated payloads put straight on the resume and
// timeout queues, for real consumer processes. A malformed job fails once (non-retryable,
// RP-INVALID-JOB naming the problem) and stays in the failed set; nothing else changes.

import type { Job, Queue } from 'bullmq';
import fc from 'fast-check';
import { ResumeJobSchema, TimeoutJobSchema } from '../../../../src/lib/queues/catalog.js';
import { jsonValue, nest, ownProto } from '../../adversarial.js';
import type { ChaosEnv } from '../../env.js';
import { until } from '../../processes.js';
import { describe, Fixtures, snapshot } from './fixtures.js';

export interface RawOutcome {
  added: number;
  valid: number;
  invalid: number;
  failedOnce: number;
  keptFailed: number;
  problems: string[];
}

const VALID_OPTIONS = {
  inputPresent: true,
  input: 'x',
  continueTranscript: true,
  initiator: null,
  triggerEvent: null,
};

function mutate(base: Record<string, unknown>, path: string, value: unknown, drop: boolean): unknown {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (head === '__proto__') return ownProto(value, copy);
  if (!tail) {
    if (drop) delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const inner = (copy[head] ?? {}) as Record<string, unknown>;
  if (tail === '__proto__') copy[head] = ownProto(value, inner);
  else if (drop) delete inner[tail];
  else inner[tail] = value;
  return copy;
}

/** Part B: raw payloads straight onto the queues, consumed by real consumer processes. */
export async function rawPayloads(env: ChaosEnv, count: number, seed: number): Promise<RawOutcome> {
  const fixtures = new Fixtures(env.producer);
  await fixtures.init();
  const target = fixtures.ids.get('suspendedTimeout') as string;
  const epoch = (await env.producer.getWorker(target))?.suspension?.epoch ?? 2;
  const resumeBase = { workerId: target, options: VALID_OPTIONS, requestedAtMs: Date.now() };
  const timeoutBase = { workerId: target, epoch };
  const resumePaths = [
    'workerId',
    'options',
    'options.input',
    'options.inputPresent',
    'options.continueTranscript',
    'options.initiator',
    'options.triggerEvent',
    'options.__proto__',
    'requestedAtMs',
    'idempotencyKey',
    'idempotencyTtlMs',
    'expectEpoch',
    'retries',
    '__proto__',
    'extra',
  ];
  const timeoutPaths = ['workerId', 'epoch', 'retries', '__proto__', 'extra'];
  const payload = (base: Record<string, unknown>, paths: string[]) =>
    fc.oneof(
      { weight: 1, arbitrary: jsonValue },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.constantFrom(...paths), jsonValue, fc.integer({ min: 0, max: 9 }))
          .map(([p, v, n]) => mutate(base, p, v, n < 3)),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          nest(200, base),
          { ...base, workerId: 'ü'.repeat(50) },
          ownProto({ polluted: true }, base),
        ),
      },
    );
  const before = await snapshot(env, fixtures.all());
  const jobs: { queue: Queue; id: string; valid: boolean; data: unknown }[] = [];
  const plan: [
    Queue,
    Record<string, unknown>,
    string[],
    typeof ResumeJobSchema | typeof TimeoutJobSchema,
    number,
  ][] = [
    // The target's partition: the queues its consumers take a payload about it from.
    [env.queues.of(target).resume, resumeBase, resumePaths, ResumeJobSchema, count],
    [env.queues.of(target).timeout, timeoutBase, timeoutPaths, TimeoutJobSchema, Math.ceil(count / 2)],
  ];
  for (const [queue, base, paths, schema, n] of plan) {
    const samples = fc.sample(payload(base, paths), { numRuns: n, seed });
    for (const [i, sample] of samples.entries()) {
      const wire = JSON.parse(JSON.stringify(sample ?? null)) as unknown;
      const valid = schema.safeParse(wire).success;
      // A payload that happens to be valid goes to a worker that does not exist: it must answer
      // "unknown worker" and touch nothing, so the fixtures stay comparable.
      const data = valid ? { ...(wire as Record<string, unknown>), workerId: `ghost-${i}` } : wire;
      const id = `raw-${queue.name}-${i}`;
      await queue.add(queue.name, data, { jobId: id, attempts: 5, backoff: { type: 'fixed', delay: 10 } });
      jobs.push({ queue, id, valid, data });
    }
  }
  const finished = await until(
    async () => {
      for (const j of jobs) {
        const state = await j.queue.getJobState(j.id);
        if (state !== 'completed' && state !== 'failed') return false;
      }
      return true;
    },
    120_000,
    500,
  );
  const out: RawOutcome = {
    added: jobs.length,
    valid: 0,
    invalid: 0,
    failedOnce: 0,
    keptFailed: 0,
    problems: [],
  };
  if (!finished) out.problems.push('not every raw job finished within 120 s');
  for (const j of jobs) {
    const job = (await j.queue.getJob(j.id)) as Job | undefined;
    const state = await j.queue.getJobState(j.id);
    if (j.valid) {
      out.valid += 1;
      if (state !== 'completed')
        out.problems.push(`${j.id} (valid payload) ended ${state}: ${job?.failedReason}`);
      continue;
    }
    out.invalid += 1;
    if (state === 'failed') out.keptFailed += 1;
    const clean =
      state === 'failed' &&
      job?.attemptsMade === 1 &&
      /^RP-INVALID-JOB: .+ invalid payload: .+/.test(job.failedReason ?? '');
    if (clean) out.failedOnce += 1;
    else
      out.problems.push(
        `${j.id} ${describe(j.data)}: ${state}, attempts ${job?.attemptsMade}, reason ${job?.failedReason?.slice(0, 160)}`,
      );
  }
  const after = await snapshot(env, fixtures.all());
  const changed = [...before]
    .filter(([k, v]) => k !== 'queues' && k !== 'global' && after.get(k) !== v)
    .map(([k]) => k);
  if (changed.length > 0) out.problems.push(`raw jobs changed fixtures: ${changed.join(', ')}`);
  return out;
}
