// Part A of the bad-input scenario: fast-check properties over every producer method. Each call must
// answer with a valid result or a typed error with a code, and a refused call must change nothing.

import fc from 'fast-check';
import type { Producer } from '../../../../src/index.js';
import { WORKER_STATUSES } from '../../../../src/lib/policy/types.js';
import { anyValue, numberish, ownProto, stringish } from '../../adversarial.js';
import type { ChaosEnv } from '../../env.js';
import {
  describe,
  FixtureRef,
  Fixtures,
  isSummary,
  isTicket,
  ROLES,
  resolveRefs,
  snapshot,
  typedCode,
} from './fixtures.js';

interface MethodSpec {
  name: string;
  args: fc.Arbitrary<unknown[]>;
  call: (p: Producer, args: unknown[]) => Promise<unknown>;
  valid: (v: unknown) => boolean;
}

/** A valid argument with one field replaced by anything (or an own `__proto__` key added). */
const nearValid = (base: Record<string, unknown>, keys: string[]) =>
  fc
    .tuple(fc.constantFrom(...keys, 'extra', '__proto__'), anyValue)
    .map(([k, v]): unknown => (k === '__proto__' ? ownProto(v, base) : { ...base, [k]: v }));

function methodSpecs(): MethodSpec[] {
  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ROLES).map((role): unknown => new FixtureRef(role)) },
    { weight: 1, arbitrary: fc.uuid().map((u) => `ghost-${u}`) },
    { weight: 2, arbitrary: stringish },
  );
  const opt = <T>(a: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), a);
  const conditions = fc.oneof(
    anyValue,
    fc.record(
      {
        timeout: fc.oneof(
          anyValue,
          fc.record(
            {
              duration_ms: numberish,
              duration_minutes: numberish,
              deadline: fc.oneof(
                fc.constantFrom('2030-01-01T00:00:00Z', '2030-01-01T00:00:00', 'tomorrow'),
                numberish,
              ),
              on_timeout: fc.oneof(
                fc.constantFrom('fail', 'resume_with_summary', 'resume_with_input', 'explode'),
                anyValue,
              ),
              input: anyValue,
              extra: anyValue,
            },
            { requiredKeys: [] },
          ),
        ),
        trigger: fc.oneof(
          anyValue,
          fc.record(
            { kind: stringish, match_events: fc.oneof(fc.array(stringish), anyValue), provider: stringish },
            { requiredKeys: [] },
          ),
        ),
        on_event: fc.oneof(fc.constantFrom('ok.topic', ' ', 'bad topic!', ''), anyValue),
        other: anyValue,
      },
      { requiredKeys: [] },
    ),
  );
  const finishOpts = opt(
    fc.oneof(
      anyValue,
      nearValid({ error: 'e' }, ['expectVersion', 'error', 'graceful']),
      fc.record({ expectVersion: numberish, error: stringish, graceful: anyValue }, { requiredKeys: [] }),
    ),
  );
  return [
    {
      name: 'registerWorker',
      args: fc.tuple(
        fc.oneof(
          anyValue,
          fc
            .uuid()
            .chain((u) =>
              nearValid({ id: `reg-${u}`, name: 'n', task: 't' }, [
                'id',
                'name',
                'task',
                'mode',
                'config',
                'transcript',
                'parentWorkerId',
              ]),
            ),
          fc.record(
            {
              id: fc.oneof(
                fc.uuid().map((u) => `reg-${u}`),
                id,
              ),
              name: fc.oneof(fc.constant('n'), stringish),
              task: fc.oneof(fc.constant('t'), stringish),
              mode: fc.oneof(fc.constantFrom('workflow', 'stage', 'sub_agent', 'nope'), anyValue),
              config: anyValue,
              transcript: fc.oneof(
                anyValue,
                fc.record({
                  messages: fc.array(fc.record({ role: stringish, content: anyValue })),
                  summary: anyValue,
                }),
              ),
              parentWorkerId: id,
              extra: anyValue,
            },
            { requiredKeys: [] },
          ),
        ),
      ),
      call: (p, [a]) => p.registerWorker(a as never),
      valid: isSummary,
    },
    {
      name: 'suspend',
      args: fc.tuple(
        id,
        opt(
          fc.oneof(
            anyValue,
            nearValid({ reason: 'r', conditions: { timeout: { duration_ms: 60_000 } } }, [
              'reason',
              'initiator',
              'conditions',
              'expectVersion',
              'suspendedAtTurn',
            ]),
            fc.record(
              {
                reason: stringish,
                initiator: fc.oneof(
                  fc.constantFrom('self', 'parent', 'operator', 'triggered', 'god'),
                  anyValue,
                ),
                conditions,
                expectVersion: numberish,
                suspendedAtTurn: numberish,
              },
              { requiredKeys: [] },
            ),
          ),
        ),
      ),
      call: (p, [w, o]) => p.suspend(w as never, o as never),
      valid: isSummary,
    },
    {
      name: 'resume',
      args: fc.tuple(
        id,
        opt(
          fc.oneof(
            anyValue,
            nearValid({ input: 'go', continue_transcript: true }, [
              'input',
              'resume_input',
              'continue_transcript',
              'initiator',
              'resume_initiator',
              'trigger_event',
            ]),
            fc.record(
              {
                input: anyValue,
                resume_input: anyValue,
                continue_transcript: anyValue,
                initiator: anyValue,
                resume_initiator: anyValue,
                trigger_event: anyValue,
              },
              { requiredKeys: [] },
            ),
          ),
        ),
        opt(anyValue),
        opt(
          fc.oneof(anyValue, fc.record({ idempotencyKey: stringish, other: anyValue }, { requiredKeys: [] })),
        ),
      ),
      call: (p, [w, i, c, o]) => p.resume(w as never, i as never, c as never, o as never),
      valid: isTicket,
    },
    {
      name: 'deliverEvent',
      args: fc.tuple(
        fc.oneof(
          anyValue,
          nearValid({ provider: 'p', kind: 'no.such.topic', id: 'e1' }, [
            'provider',
            'kind',
            'id',
            'payload',
            'dedupe_key',
          ]),
          fc.record(
            {
              provider: fc.oneof(fc.constant('p'), stringish),
              kind: fc.oneof(fc.constantFrom('no.such.topic', 'bad topic'), stringish),
              id: fc.oneof(fc.constant('e1'), stringish),
              payload: anyValue,
              dedupe_key: stringish,
            },
            { requiredKeys: [] },
          ),
        ),
      ),
      call: (p, [e]) => p.deliverEvent(e as never),
      valid: (v) => Array.isArray(v) && v.every(isTicket),
    },
    {
      name: 'close',
      args: fc.tuple(id, opt(fc.oneof(anyValue, fc.record({ graceful: anyValue }, { requiredKeys: [] })))),
      call: (p, [w, o]) => p.close(w as never, o as never),
      valid: isSummary,
    },
    {
      name: 'complete',
      args: fc.tuple(id, finishOpts),
      call: (p, [w, o]) => p.complete(w as never, o as never),
      valid: isSummary,
    },
    {
      name: 'fail',
      args: fc.tuple(id, finishOpts),
      call: (p, [w, o]) => p.fail(w as never, o as never),
      valid: isSummary,
    },
    {
      name: 'getWorker',
      args: fc.tuple(id),
      call: (p, [w]) => p.getWorker(w as never),
      valid: (v) => v === null || isSummary(v),
    },
    {
      name: 'listWorkers',
      args: fc.tuple(
        opt(
          fc.oneof(
            anyValue,
            nearValid({ status: 'running' }, ['status']),
            nearValid({ reason: 'fixture', limit: 10 }, ['reason', 'limit']),
            fc.record(
              {
                status: fc.oneof(fc.constantFrom(...WORKER_STATUSES), anyValue),
                reason: anyValue,
                suspendedBefore: fc.oneof(fc.integer(), fc.date(), anyValue),
                deadlineBefore: anyValue,
                overdue: anyValue,
                orderBy: fc.oneof(fc.constantFrom('since', 'deadline'), anyValue),
                limit: fc.oneof(fc.integer({ min: -5, max: 2000 }), anyValue),
                cursor: anyValue,
              },
              { requiredKeys: [] },
            ),
          ),
        ),
      ),
      call: (p, [f]) => p.listWorkers(f as never),
      valid: (v) =>
        typeof v === 'object' &&
        v !== null &&
        Array.isArray((v as { items?: unknown }).items) &&
        (v as { items: unknown[] }).items.every(isSummary) &&
        ((v as { nextCursor?: unknown }).nextCursor === null ||
          typeof (v as { nextCursor?: unknown }).nextCursor === 'string'),
    },
    {
      name: 'extendTimeout',
      args: fc.tuple(
        id,
        fc.oneof(
          anyValue,
          nearValid({ byMs: 1000 }, ['byMs']),
          fc.record({ until: fc.oneof(fc.integer(), fc.date(), anyValue) }, { requiredKeys: [] }),
        ),
        opt(fc.oneof(anyValue, fc.record({ expectEpoch: anyValue }, { requiredKeys: [] }))),
      ),
      call: (p, [w, c, o]) => p.extendTimeout(w as never, c as never, o as never),
      valid: isSummary,
    },
    {
      name: 'cancelWait',
      args: fc.tuple(
        id,
        opt(
          fc.oneof(
            anyValue,
            fc.record(
              { conditions: fc.oneof(fc.constantFrom(['timeout'], ['trigger'], []), anyValue) },
              { requiredKeys: [] },
            ),
          ),
        ),
      ),
      call: (p, [w, o]) => p.cancelWait(w as never, o as never),
      valid: isSummary,
    },
  ];
}

