import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStorableNumber, MAX_STORABLE_NUMBER, MIN_STORABLE_NUMBER } from '../../../contract/index.ts';
import { extremeNumber } from '../../support/invalid-payloads.ts';
import { INITIAL_ALARM } from '../../../lambda/core/alarm.ts';
import { detect, ordering, type Verdict } from '../../../lambda/core/detector.ts';
import type { Reading, PrinterState, Memory, Rules, Band } from '../../../lambda/core/types.ts';
import { originalRules } from '../../../lambda/core/rules.ts';
import {
  type ModelMetricReading,
  type ModelRules,
  modelReadingsArb,
  modelRulesArb,
  modelStep,
  newModelPrinter,
  runModel,
} from '../../support/model.ts';

const printer = (overrides: Partial<PrinterState> = {}): PrinterState => ({
  printerId: 'Printer1',
  rules: originalRules(20, 80, 3),
  outOfBoundsCount: 0,
  eventCount: 0,
  memory: {},
  alarm: INITIAL_ALARM,
  rev: 0,
  guard: [],
  ...overrides,
});
/** A reading of `data.value`, or of the metrics given. */
const reading = (value: number | Record<string, number>, extra: Partial<Reading> = {}): Reading => ({
  printerId: 'Printer1',
  metrics: typeof value === 'number' ? { value } : value,
  ...extra,
});
/** Metric-form rules, one reading per event unless told otherwise. */
const metricRules = (bands: Record<string, Band>, extra: Partial<Rules> = {}): Rules => ({
  form: 'metrics',
  bands,
  mode: 'consecutive',
  window: 1,
  severity: 'major',
  clear: {},
  clearAfter: 1,
  latch: false,
  ...extra,
});
const applied = (verdict: Verdict) => {
  if (!verdict.applied) throw new Error(`not applied: ${JSON.stringify(verdict)}`);
  return verdict;
};
/** Applies values (or readings) in order at arrival 0, 1000, 2000, ...; returns every verdict. */
function run(state: PrinterState, inputs: readonly (number | Record<string, number> | Reading)[]) {
  const verdicts = inputs.map((input, i) => {
    const verdict = applied(detect(state, typeof input === 'object' && 'metrics' in input ? (input as Reading) : reading(input), i * 1000));
    state = verdict.next;
    return verdict;
  });
  return { state, verdicts, events: verdicts.map((v) => v.event) };
}

describe('detector: the original thresholds', () => {
  it('treats values equal to a threshold as in bounds', () => {
    expect([20, 80, 19.999, 80.001].map((v) => applied(detect(printer(), reading(v), 0)).outOfBounds)).toEqual([false, false, true, true]);
  });

  it('resets the out-of-bounds count on an in-bounds reading', () => {
    const verdict = detect(printer({ outOfBoundsCount: 2 }), reading(50), 0);
    expect(verdict).toMatchObject({ applied: true, outOfBounds: false, event: false, next: { outOfBoundsCount: 0 } });
  });

  it('counts an event and resets when the count reaches the window', () => {
    const verdict = detect(printer({ outOfBoundsCount: 2, eventCount: 4 }), reading(95), 0);
    expect(verdict).toMatchObject({ applied: true, outOfBounds: true, event: true, next: { outOfBoundsCount: 0, eventCount: 5 } });
  });

  it('counts an event on every out-of-bounds reading with Window 1', () => {
    expect(run(printer({ rules: originalRules(20, 80, 1) }), [5, 5, 5]).state.eventCount).toBe(3);
  });

  it('counts an event at once when the window was lowered below the count', () => {
    const verdict = detect(printer({ rules: originalRules(20, 80, 2), outOfBoundsCount: 5 }), reading(99), 0);
    expect(verdict).toMatchObject({ event: true, next: { outOfBoundsCount: 0, eventCount: 1 } });
  });

  it('reports the broken metric, the profile severity and the clear verdict', () => {
    expect(detect(printer(), reading(95), 0)).toMatchObject({ broken: { value: 95 }, severity: 'major', inClear: false });
    expect(detect(printer(), reading(50), 0)).toMatchObject({ broken: {}, severity: 'major', inClear: true });
  });

  it('passes rules, alarm, rev, guard and the stream sequence through, and remembers nothing more', () => {
    const state = printer({
      rev: 7,
      lastStreamSequence: '49',
      alarm: { ...INITIAL_ALARM, state: 'ACTIVE', transitionCount: 3 },
      guard: [{ path: ['Window'], value: 3 }],
    });
    const { next } = applied(detect(state, reading(95), 0));
    expect(next).toEqual({ ...state, outOfBoundsCount: 1, memory: {} });
  });
});

