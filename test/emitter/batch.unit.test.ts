/**
 * The emitter's batching (`--batch N`): each printer's readings, in file
 * order, in messages of up to N readings that the detector's own parser
 * accepts, never over the contract's limits, nothing lost, reordered or
 * doubled.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BatchPayload, isStorableNumber, MAX_BATCH_BYTES, MAX_BATCH_READINGS, type ReadingPayload } from '../../contract/index.ts';
import { batchReadings, countBatches, type EmitterMessage, readingsIn } from '../../emitter/batch.ts';
import { planReplay } from '../../emitter/replay-plan.ts';
import { parseMessage } from '../../lambda/core/reading.ts';

const reading = (PrinterId: string, value: number, extra: Partial<ReadingPayload> = {}): ReadingPayload => ({
  PrinterId,
  data: { value },
  ...extra,
});

const isBatch = (message: EmitterMessage): message is BatchPayload => 'readings' in message;

/** Each printer's readings as the messages carry them, in message order (PrinterId put back). */
function perPrinter(messages: readonly EmitterMessage[]): Record<string, ReadingPayload[]> {
  const out: Record<string, ReadingPayload[]> = {};
  for (const message of messages) {
    out[message.PrinterId] ??= [];
    const list = out[message.PrinterId]!;
    if (isBatch(message)) for (const element of message.readings) list.push({ PrinterId: message.PrinterId, ...element });
    else list.push(message);
  }
  return out;
}

describe('batchReadings', () => {
  it("groups each printer's readings, in file order, into messages of up to N, elements without PrinterId", () => {
    const readings = [
      reading('P1', 1, { seq: 1 }),
      reading('P2', 2),
      reading('P1', 3, { seq: 2 }),
      reading('P1', 4, { seq: 3 }),
      reading('P2', 5, { timestamp: 7 }),
      reading('P3', 6),
    ];
    expect([...batchReadings(readings, 2)]).toEqual([
      {
        PrinterId: 'P1',
        readings: [
          { data: { value: 1 }, seq: 1 },
          { data: { value: 3 }, seq: 2 },
        ],
      },
      { PrinterId: 'P2', readings: [{ data: { value: 2 } }, { data: { value: 5 }, timestamp: 7 }] },
      // What is left goes at the end, in the order of its first reading.
      { PrinterId: 'P1', readings: [{ data: { value: 4 }, seq: 3 }] },
      { PrinterId: 'P3', readings: [{ data: { value: 6 } }] },
    ]);
    expect(readings[0]).toEqual(reading('P1', 1, { seq: 1 })); // the input is not modified
  });

  it('with N = 1, one reading per batched message', () => {
    const messages = [...batchReadings([reading('A', 1), reading('B', 2)], 1)];
    expect(messages).toEqual([
      { PrinterId: 'A', readings: [{ data: { value: 1 } }] },
      { PrinterId: 'B', readings: [{ data: { value: 2 } }] },
    ]);
  });

  it(`never holds more than ${MAX_BATCH_READINGS} readings`, () => {
    const readings = Array.from({ length: 1_234 }, (_, i) => reading('P1', i));
    const sizes = [...batchReadings(readings, MAX_BATCH_READINGS)].map(readingsIn);
    expect(sizes).toEqual([500, 500, 234]);
  });

  it(`never goes over ${MAX_BATCH_BYTES / 1024} KB as published: a reading that does not fit starts a new message`, () => {
    // About 1.3 KB per reading: a message of 500 would be far over the limit.
    const wide = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`metric${i}`, 1000 + i]));
    const readings = Array.from({ length: 400 }, (_, i) => ({ PrinterId: 'Printer1', data: { value: i, ...wide }, seq: i + 1 }));
    const messages = [...batchReadings(readings, 500)];
    expect(messages.length).toBeGreaterThan(3);
    const bytes = messages.map((m) => Buffer.byteLength(JSON.stringify(m)));
    expect(Math.max(...bytes)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    // Full: the next message's first reading would not have fit into the one before it.
    for (let i = 0; i + 1 < messages.length; i++) {
      const current = messages[i] as BatchPayload;
      const next = messages[i + 1] as BatchPayload;
      const grown = { ...current, readings: [...current.readings, next.readings[0]] };
      expect(Buffer.byteLength(JSON.stringify(grown))).toBeGreaterThan(MAX_BATCH_BYTES);
    }
    expect(perPrinter(messages)['Printer1']).toEqual(readings);
  });

  it('passes on alone, unbatched, a reading too large for any batch', () => {
    const huge = reading('P1', 1, { data: { value: 1, ...Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`m${i}`, i])) } });
    const messages = [...batchReadings([reading('P1', 0), huge, reading('P1', 2)], 10)];
    expect(messages).toEqual([huge, { PrinterId: 'P1', readings: [{ data: { value: 0 } }, { data: { value: 2 } }] }]);
  });

  it('refuses a batch size outside 1..500', () => {
    expect(() => [...batchReadings([], 0)]).toThrow(RangeError);
    expect(() => [...batchReadings([], 501)]).toThrow(RangeError);
  });

  it("keeps every printer's readings, in order, once; every message is one the detector accepts whole", () => {
    const arbitraryReading = fc.record({
      PrinterId: fc.constantFrom('Printer1', 'Printer2', 'Printer3', 'P-4'),
      // Readings the emitter sends are valid ones: numbers DynamoDB can store.
      data: fc.record({ value: fc.double({ noNaN: true, noDefaultInfinity: true }).filter(isStorableNumber) }),
      seq: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(arbitraryReading, { maxLength: 120 }), fc.integer({ min: 1, max: 40 }), (readings, size) => {
        const messages = [...batchReadings(readings, size)];
        const expected: Record<string, ReadingPayload[]> = {};
        for (const r of readings) expected[r.PrinterId] = [...(expected[r.PrinterId] ?? []), r];
        expect(perPrinter(messages)).toEqual(expected);
        expect(countBatches(readings, size)).toBe(messages.length);
        for (const message of messages) {
          expect(readingsIn(message)).toBeLessThanOrEqual(size);
          const parsed = parseMessage(Buffer.from(JSON.stringify(message)));
          expect(parsed).toMatchObject({ ok: true, kind: 'batch', printerId: message.PrinterId, invalid: [] });
        }
      }),
    );
  });
});

