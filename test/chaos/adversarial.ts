// Random and adversarial values for the bad-input scenario (fast-check arbitraries): JS values a
// caller could pass (symbols, functions, Maps, BigInts, boxed values, sparse arrays, circular
// objects), numbers at the edges, strings that are blank to Harn but not to JS, lone surrogates,
// huge strings, deep nesting and prototype-pollution keys.

import fc from 'fast-check';

const HUGE = [100_001, 1_000_001, 3_000_000].flatMap((n) => ['x'.repeat(n), 'é'.repeat(n), ' '.repeat(n)]);

export function nest(depth: number, leaf: unknown = 'leaf', asObject = false): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = asObject ? { k: v } : [v];
  return v;
}

/** An object with an own enumerable `__proto__` key (what JSON.parse makes), not a prototype change. */
export function ownProto(value: unknown, base: Record<string, unknown> = {}): Record<string, unknown> {
  const o = { ...base };
  Object.defineProperty(o, '__proto__', { value, enumerable: true, writable: true, configurable: true });
  return o;
}

const circular = () => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

export const BLANKS = ['', ' ', '\t\n', '\u3000', '\u00a0', '\u0085', '\u2028', ' \u200a '];

const specialValues: unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  2 ** 53 + 1,
  -1,
  0,
  1.5,
  1e308,
  ...BLANKS,
  '\ufeff',
  '\u0000',
  'nil',
  '__proto__',
  'constructor',
  'prototype',
  '../../etc/passwd',
  'a:b',
  '*',
  '{x}',
  '123',
  '🙂'.repeat(50),
  '\uD800',
  'x'.repeat(129),
  'w\u0301orker',
  true,
  false,
  null,
  undefined,
  [],
  {},
  [undefined],
  Symbol('s'),
  () => 1,
  new Date(0),
  new Map([[1, 2]]),
  new Set([1]),
  10n,
  Object.create(null),
  new Error('boom'),
  /re/g,
  new Uint8Array(3),
];

/** Any value at all, weighted towards the adversarial ones. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withTypedArray: true,
      withSparseArray: true,
      stringUnit: 'binary',
      maxDepth: 3,
    }),
  },
  { weight: 3, arbitrary: fc.constantFrom(...specialValues) },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 60, max: 3000 }), fc.boolean()).map(([d, o]) => nest(d, 'leaf', o)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      JSON.parse('{"__proto__":{"polluted":1}}') as unknown,
      JSON.parse('{"constructor":{"prototype":{"polluted":1}}}') as unknown,
      JSON.parse('{"a":{"__proto__":{"polluted":1}}}') as unknown,
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).map(circular) },
);

/** JSON-safe values only (what can travel through a queue payload). */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      ...specialValues.filter(
        (v) =>
          v === null ||
          ['string', 'number', 'boolean'].includes(typeof v) ||
          (Array.isArray(v) && v.length === 0) ||
          (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype),
      ),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE.filter((s) => s.length < 2_000_000)) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 1000 }).map((d) => nest(d)) },
  { weight: 1, arbitrary: fc.constantFrom(ownProto({ polluted: 1 }), ownProto('x', { a: 1 })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Strings or anything: a field that should be a string. */
export const stringish = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), anyValue);
export const numberish = fc.oneof(
  fc.integer({ min: -10, max: 10_000_000 }),
  fc.double(),
  fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53 + 1, '5', 1.5, 0),
  anyValue,
);