describe('detector: validity under the printer rules', () => {
  const rules = metricRules({ temperature: { upper: 240 }, humidity: { lower: 20, upper: 60 } });
  const invalid = (detail: string) => ({ applied: false, reason: 'invalid', detail });

  it('refuses a reading whose monitored metric is invalid, with its reason, before ordering', () => {
    const bad = reading({ temperature: 100 }, { invalidMetrics: { humidity: 'data.humidity must be finite' }, seq: 1 });
    expect(detect(printer({ rules, lastSeq: 1 }), bad, 0)).toEqual(invalid('data.humidity must be finite'));
  });

  it('refuses a reading without any monitored metric, naming them', () => {
    const detail = 'carries none of the monitored metrics (temperature, humidity)';
    expect(detect(printer({ rules }), reading({ pressure: 1 }), 0)).toEqual(invalid(detail));
  });

  it('keeps the original reason for a reading without data.value under the original thresholds', () => {
    expect(detect(printer(), reading({ temperature: 1 }), 0)).toEqual(invalid('data.value must be a number, got nothing'));
  });

  it('ignores unmonitored metrics, valid or not', () => {
    const verdict = detect(printer({ rules }), reading({ temperature: 100, pressure: 1e9 }, { invalidMetrics: { door: 'x' } }), 0);
    expect(verdict).toMatchObject({ applied: true, outOfBounds: false });
  });

  it('judges only the monitored metrics carried', () => {
    expect(detect(printer({ rules }), reading({ humidity: 10 }), 0)).toMatchObject({ outOfBounds: true, broken: { humidity: 10 } });
  });

  it('never reads a metric from the prototype', () => {
    const proto = metricRules(Object.fromEntries([['constructor', { upper: 1 }]]));
    expect(detect(printer({ rules: proto }), reading({ value: 5 }), 0)).toMatchObject({ reason: 'invalid' });
  });
});

describe('detector: several metrics', () => {
  const rules = metricRules(
    { temperature: { upper: 240, severity: 'critical' }, humidity: { lower: 20, upper: 60, severity: 'minor' }, fan: { lower: 100 } },
    { severity: 'warning', clear: { temperature: { upper: 200 }, humidity: { lower: 30 } } },
  );

  it('is out of bounds when any metric is, one-sided bands unbounded on their open side', () => {
    expect(detect(printer({ rules }), reading({ temperature: -1e9, fan: 1e9, humidity: 20 }), 0)).toMatchObject({ outOfBounds: false });
    expect(detect(printer({ rules }), reading({ temperature: 240.5, fan: 99 }), 0)).toMatchObject({
      outOfBounds: true,
      broken: { temperature: 240.5, fan: 99 },
    });
  });

  it('gives the highest severity of the broken bands, a band without one having the profile severity', () => {
    const severity = (values: Record<string, number>) => applied(detect(printer({ rules }), reading(values), 0)).severity;
    expect(severity({ humidity: 90, fan: 0 })).toBe('minor');
    expect(severity({ humidity: 90, temperature: 300 })).toBe('critical');
    expect(severity({ fan: 0 })).toBe('warning');
    expect(severity({ humidity: 40 })).toBe('warning');
  });

  it('is in the clear band when every carried metric is, inclusive, falling back to the thresholds', () => {
    const inClear = (values: Record<string, number>) => applied(detect(printer({ rules }), reading(values), 0)).inClear;
    expect(inClear({ temperature: 200, humidity: 30 })).toBe(true);
    expect(inClear({ temperature: 200.1 })).toBe(false);
    expect(inClear({ humidity: 29 })).toBe(false);
    expect(inClear({ humidity: 1e9 })).toBe(true);
    expect(inClear({ fan: 99 })).toBe(false);
  });
});

describe('detector: adaptive band', () => {
  const adaptive = { sigma: 2, alpha: 0.5, warmup: 3 };
  const rules = metricRules({ t: { adaptive }, u: { upper: 10 } });

  it('learns the weighted mean and variance after judging each reading', () => {
    const { state } = run(printer({ rules }), [{ t: 10 }, { t: 20 }, { u: 1 }]);
    // 10, then d = 10: mean 15, variance 0.5 * (0 + 0.5 * 100); not carried: kept.
    expect(state.memory).toEqual({ stats: { t: { n: 2, mean: 15, variance: 25 } } });
  });

  it('judges nothing during the warm-up, then flags a reading beyond sigma deviations of the earlier ones', () => {
    // The first 1000 follows only two readings; the last one lies 3.4 deviations from the mean.
    const stream = [10, 12, 1000, 11, 10, 11, 1000].map((t) => ({ t }));
    const { events } = run(printer({ rules }), stream);
    expect(events).toEqual([false, false, false, false, false, false, true]);
  });

  it('judges before it learns: a steady value never flags itself', () => {
    expect(run(printer({ rules }), Array(50).fill({ t: 3 })).state.eventCount).toBe(0);
  });

  it('drops what it learnt for a metric whose band is no longer adaptive', () => {
    const stats = { t: { n: 4, mean: 1, variance: 1 }, u: { n: 4, mean: 1, variance: 1 } };
    expect(applied(detect(printer({ rules, memory: { stats } }), reading({ u: 1 }), 0)).next.memory).toEqual({ stats: { t: stats.t } });
  });
});