export interface Tally {
  calls: number;
  valid: number;
  typed: Record<string, number>;
  untyped: string[];
  badResult: string[];
  changedOnRefusal: string[];
}

/** Part A: every producer method, no consumer running (accepted requests just stay queued). */
export async function producerMethods(
  env: ChaosEnv,
  runs: number,
  seed: number,
): Promise<Record<string, Tally>> {
  const fixtures = new Fixtures(env.producer);
  await fixtures.init();
  // A BullMQ Queue object writes its queue's meta key once, without being awaited, when first made
  // (the snapshot makes them): let those writes land before any call is judged by the key count.
  await snapshot(env, fixtures.all());
  for (
    let last = -1, now = await env.admin.dbsize();
    now !== last;
    last = now, now = await env.admin.dbsize()
  )
    await new Promise((r) => setTimeout(r, 200));
  const tallies: Record<string, Tally> = {};
  for (const spec of methodSpecs()) {
    const t: Tally = { calls: 0, valid: 0, typed: {}, untyped: [], badResult: [], changedOnRefusal: [] };
    tallies[spec.name] = t;
    await fc.check(
      fc.asyncProperty(spec.args, async (generated) => {
        const args = generated.map((a) => resolveRefs(a, fixtures));
        const ids = fixtures.all();
        const before = await snapshot(env, ids);
        t.calls += 1;
        let refused = false;
        let syncThrow = false;
        try {
          let pending: Promise<unknown>;
          try {
            pending = spec.call(env.producer, args);
          } catch (err) {
            // The API returns promises: a synchronous throw escapes callers that only use .catch().
            syncThrow = true;
            t.untyped.push(
              `${spec.name}(${describe(args)}) threw synchronously: ${String(err).slice(0, 160)}`,
            );
            pending = Promise.reject(err);
          }
          const value = await pending;
          if (spec.valid(value)) t.valid += 1;
          else t.badResult.push(`${spec.name}(${describe(args)}) returned ${describe(value)}`);
        } catch (err) {
          refused = true;
          const code = typedCode(err);
          if (code) t.typed[code] = (t.typed[code] ?? 0) + 1;
          else if (!syncThrow)
            t.untyped.push(
              `${spec.name}(${describe(args)}) threw ${err instanceof Error ? `${err.constructor.name}: ${err.message.slice(0, 160)}` : describe(err)}`,
            );
        }
        const after = await snapshot(env, ids);
        const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
        if (refused && changed.length > 0)
          t.changedOnRefusal.push(`${spec.name}(${describe(args)}) changed ${changed.join(', ')}`);
        // An accepted call may change a fixture legitimately: replace it so the next run starts clean.
        for (const role of ROLES)
          if (changed.includes(fixtures.ids.get(role) ?? '')) await fixtures.make(role);
        return true;
      }),
      { numRuns: runs, seed },
    );
  }
  return tallies;
}
