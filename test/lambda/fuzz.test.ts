/**
 * Fuzzing the handler: thousands of arbitrary and adversarial
 * payloads against the real embedded DynamoDB. Whatever arrives, the handler
 * never throws, never changes a profile, never creates an item, and counts
 * each bad payload as invalid.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorableNumber } from '../../contract/index.ts';
import { CONTROL_CHARACTERS } from '../../lambda/core/reading.ts';
import { startDetectorHarness, type DetectorHarness } from '../support/detector-harness.ts';
import { extremeNumber } from '../support/invalid-payloads.ts';
import { putOriginalProfile } from '../support/profiles.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2_500); // x4 properties: >= 10,000 payloads

let h: DetectorHarness;
let baseline: unknown[];
beforeAll(async () => {
  h = await startDetectorHarness();
  await putOriginalProfile(h.admin, h.tableName, 'Printer1', 20, 80, 10);
  await putOriginalProfile(h.admin, h.tableName, 'Printer2', 30, 90, 6);
  baseline = await h.allItems();
});
afterAll(async () => {
  await h.close();
});

const knownIds = fc.constantFrom('Printer1', 'Printer2');
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '\u0000', '\u202e', '💥'),
);
const notAFiniteNumber = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
/** A deeply nested value, such as a parser bomb would send. */
const deep = fc.integer({ min: 50, max: 5_000 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
});

/** Sends one payload; asserts the handler's answer; returns the outcome. */
async function send(payload: unknown, expected: readonly string[]): Promise<void> {
  const result = await h.invoke(payload);
  expect(expected).toContain(result.outcome);
}

describe('fuzzing the handler with arbitrary and adversarial payloads', () => {
  it('random JSON values and raw bytes: never throw, create nothing, change nothing', async () => {
    const arbitraryPayload = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.json({ maxDepth: 4 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      deep,
    );
    await fc.assert(
      fc.asyncProperty(arbitraryPayload, async (payload) => {
        // A random value is at most a valid reading for a printer nobody profiled.
        await send(payload, ['invalid', 'unknown-printer']);
      }),
      { numRuns: RUNS },
    );
  });

  it('well-shaped readings for known printers with a bad value: each is invalid', async () => {
    await fc.assert(
      fc.asyncProperty(knownIds, notAFiniteNumber, fc.boolean(), async (PrinterId, value, asText) => {
        const payload = { PrinterId, data: { value } };
        await send(asText ? JSON.stringify(payload) : payload, ['invalid']);
      }),
      { numRuns: RUNS },
    );
  });

  it('hostile printer ids, prototype keys and oversized payloads: each is invalid', async () => {
    const hostile = fc.oneof(
      // ids too long, or with control characters
      fc
        .tuple(fc.string({ minLength: 129, maxLength: 3_000 }), extremeNumber)
        .map(([PrinterId, value]) => ({ PrinterId, data: { value } })),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 0x1f }), fc.string({ maxLength: 20 }))
        .map(([a, code, b]) => ({ PrinterId: `${a}${String.fromCharCode(code)}${b}`, data: { value: 99 } })),
      // the reading hidden behind prototype keys, which must not be read
      knownIds.map((id) => `{"__proto__": {"PrinterId": "${id}", "data": {"value": 99}}}`),
      knownIds.map((id) => `{"PrinterId": "${id}", "data": {"__proto__": {"value": 99}}}`),
      knownIds.map((id) => `{"constructor": {"prototype": {"PrinterId": "${id}"}}, "data": {"value": 99}}`),
      // Infinity written as a number literal
      fc.tuple(knownIds, fc.constantFrom('1e999', '-1e999', '1e400')).map(([id, n]) => `{"PrinterId": "${id}", "data": {"value": ${n}}}`),
      // over 8 KB
      fc
        .tuple(knownIds, fc.integer({ min: 8_200, max: 60_000 }))
        .map(([PrinterId, size]) => ({ PrinterId, data: { value: 99 }, pad: 'x'.repeat(size) })),
      // bad seq or timestamp
      fc
        .tuple(knownIds, fc.oneof(fc.double({ min: -1e9, max: -0.5 }), fc.constant(0.5), fc.string({ maxLength: 5 }), fc.constant(null)))
        .map(([PrinterId, seq]) => ({ PrinterId, data: { value: 99 }, seq })),
      fc
        .tuple(
          knownIds,
          fc.oneof(
            fc.string({ maxLength: 12 }).filter((s) => Number.isNaN(Date.parse(s))),
            fc.constant(-1),
            fc.boolean(),
          ),
        )
        .map(([PrinterId, timestamp]) => ({ PrinterId, data: { value: 99 }, timestamp })),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (payload) => {
        await send(payload, ['invalid']);
      }),
      { numRuns: RUNS },
    );
  });

  it('valid readings for printers without a profile: unknown, never an item', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileString.filter(
          (id) => id.length > 0 && id.length <= 128 && !CONTROL_CHARACTERS.test(id) && id !== 'Printer1' && id !== 'Printer2',
        ),
        extremeNumber,
        async (PrinterId, value) => {
          // `*` names the fleet defaults: a reading sent as `*` is invalid, never a printer's.
          // A value DynamoDB cannot store is invalid before any profile is read.
          await send({ PrinterId, data: { value } }, [PrinterId === '*' || !isStorableNumber(value) ? 'invalid' : 'unknown-printer']);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('left every profile as it was, created no item, and counted every bad payload as invalid', async () => {
    expect(await h.allItems()).toEqual(baseline);
    const invalidCounted = h.logs
      .metrics()
      .reduce((sum, doc) => sum + (typeof doc['InvalidReadings'] === 'number' ? doc['InvalidReadings'] : 0), 0);
    const invalidLogged = h.logs.records().filter((r) => r['level'] === 'WARN' && r['message'] === 'invalid reading dropped').length;
    expect(invalidCounted).toBe(invalidLogged);
    expect(invalidCounted).toBeGreaterThanOrEqual(2 * RUNS); // the two invalid-by-construction properties at least
    expect(h.requests.get('UpdateItemCommand') ?? 0).toBe(0);
    console.log(`handler fuzz: ${4 * RUNS} payloads tried, ${invalidCounted} counted invalid`);
  });
});
