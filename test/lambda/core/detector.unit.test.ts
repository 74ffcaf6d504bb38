import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detect, isOutOfBounds, ordering, type PrinterState, type Reading } from '../../../lambda/core/detector.ts';
import { runModel } from '../../support/model.ts';

const printer = (overrides: Partial<PrinterState> = {}): PrinterState => ({
  printerId: 'Printer1',
  lower: 20,
  upper: 80,
  window: 3,
  outOfBoundsCount: 0,
  eventCount: 0,
  ...overrides,
});
const reading = (value: number, extra: Partial<Reading> = {}): Reading => ({ printerId: 'Printer1', value, ...extra });

describe('detector: thresholds', () => {
  it('treats values equal to a threshold as in bounds', () => {
    expect(isOutOfBounds(printer(), 20)).toBe(false);
    expect(isOutOfBounds(printer(), 80)).toBe(false);
    expect(isOutOfBounds(printer(), 19.999)).toBe(true);
    expect(isOutOfBounds(printer(), 80.001)).toBe(true);
  });

  it('resets the out-of-bounds count on an in-bounds reading', () => {
    const verdict = detect(printer({ outOfBoundsCount: 2 }), reading(50));
    expect(verdict).toMatchObject({ applied: true, outOfBounds: false, event: false, next: { outOfBoundsCount: 0 } });
  });

  it('counts an event and resets when the count reaches the window', () => {
    const verdict = detect(printer({ outOfBoundsCount: 2, eventCount: 4 }), reading(95));
    expect(verdict).toMatchObject({ applied: true, outOfBounds: true, event: true, next: { outOfBoundsCount: 0, eventCount: 5 } });
  });

  it('counts an event on every out-of-bounds reading with Window 1', () => {
    let state = printer({ window: 1 });
    for (let i = 1; i <= 3; i++) {
      const verdict = detect(state, reading(5));
      expect(verdict).toMatchObject({ applied: true, event: true });
      if (verdict.applied) state = verdict.next;
    }
    expect(state.eventCount).toBe(3);
  });

  it('counts an event at once when the window was lowered below the count', () => {
    const verdict = detect(printer({ window: 2, outOfBoundsCount: 5 }), reading(99));
    expect(verdict).toMatchObject({ event: true, next: { outOfBoundsCount: 0, eventCount: 1 } });
  });
});

describe('detector: ordering', () => {
  it('skips a seq equal to the last applied one as duplicate and a lower one as late', () => {
    expect(ordering(printer({ lastSeq: 7 }), reading(50, { seq: 7 }))).toBe('duplicate');
    expect(ordering(printer({ lastSeq: 7 }), reading(50, { seq: 6 }))).toBe('late');
    expect(ordering(printer({ lastSeq: 7 }), reading(50, { seq: 8 }))).toBe('apply');
  });

  it('without seq, skips a strictly older timestamp and applies an equal one', () => {
    expect(ordering(printer({ lastTimestamp: 1000 }), reading(50, { timestamp: 999 }))).toBe('late');
    expect(ordering(printer({ lastTimestamp: 1000 }), reading(50, { timestamp: 1000 }))).toBe('apply');
  });

  it('orders by seq, not timestamp, when a reading has both', () => {
    expect(ordering(printer({ lastSeq: 1, lastTimestamp: 5000 }), reading(50, { seq: 2, timestamp: 1 }))).toBe('apply');
  });

  it('changes nothing when it skips', () => {
    expect(detect(printer({ lastSeq: 3, outOfBoundsCount: 2 }), reading(99, { seq: 3 }))).toEqual({ applied: false, reason: 'duplicate' });
  });

  it('records seq and timestamp of the applied reading', () => {
    const verdict = detect(printer(), reading(50, { seq: 4, timestamp: 1234 }));
    expect(verdict).toMatchObject({ next: { lastSeq: 4, lastTimestamp: 1234 } });
  });
});

describe('detector: property, against an independent model of the original', () => {
  // Thresholds include negatives and fractions; values are drawn near and on them.
  const profileArb = fc
    .record({
      a: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ min: -100, max: 100, noNaN: true })),
      b: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.double({ min: -100, max: 100, noNaN: true })),
      window: fc.integer({ min: 1, max: 12 }),
    })
    .map(({ a, b, window }) => ({ lower: Math.min(a, b), upper: Math.max(a, b), window }));

  const streamArb = profileArb.chain((profile) =>
    fc.record({
      profile: fc.constant(profile),
      values: fc.array(
        fc.oneof(
          fc.constantFrom(profile.lower, profile.upper),
          fc.double({ min: profile.lower - 50, max: profile.upper + 50, noNaN: true }),
          fc.double({ min: profile.upper, max: profile.upper + 10, noNaN: true }),
        ),
        { maxLength: 200 },
      ),
    }),
  );

  it('gives the same counts and events as the model on thousands of random streams', () => {
    fc.assert(
      fc.property(streamArb, ({ profile, values }) => {
        const expected = runModel(
          { P: profile },
          values.map((value) => ({ printerId: 'P', value })),
        );
        let state: PrinterState = { printerId: 'P', ...profile, outOfBoundsCount: 0, eventCount: 0 };
        const events: number[] = [];
        for (const value of values) {
          const verdict = detect(state, { printerId: 'P', value });
          if (!verdict.applied) throw new Error('a reading without seq or timestamp must apply');
          state = verdict.next;
          if (verdict.event) events.push(state.eventCount);
        }
        expect(state.outOfBoundsCount).toBe(expected.printers['P']!.outOfBoundsCount);
        expect(state.eventCount).toBe(expected.printers['P']!.eventCount);
        expect(events).toEqual(expected.events.map((e) => e.events));
      }),
      { numRuns: 3000 },
    );
  });

  it('applies each seq at most once and in order, as the model does', () => {
    fc.assert(
      fc.property(
        profileArb,
        fc.array(fc.record({ seq: fc.nat({ max: 60 }), value: fc.double({ min: -200, max: 200, noNaN: true }) }), { maxLength: 120 }),
        (profile, stream) => {
          const expected = runModel(
            { P: profile },
            stream.map((r) => ({ printerId: 'P', ...r })),
          );
          let state: PrinterState = { printerId: 'P', ...profile, outOfBoundsCount: 0, eventCount: 0 };
          for (const r of stream) {
            const verdict = detect(state, { printerId: 'P', ...r });
            if (verdict.applied) state = verdict.next;
          }
          expect({ oob: state.outOfBoundsCount, events: state.eventCount }).toEqual({
            oob: expected.printers['P']!.outOfBoundsCount,
            events: expected.printers['P']!.eventCount,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
