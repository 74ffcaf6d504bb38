/**
 * Calibration: quantiles on known data, bands that spikes and stuck sensors
 * do not move, and flagged shares and events that are the detector's.
 */
import { describe, expect, it } from 'vitest';
import {
  calibrate,
  calibratePrinter,
  collapseRuns,
  DEFAULT_CALIBRATION,
  quantile,
  replay,
  suggestBand,
  suggestedProfiles,
  type Band,
} from '../../../lambda/core/calibration.ts';
import { detect, type PrinterState, type Reading } from '../../../lambda/core/detector.ts';

/** Deterministic values spread over [40, 60] with no two equal neighbours (a linear congruential generator). */
function normalValues(count: number, seed = 7): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 40 + Math.round((state / 2 ** 31) * 20_000) / 1000;
  });
}

const readingsOf = (printerId: string, values: readonly number[]): Reading[] => values.map((value) => ({ printerId, value }));

function band(values: readonly number[], options = DEFAULT_CALIBRATION): Band {
  const suggestion = suggestBand(values, options);
  if (!suggestion.ok) throw new Error(suggestion.reason);
  return suggestion.band;
}

describe('quantile', () => {
  it.each([
    [0, 1],
    [0.1, 1.4],
    [0.25, 2],
    [0.5, 3],
    [0.9, 4.6],
    [1, 5],
  ])('of 1..5 at %f is %f (linear between the nearest ranks)', (q, expected) => {
    expect(quantile([1, 2, 3, 4, 5], q)).toBeCloseTo(expected, 10);
  });

  it('of one value is that value', () => {
    expect(quantile([42], 0.005)).toBe(42);
  });
});

describe('suggestBand', () => {
  // 1..101 in an order with no equal neighbours: the 1% and 99% quantiles are 2 and 100.
  const oneToHundredOne = Array.from({ length: 101 }, (_, i) => ((i * 37) % 101) + 1);

  it('is the q and 1-q quantiles, widened by the margin share of the range between them', () => {
    expect(band(oneToHundredOne, { quantile: 0.01, margin: 0, minReadings: 20 })).toEqual({ Lower: 2, Upper: 100 });
    expect(band(oneToHundredOne, { quantile: 0.01, margin: 0.1, minReadings: 20 })).toEqual({ Lower: -7.8, Upper: 109.8 });
  });

  it('rounds outwards only: the suggested band holds the exact one', () => {
    const values = normalValues(500);
    const sorted = [...values].sort((a, b) => a - b);
    const low = quantile(sorted, 0.005);
    const high = quantile(sorted, 0.995);
    const suggested = band(values, { quantile: 0.005, margin: 0, minReadings: 20 });
    expect(suggested.Lower).toBeLessThanOrEqual(low);
    expect(suggested.Upper).toBeGreaterThanOrEqual(high);
    // A band about 20 wide is rounded to hundredths: each side moves less than one of them.
    expect(low - suggested.Lower).toBeLessThan(0.01);
    expect(suggested.Upper - high).toBeLessThan(0.01);
  });

  it('is not moved by a few spikes (min/max would be)', () => {
    const values = normalValues(1000);
    const spiked = [...values.slice(0, 300), 1000, ...values.slice(300, 600), -500, ...values.slice(600), 900];
    const clean = band(values);
    const withSpikes = band(spiked);
    expect(Math.max(...spiked)).toBe(1000);
    expect(withSpikes.Lower).toBeCloseTo(clean.Lower, 0);
    expect(withSpikes.Upper).toBeCloseTo(clean.Upper, 0);
    expect(withSpikes.Upper).toBeLessThan(65);
  });

  it('is not set by a sensor stuck at an extreme value for a while (more than q of the readings)', () => {
    const values = normalValues(1000);
    const stuck = [...values.slice(0, 500), ...Array<number>(200).fill(0), ...values.slice(500)];
    const clean = band(values);
    const withStuck = band(stuck);
    expect(withStuck.Lower).toBeCloseTo(clean.Lower, 0);
    expect(withStuck.Upper).toBeCloseTo(clean.Upper, 0);
    expect(withStuck.Lower).toBeGreaterThan(35);
  });

  it('is not narrowed by a sensor stuck in the middle of the range', () => {
    const values = normalValues(1000);
    const stuck = [...values.slice(0, 500), ...Array<number>(5000).fill(50), ...values.slice(500)];
    const clean = band(values);
    expect(band(stuck).Lower).toBeCloseTo(clean.Lower, 0);
    expect(band(stuck).Upper).toBeCloseTo(clean.Upper, 0);
  });

  it('gives no band, with the reason, for too few readings or a sensor that never changes', () => {
    expect(suggestBand(normalValues(19))).toEqual({ ok: false, reason: 'only 19 reading(s); at least 20 needed' });
    expect(suggestBand([])).toEqual({ ok: false, reason: 'no readings' });
    const stuck = suggestBand([...Array<number>(30).fill(7), ...Array<number>(30).fill(8)]);
    expect(stuck).toEqual({ ok: false, reason: '60 readings but only 2 change(s) of value (a stuck sensor?); at least 20 needed' });
  });

  it('collapses runs of one value, keeping values that come back later', () => {
    expect(collapseRuns([1, 1, 2, 2, 2, 1, 3, 3])).toEqual([1, 2, 1, 3]);
  });
});