describe('detector: window modes', () => {
  /** Each verdict as `event? count memory`: `E0 ''` is an event, `-2 100` a count of 2 with that memory. */
  const trace = (verdicts: ReturnType<typeof run>['verdicts'], memory: (v: Memory) => unknown) =>
    verdicts.map((v) => `${v.event ? 'E' : '-'}${v.next.outOfBoundsCount} ${memory(v.next.memory) ?? ''}`);

  it('m-of-n: an event when window of the last of readings were out, then the window starts empty', () => {
    const rules = metricRules({ value: { upper: 0 } }, { mode: 'm-of-n', window: 2, of: 3 });
    const { verdicts } = run(printer({ rules }), [1, 0, 0, 1, 0, 1, 1, 0]);
    expect(trace(verdicts, (m) => m.bits)).toEqual(['-1 1', '-1 10', '-1 100', '-1 001', '-1 010', 'E0 ', '-1 1', '-1 10']);
  });

  it('duration: a run lasting durationMs is an event; in-bounds readings and events end runs', () => {
    const rules = metricRules({ value: { upper: 0 } }, { mode: 'duration', durationMs: 2000 });
    const { verdicts } = run(printer({ rules }), [1, 1, 0, 1, 1, 1, 1, 1]);
    // Arrivals are 0, 1000, 2000, ...: the run from 3000 lasts 2000 ms at 5000.
    expect(trace(verdicts, (m) => m.runStart)).toEqual(['-1 0', '-2 0', '-0 ', '-1 3000', '-2 3000', 'E0 ', '-1 6000', '-2 6000']);
  });

  it("duration: takes the reading's timestamp over its arrival", () => {
    const rules = metricRules({ value: { upper: 0 } }, { mode: 'duration', durationMs: 2000 });
    const first = applied(detect(printer({ rules }), reading(1, { timestamp: 50_000 }), 0));
    expect(first.next.memory).toEqual({ runStart: 50_000 });
    expect(detect(first.next, reading(1, { timestamp: 52_000 }), 1)).toMatchObject({ event: true });
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
    expect(detect(printer({ lastSeq: 3, outOfBoundsCount: 2 }), reading(99, { seq: 3 }), 0)).toEqual({
      applied: false,
      reason: 'duplicate',
    });
  });

  it('records seq and timestamp of the applied reading', () => {
    expect(detect(printer(), reading(50, { seq: 4, timestamp: 1234 }), 0)).toMatchObject({ next: { lastSeq: 4, lastTimestamp: 1234 } });
  });
});

