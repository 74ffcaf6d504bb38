/**
 * Calibration: quantiles on known data, bands that spikes and stuck sensors
 * do not move, and flagged shares and events that are the detector's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStorableNumber } from '../../../contract/index.ts';
import { extremeNumber } from '../../support/invalid-payloads.ts';
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
import { INITIAL_ALARM } from '../../../lambda/core/alarm.ts';
import { detect } from '../../../lambda/core/detector.ts';
import type { Reading, PrinterState, Rules } from '../../../lambda/core/types.ts';
import { originalRules, parseRules } from '../../../lambda/core/rules.ts';

/** Deterministic values spread over [40, 60] with no two equal neighbours (a linear congruential generator). */
function normalValues(count: number, seed = 7): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 40 + Math.round((state / 2 ** 31) * 20_000) / 1000;
  });
}

const readingsOf = (printerId: string, values: readonly number[], metric = 'value'): Reading[] =>
  values.map((value) => ({ printerId, metrics: { [metric]: value } }));

/** The rules of a profile, as the detector reads them. */
function rulesOf(profile: object): Rules {
  const parsed = parseRules(profile as Record<string, unknown>);
  if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
  return parsed.rules;
}

/** Folds detect() over readings by hand, from fresh counters. */
function fold(rules: Rules, readings: readonly Reading[]) {
  let state: PrinterState = {
    printerId: 'P',
    rules,
    outOfBoundsCount: 0,
    eventCount: 0,
    memory: {},
    alarm: INITIAL_ALARM,
    rev: 0,
    guard: [],
  };
  let flagged = 0;
  for (const reading of readings) {
    const verdict = detect(state, reading, reading.timestamp ?? 0);
    if (!verdict.applied) continue;
    if (verdict.outOfBounds) flagged += 1;
    state = verdict.next;
  }
  return { events: state.eventCount, flagged };
}

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

  it('suggests only bounds DynamoDB can store, holding the quantile band, across the whole storable range', () => {
    const storable = extremeNumber.filter(isStorableNumber);
    fc.assert(
      fc.property(fc.array(storable, { minLength: 20, maxLength: 60 }), fc.double({ min: 0, max: 2, noNaN: true }), (values, margin) => {
        const suggestion = suggestBand(values, { quantile: 0.005, margin, minReadings: 1 });
        if (!suggestion.ok) return;
        const { Lower, Upper } = suggestion.band;
        expect(isStorableNumber(Lower) && isStorableNumber(Upper)).toBe(true);
        const sorted = collapseRuns(values).sort((a, b) => a - b);
        expect(Lower).toBeLessThanOrEqual(quantile(sorted, 0.005));
        expect(Upper).toBeGreaterThanOrEqual(quantile(sorted, 0.995));
      }),
    );
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
    const { outcome, perMetric } = replay(originalRules(20, 80, 2), readingsOf('P', values));
    expect(outcome).toEqual({ applied: 9, flaggedShare: 5 / 9, events: 2 });
    expect(perMetric.get('value')).toEqual({ carried: 9, flagged: 5 });
  });

  it('agrees with folding detect() by hand on a long stream', () => {
    const readings = readingsOf('P', normalValues(2000, 11));
    const expected = fold(originalRules(42, 58, 3), readings);
    const { outcome } = replay(originalRules(42, 58, 3), readings);
    expect(outcome.events).toBe(expected.events);
    expect(outcome.events).toBeGreaterThan(0);
    expect(outcome.flaggedShare).toBe(expected.flagged / readings.length);
  });

  it('skips what the detector skips (a repeated seq, a reading without a monitored metric) and can leave events out', () => {
    const readings: Reading[] = [
      { printerId: 'P', metrics: { value: 99 }, seq: 1 },
      { printerId: 'P', metrics: { value: 99 }, seq: 1 },
      { printerId: 'P', metrics: { other: 5 }, seq: 2 },
      { printerId: 'P', metrics: { value: 10 }, seq: 3 },
    ];
    expect(replay(originalRules(20, 80, 1), readings).outcome).toEqual({ applied: 2, flaggedShare: 1, events: 2 });
    expect(replay(originalRules(20, 80, 1), readings, false).outcome).toEqual({ applied: 2, flaggedShare: 1 });
  });

  it.each([
    ['m-of-n', { Mode: 'm-of-n', Window: 2, Of: 4 }],
    ['duration', { Mode: 'duration', DurationSeconds: 1 }],
  ])('counts the events of the %s mode as the detector does, time from the timestamps', (_mode, attributes) => {
    const readings = readingsOf('P', normalValues(600, 5)).map((r, i) => ({ ...r, timestamp: 1_000_000 + i * 1000 }));
    const rules = rulesOf({ Thresholds: { Lower: 42, Upper: 58 }, ...attributes });
    const { outcome } = replay(rules, readings);
    expect(outcome.events).toBe(fold(rules, readings).events);
    expect(outcome.events).toBeGreaterThan(0);
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
    expect(printer10).toMatchObject({ readings: 400, window: 4, mode: 'consecutive', current: { applied: 400 } });
    expect(printer10?.metrics).toMatchObject([{ metric: 'value', readings: 400, current: { Lower: 45, Upper: 55 } }]);
    const suggested = printer10!.metrics[0]!.suggested!;
    const own = fold(originalRules(suggested.Lower!, suggested.Upper!, 4), readingsOf('Printer10', normalValues(400, 3)));
    expect(printer10?.suggested?.events).toBe(own.events);
    expect(printer10?.current?.events).toBeGreaterThan(printer10?.suggested?.events ?? 0);
    expect(printer2).toEqual({
      PrinterId: 'Printer2',
      readings: 5,
      mode: 'consecutive',
      window: 2,
      metrics: [
        {
          metric: 'value',
          readings: 5,
          current: { Lower: 0, Upper: 100, flaggedShare: 0 },
          reason: 'only 5 reading(s); at least 20 needed',
        },
      ],
      current: { applied: 5, flaggedShare: 0, events: 0 },
    });
    expect(orphan).not.toHaveProperty('window');
    expect(orphan).not.toHaveProperty('thresholds');
    expect(orphan?.metrics[0]?.suggested).toBeDefined();
    expect(orphan?.suggested).toEqual({ applied: 100, flaggedShare: expect.any(Number) });
    expect(silent?.metrics).toEqual([
      { metric: 'value', readings: 0, current: { Lower: 0, Upper: 1, flaggedShare: 0 }, reason: 'no readings' },
    ]);
  });

  it('suggests profiles only for printers with a suggestion and a profile, in the original form for value-only printers', () => {
    const result = calibrate(readings, profiles);
    const suggested = suggestedProfiles(result);
    const band = result[2]!.metrics[0]!.suggested!;
    expect(suggested).toEqual([{ PrinterId: 'Printer10', Thresholds: { Lower: band.Lower, Upper: band.Upper }, Window: 4 }]);
  });

  it('takes a printer without a profile as having no Window', () => {
    expect(calibratePrinter('X', readingsOf('X', normalValues(50)), undefined)).not.toHaveProperty('window');
  });

  it('suggests a band per metric; readings with other metrics than value make the Thresholds a metric map', () => {
    const both = normalValues(300, 9).map((value, i) => ({ printerId: 'P', metrics: { value, temp: 200 + (i % 37) } }));
    const result = calibratePrinter('P', both, { PrinterId: 'P', Thresholds: { Lower: 45, Upper: 55 }, Window: 3 });
    expect(result.metrics.map((m) => [m.metric, m.readings, m.current !== undefined])).toEqual([
      ['value', 300, true],
      ['temp', 300, false],
    ]);
    const [value, temp] = result.metrics.map((m) => m.suggested!);
    expect(temp).toMatchObject({ Lower: expect.any(Number), Upper: expect.any(Number), flaggedShare: 0 });
    expect(result.thresholds).toEqual({
      value: { Lower: value!.Lower, Upper: value!.Upper },
      temp: { Lower: temp!.Lower, Upper: temp!.Upper },
    });
    expect(result.suggested?.events).toBe(fold(rulesOf({ Thresholds: result.thresholds, Window: 3 }), both).events);
  });

  it('keeps a metric band one-sided, with its Severity and Adaptive, and a band without a suggestion as it is', () => {
    const profile = {
      PrinterId: 'P',
      Thresholds: { temp: { Upper: 240, Severity: 'critical' as const, Adaptive: { Sigma: 3 } }, fan: { Lower: 100 } },
      Window: 2,
      Mode: 'm-of-n' as const,
      Of: 5,
    };
    const temps = readingsOf('P', normalValues(200, 4), 'temp');
    const result = calibratePrinter('P', temps, profile);
    const temp = result.metrics.find((m) => m.metric === 'temp')!;
    expect(temp.suggested).not.toHaveProperty('Lower');
    expect(result.metrics.find((m) => m.metric === 'fan')).toMatchObject({ readings: 0, reason: 'no readings' });
    expect(result).toMatchObject({ mode: 'm-of-n', window: 2, of: 5 });
    expect(result.thresholds).toEqual({
      temp: { Upper: temp.suggested!.Upper, Severity: 'critical', Adaptive: { Sigma: 3 } },
      fan: { Lower: 100 },
    });
    expect(result.current?.events).toBe(fold(rulesOf(profile), temps).events);
  });
});