describe('replay (the detector over recorded readings)', () => {
  it('flags what the detector flags and counts its events under the Window', () => {
    // Window 2: 90, 91 make one event; 95, 96 another; 97 alone does not; 80 equals Upper, so it is in bounds.
    const values = [50, 90, 91, 50, 95, 96, 97, 50, 80];
    const { outcome, applied } = replay({ Lower: 20, Upper: 80 }, 2, readingsOf('P', values));
    expect(applied).toBe(9);
    expect(outcome).toEqual({ Lower: 20, Upper: 80, flaggedShare: 5 / 9, events: 2 });
  });

  it('agrees with folding detect() by hand on a long stream', () => {
    const readings = readingsOf('P', normalValues(2000, 11));
    const profile = { Lower: 42, Upper: 58 };
    let state: PrinterState = { printerId: 'P', lower: 42, upper: 58, window: 3, outOfBoundsCount: 0, eventCount: 0 };
    let flagged = 0;
    for (const reading of readings) {
      const verdict = detect(state, reading);
      if (!verdict.applied) continue;
      if (verdict.outOfBounds) flagged += 1;
      state = verdict.next;
    }
    const { outcome } = replay(profile, 3, readings);
    expect(outcome.events).toBe(state.eventCount);
    expect(outcome.events).toBeGreaterThan(0);
    expect(outcome.flaggedShare).toBe(flagged / readings.length);
  });

  it('skips what the detector skips (a repeated seq) and counts no events without a Window', () => {
    const readings: Reading[] = [
      { printerId: 'P', value: 99, seq: 1 },
      { printerId: 'P', value: 99, seq: 1 },
      { printerId: 'P', value: 10, seq: 2 },
    ];
    expect(replay({ Lower: 20, Upper: 80 }, 1, readings)).toEqual({
      applied: 2,
      outcome: { Lower: 20, Upper: 80, flaggedShare: 1, events: 2 },
    });
    expect(replay({ Lower: 20, Upper: 80 }, undefined, readings).outcome).toEqual({ Lower: 20, Upper: 80, flaggedShare: 1 });
  });
});

describe('calibrate', () => {
  const profiles = [
    { PrinterId: 'Printer10', Thresholds: { Lower: 45, Upper: 55 }, Window: 4 },
    { PrinterId: 'Printer2', Thresholds: { Lower: 0, Upper: 100 }, Window: 2 },
    { PrinterId: 'Silent', Thresholds: { Lower: 0, Upper: 1 }, Window: 1 },
  ];
  const readings = [
    ...readingsOf('Printer10', normalValues(400, 3)),
    ...readingsOf('Printer2', normalValues(5)),
    ...readingsOf('Orphan', normalValues(100, 5)),
  ];

  it('calibrates each printer with readings or a profile, in natural order, with reasons for the rest', () => {
    const result = calibrate(readings, profiles);
    expect(result.map((p) => p.PrinterId)).toEqual(['Orphan', 'Printer2', 'Printer10', 'Silent']);
    const [orphan, printer2, printer10, silent] = result;
    expect(printer10).toMatchObject({ readings: 400, applied: 400, window: 4, current: { Lower: 45, Upper: 55 } });
    expect(printer10?.suggested?.events).toBe(
      replay(printer10!.suggested!, 4, readingsOf('Printer10', normalValues(400, 3))).outcome.events,
    );
    expect(printer10?.current?.events).toBeGreaterThan(printer10?.suggested?.events ?? 0);
    expect(printer2).toEqual({
      PrinterId: 'Printer2',
      readings: 5,
      applied: 5,
      window: 2,
      current: { Lower: 0, Upper: 100, flaggedShare: 0, events: 0 },
      reason: 'only 5 reading(s); at least 20 needed',
    });
    expect(orphan?.window).toBeUndefined();
    expect(orphan?.suggested).toBeDefined();
    expect(orphan?.suggested?.events).toBeUndefined();
    expect(silent).toMatchObject({ readings: 0, reason: 'no readings' });
  });

  it('suggests profiles only for printers with a suggestion and a Window, keeping the Window', () => {
    const result = calibrate(readings, profiles);
    const suggested = suggestedProfiles(result);
    expect(suggested.map((p) => p.PrinterId)).toEqual(['Printer10']);
    expect(suggested[0]).toEqual({
      PrinterId: 'Printer10',
      Thresholds: { Lower: result[2]!.suggested!.Lower, Upper: result[2]!.suggested!.Upper },
      Window: 4,
    });
  });

  it('takes a printer without a profile as having no Window', () => {
    expect(calibratePrinter('X', readingsOf('X', normalValues(50)), undefined)).not.toHaveProperty('window');
  });
});