describe('planReplay', () => {
  const file = [reading('A', 1), reading('B', 2), reading('A', 3)];

  it('without --batch, sends the readings themselves', () => {
    const plan = planReplay(file);
    expect([...plan.messages]).toEqual(file);
    expect(plan).toMatchObject({ totalMessages: 3, totalReadings: 3 });
  });

  it('stamps seq per printer before batching, so that every element keeps its own', () => {
    const plan = planReplay(file, { count: 5, addSeq: true, batch: 10 });
    expect([...plan.messages]).toEqual([
      {
        PrinterId: 'A',
        readings: [
          { data: { value: 1 }, seq: 1 },
          { data: { value: 3 }, seq: 2 },
          { data: { value: 1 }, seq: 3 },
        ],
      },
      {
        PrinterId: 'B',
        readings: [
          { data: { value: 2 }, seq: 1 },
          { data: { value: 2 }, seq: 2 },
        ],
      },
    ]);
    expect(plan).toMatchObject({ totalMessages: 2, totalReadings: 5 });
    // Iterated again, the same messages.
    expect([...plan.messages]).toHaveLength(2);
  });

  it('an endless replay has no total and yields batches as they fill', () => {
    const plan = planReplay(file, { loop: true, batch: 2 });
    expect(plan).toMatchObject({ totalMessages: Infinity, totalReadings: Infinity });
    const iterator = plan.messages[Symbol.iterator]();
    expect(iterator.next().value).toEqual({ PrinterId: 'A', readings: [{ data: { value: 1 } }, { data: { value: 3 } }] });
  });
});