describe('detector: numerical stability of the adaptive band', () => {
  it('stays finite and exact after a million constant readings', () => {
    const rules = metricRules({ t: { adaptive: { sigma: 3, alpha: 0.05, warmup: 30 } } });
    let state = printer({ rules });
    const same = reading({ t: 42.125 });
    for (let i = 0; i < 1_000_000; i++) state = applied(detect(state, same, i)).next;
    expect(state.memory.stats).toEqual({ t: { n: 1_000_000, mean: 42.125, variance: 0 } });
    expect(state.eventCount).toBe(0);
  });

  it('never gives NaN, infinity, a negative variance or a statistic DynamoDB cannot store, even at the ends of the storable range', () => {
    const ends = [MAX_STORABLE_NUMBER, -MAX_STORABLE_NUMBER, 1e125, -MIN_STORABLE_NUMBER, 0, MIN_STORABLE_NUMBER, -MAX_STORABLE_NUMBER, 5];
    const storable = fc.oneof(extremeNumber.filter(isStorableNumber), fc.constantFrom(...ends));
    const alphaArb = fc.oneof(
      fc.constantFrom(MIN_STORABLE_NUMBER, 1e-9, 0.05, 1),
      fc.double({ min: MIN_STORABLE_NUMBER, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(alphaArb, fc.array(storable, { minLength: 1, maxLength: 30 }), (alpha, values) => {
        const rules = metricRules({ t: { adaptive: { sigma: 3, alpha, warmup: 0 } } });
        for (const { next } of run(
          printer({ rules }),
          values.map((t) => ({ t })),
        ).verdicts) {
          const { mean, variance } = next.memory.stats!['t']!;
          expect(isStorableNumber(mean) && isStorableNumber(variance) && variance >= 0).toBe(true);
        }
      }),
    );
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
  const stateOf = (p: { lower: number; upper: number; window: number }) =>
    printer({ printerId: 'P', rules: originalRules(p.lower, p.upper, p.window) });

  it('gives the same counts and events as the model on thousands of random streams', () => {
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
    fc.assert(
      fc.property(streamArb, ({ profile, values }) => {
        const expected = runModel(
          { P: profile },
          values.map((value) => ({ printerId: 'P', value })),
        );
        const { state, verdicts } = run(stateOf(profile), values);
        expect({ outOfBoundsCount: state.outOfBoundsCount, eventCount: state.eventCount }).toEqual(expected.printers['P']);
        expect(verdicts.filter((v) => v.event).map((v) => v.next.eventCount)).toEqual(expected.events.map((e) => e.events));
        expect(state.memory).toEqual({});
      }),
      { numRuns: 3000 },
    );
  });

  it('applies each seq at most once and in order, as the model does', () => {
    const streamArb = fc.array(fc.record({ seq: fc.nat({ max: 60 }), value: fc.double({ min: -200, max: 200, noNaN: true }) }), {
      maxLength: 120,
    });
    fc.assert(
      fc.property(profileArb, streamArb, (profile, stream) => {
        const expected = runModel(
          { P: profile },
          stream.map((r) => ({ printerId: 'P', ...r })),
        );
        let state = stateOf(profile);
        for (const { seq, value } of stream) {
          const verdict = detect(state, { printerId: 'P', metrics: { value }, seq }, 0);
          if (verdict.applied) state = verdict.next;
        }
        expect({ outOfBoundsCount: state.outOfBoundsCount, eventCount: state.eventCount }).toEqual(expected.printers['P']);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('detector: property, against the independent model of the extended detection', () => {
  const rulesOf = (model: ModelRules): Rules => ({ ...model, clearAfter: 1, latch: false });
  const readingOf = ({ metrics, invalid, seq, timestamp }: ModelMetricReading, ordered = true): Reading => ({
    printerId: 'P',
    metrics,
    ...(Object.keys(invalid).length > 0 ? { invalidMetrics: invalid } : {}),
    ...(ordered && seq !== undefined ? { seq } : {}),
    ...(ordered && timestamp !== undefined ? { timestamp } : {}),
  });

  it('gives the verdicts, counts and memory of the model, whatever the rules and readings', () => {
    fc.assert(
      fc.property(modelRulesArb, modelReadingsArb({ maxLength: 80 }), (model, stream) => {
        let state = printer({ printerId: 'P', rules: rulesOf(model) });
        const expected = newModelPrinter();
        for (const input of stream) {
          const verdict = detect(state, readingOf(input), input.arrival);
          const step = modelStep(model, expected, input);
          if (step.kind === 'invalid') expect(verdict).toEqual({ applied: false, reason: 'invalid', detail: step.detail });
          else if (step.kind === 'skipped') expect(verdict).toEqual({ applied: false, reason: step.reason });
          else {
            const { next, ...judged } = applied(verdict);
            const { kind: _kind, out: outOfBounds, ...rest } = step;
            expect(judged).toEqual({ applied: true, outOfBounds, ...rest });
            const bits = expected.recent.map((out) => (out ? '1' : '0')).join('');
            expect(next).toEqual({
              ...state,
              outOfBoundsCount: expected.outOfBoundsCount,
              eventCount: expected.eventCount,
              ...(expected.lastSeq !== undefined ? { lastSeq: expected.lastSeq } : {}),
              ...(expected.lastTimestamp !== undefined ? { lastTimestamp: expected.lastTimestamp } : {}),
              memory: {
                ...(bits ? { bits } : {}),
                ...(expected.runStart !== undefined ? { runStart: expected.runStart } : {}),
                ...(expected.stats.size > 0 ? { stats: Object.fromEntries(expected.stats) } : {}),
              },
            });
            state = next;
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps its memory bounded whatever the number of readings: at most Of verdicts, a few numbers per metric', () => {
    const laps = fc.integer({ min: 1, max: 100 });
    fc.assert(
      fc.property(modelRulesArb, modelReadingsArb({ minLength: 1, maxLength: 20 }), laps, (model, cycle, count) => {
        const rules = rulesOf(model);
        let state = printer({ printerId: 'P', rules });
        for (let lap = 0; lap < count; lap++) {
          for (const input of cycle) {
            const verdict = detect(state, readingOf(input, false), lap * 60_000 + input.arrival);
            if (!verdict.applied) continue;
            state = verdict.next;
            expect(state.memory.bits?.length ?? 0).toBeLessThanOrEqual(rules.of ?? 0);
            expect(JSON.stringify(state.memory).length).toBeLessThanOrEqual(40 + 100 * Object.keys(rules.bands).length);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
