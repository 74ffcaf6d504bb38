/**
 * Messages for one profiled printer as classes a fuzzer draws from: valid
 * readings across the storable range, raw JSON with duplicate keys, long and
 * unicode strings, batches with bad elements, and payloads that must be
 * refused whole (unstorable or non-finite numbers, deep nesting, bad ids).
 * Each message says which values it must apply, in order, so that the
 * product can be checked against the independent model (`model.ts`).
 */
import fc from 'fast-check';
import { isStorableNumber } from '../../contract/index.ts';
import { extremeNumber } from './invalid-payloads.ts';

/** A message as raw JSON text, and the values it must apply (empty: refused, or nothing valid in it). */
export interface HostileMessage {
  readonly kind: string;
  readonly text: string;
  readonly applies: readonly number[];
}

/** `depth` nested arrays or objects around `core`, as raw JSON text (built without recursion). */
export function nested(depth: number, shape: 'array' | 'object' | 'mixed', core: string): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    const array = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
    open.push(array ? '[' : '{"a":');
    close.push(array ? ']' : '}');
  }
  return `${open.join('')}${core}${close.reverse().join('')}`;
}

const json = JSON.stringify;

/** Values a valid reading may carry: near the bounds the fuzzers use, and across the storable range. */
export const storableValue = fc
  .oneof(fc.integer({ min: -15, max: 15 }), fc.double({ min: -20, max: 20, noNaN: true }), extremeNumber)
  .filter(isStorableNumber)
  .map((v) => (Object.is(v, -0) ? 0 : v));

/** Numbers a reading may not carry, as JSON literals: beyond storage, non-finite, or not numbers at all. */
const unstorableLiteral = fc.oneof(
  extremeNumber.filter((v) => !isStorableNumber(v)).map((v) => json(v)),
  fc.constantFrom('1e400', '-1e999', '5e-324', '1.7976931348623157e308', '-1e300', '1e126', '"12"', 'true', 'null', '[]', '{}'),
);

/** Strings a printer might put in fields nobody reads: long, unicode, control characters, lone surrogates. */
const strangeString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('\u0000', '\u202e\u202d', '💥'.repeat(500), '\ud800', 'é'.repeat(1500)),
);

/** Messages for printer `id` (whose profile exists). */
export function hostileMessage(id: string): fc.Arbitrary<HostileMessage> {
  const P = json(id);
  const valid = fc.tuple(storableValue, fc.option(strangeString, { nil: undefined })).map(
    ([v, note]): HostileMessage => ({
      kind: 'valid',
      text: `{"PrinterId":${P},"data":{"value":${json(v)}}${note === undefined ? '' : `,"note":${json(note)}`}}`,
      applies: [v],
    }),
  );
  // The last of duplicate keys is what JSON gives (ECMA-404 leaves it open; JSON.parse and Python take the last).
  const duplicateKeys = fc.oneof(
    fc.tuple(unstorableLiteral, storableValue).map(([first, v]) => ({
      kind: 'duplicate data',
      text: `{"PrinterId":${P},"data":{"value":${first}},"data":{"value":${json(v)}}}`,
      applies: [v],
    })),
    fc.tuple(storableValue, unstorableLiteral).map(([v, last]) => ({
      kind: 'duplicate value',
      text: `{"PrinterId":${P},"data":{"value":${json(v)},"value":${last}}}`,
      applies: [],
    })),
    fc.tuple(strangeString, storableValue).map(([other, v]) => ({
      kind: 'duplicate id',
      text: `{"PrinterId":${json(other)},"PrinterId":${P},"data":{"value":${json(v)}}}`,
      applies: [v],
    })),
  );
  const refused = fc.oneof(
    unstorableLiteral.map((literal) => ({ kind: 'bad value', text: `{"PrinterId":${P},"data":{"value":${literal}}}`, applies: [] })),
    fc
      .tuple(fc.integer({ min: 50, max: 60_000 }), fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array'>)
      .map(([depth, shape]) => ({
        kind: 'deep',
        // Within 8 KB once wrapped as data: a reading's data must be an object of numbers.
        text: `{"PrinterId":${P},"data":${nested(Math.min(depth, 1_300), shape, '1')}}`,
        applies: [],
      })),
    fc.integer({ min: 1, max: 60_000 }).map((depth) => ({ kind: 'deep whole', text: nested(depth, 'array', json(id)), applies: [] })),
    fc
      .tuple(fc.string({ minLength: 129, maxLength: 400 }), storableValue)
      .map(([long, v]) => ({ kind: 'long id', text: `{"PrinterId":${json(long)},"data":{"value":${json(v)}}}`, applies: [] })),
    fc.tuple(storableValue, fc.integer({ min: 8_200, max: 20_000 })).map(([v, size]) => ({
      kind: 'over 8 KB',
      text: `{"PrinterId":${P},"data":{"value":${json(v)}},"pad":"${'é'.repeat(size / 2)}"}`,
      applies: [],
    })),
  );
  const element = fc.oneof(
    storableValue.map((v) => ({ text: `{"data":{"value":${json(v)}}}`, applies: [v] })),
    unstorableLiteral.map((literal) => ({ text: `{"data":{"value":${literal}}}`, applies: [] as number[] })),
    fc
      .constantFrom('5', 'null', '"x"', '[]', `{"PrinterId":${P},"data":{"value":1}}`, '{"data":{"value":1},"seq":-1}', '{}')
      .map((text) => ({
        text,
        applies: [] as number[],
      })),
    fc
      .tuple(storableValue, storableValue)
      .map(([a, b]) => ({ text: `{"data":{"value":${json(a)}},"data":{"value":${json(b)}}}`, applies: [b] })),
  );
  const batch = fc.array(element, { minLength: 1, maxLength: 40 }).map((elements) => ({
    kind: 'batch',
    text: `{"PrinterId":${P},"readings":[${elements.map((e) => e.text).join(',')}]}`,
    applies: elements.flatMap((e) => e.applies),
  }));
  // A single reading over 8 KB is refused whatever it holds (a long note can take it there).
  const single = fc.oneof(valid, duplicateKeys).map((m) => (Buffer.byteLength(m.text) > 8_192 ? { ...m, applies: [] } : m));
  return fc.oneof(single, refused, batch);
}
