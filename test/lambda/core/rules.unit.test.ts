/**
 * The one profile validator: every rule attribute, one line per bad field
 * naming it, the fleet defaults, and a property over generated profiles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStorableNumber } from '../../../contract/index.ts';
import { extremeNumber } from '../../support/invalid-payloads.ts';
import { CONTROL_CHARACTERS } from '../../../lambda/core/reading.ts';
import { checkDefaults, originalRules, parseRules, USER_ATTRIBUTES, withDefaults } from '../../../lambda/core/rules.ts';
import type { Rules } from '../../../lambda/core/types.ts';

const ORIGINAL = { Thresholds: { Lower: 20, Upper: 80 }, Window: 10 };
const METRICS = { Thresholds: { temperature: { Upper: 240 }, humidity: { Lower: 20, Upper: 60 } }, Window: 3 };

function reasons(item: Record<string, unknown>, defaults?: Record<string, unknown>): string[] {
  const parsed = parseRules(item, defaults);
  return parsed.ok ? [] : parsed.reasons;
}

function rules(item: Record<string, unknown>, defaults?: Record<string, unknown>): Rules {
  const parsed = parseRules(item, defaults);
  if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
  return parsed.rules;
}

describe('parseRules: the original form', () => {
  it('reads an original item (counters and bookkeeping beside it) as the original rules', () => {
    const item = { PrinterId: 'P', ...ORIGINAL, OutOfBoundsCount: 3, EventCount: 1, LastValue: 5, Whatever: 'x' };
    expect(parseRules(item)).toEqual({ ok: true, rules: originalRules(20, 80, 10) });
    expect(rules({ Thresholds: { Lower: 5, Upper: 5 }, Window: 1 })).toEqual(originalRules(5, 5, 1));
  });

  it.each([
    ['Thresholds missing', { Window: 1 }, 'Thresholds is missing or not a map'],
    ['Thresholds a list', { Thresholds: [1, 2], Window: 1 }, 'Thresholds is missing or not a map'],
    ['Lower missing', { Thresholds: { Upper: 2 }, Window: 1 }, 'Thresholds.Lower is missing or not a number'],
    ['Lower a string', { Thresholds: { Lower: '1', Upper: 2 }, Window: 1 }, 'Thresholds.Lower is missing or not a number'],
    [
      'Upper infinite',
      { Thresholds: { Lower: 1, Upper: Number.POSITIVE_INFINITY }, Window: 1 },
      'Thresholds.Upper is missing or not a number',
    ],
    ['Lower above Upper', { Thresholds: { Lower: 5, Upper: 1 }, Window: 1 }, 'Thresholds.Lower (5) is above Thresholds.Upper (1)'],
    ['an extra key', { Thresholds: { Lower: 1, Upper: 2, Mid: 1 }, Window: 1 }, 'unknown attribute "Thresholds.Mid"'],
    ['an empty map', { Thresholds: {}, Window: 1 }, 'Thresholds is an empty map: give {Lower, Upper} or a map of metric name to band'],
    ['Window missing', { Thresholds: { Lower: 1, Upper: 2 } }, 'Window must be an integer >= 1, got nothing'],
    ['Window 0', { ...ORIGINAL, Window: 0 }, 'Window must be an integer >= 1, got 0'],
    ['Window 2.5', { ...ORIGINAL, Window: 2.5 }, 'Window must be an integer >= 1, got 2.5'],
    ['Window a string', { ...ORIGINAL, Window: '3' }, 'Window must be an integer >= 1, got "3"'],
  ])('refuses %s with its one-line reason', (_what, item, reason) => {
    expect(reasons(item)).toEqual([reason]);
  });
});

describe('parseRules: metric bands', () => {
  it('reads a map of metric name to band, one-sided bands kept one-sided', () => {
    const parsed = rules({ ...METRICS, Thresholds: { ...METRICS.Thresholds, nozzle: { Lower: 180, Severity: 'critical' } } });
    expect(parsed.form).toBe('metrics');
    expect(parsed.bands).toEqual({
      temperature: { upper: 240 },
      humidity: { lower: 20, upper: 60 },
      nozzle: { lower: 180, severity: 'critical' },
    });
    expect(parsed.clear).toEqual({ temperature: { upper: 240 }, humidity: { lower: 20, upper: 60 }, nozzle: { lower: 180 } });
  });

  it('takes a map whose Lower or Upper is a band as metrics named so', () => {
    expect(rules({ Thresholds: { Lower: { Upper: 1 }, Upper: { Lower: 2 } }, Window: 1 }).bands).toEqual({
      Lower: { upper: 1 },
      Upper: { lower: 2 },
    });
  });

  it('keeps a metric called __proto__ as a metric', () => {
    const parsed = rules(JSON.parse('{"Thresholds": {"__proto__": {"Upper": 1}}, "Window": 1}'));
    expect(Object.keys(parsed.bands)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.bands)).toBe(Object.prototype);
  });

  const band = (b: unknown) => ({ Thresholds: { humidity: b }, Window: 1 });
  it.each([
    ['a band not a map', band(5), 'Thresholds.humidity must be a map with Lower, Upper or both, got 5'],
    ['no bound', band({}), 'Thresholds.humidity needs Lower, Upper or both'],
    ['only a severity', band({ Severity: 'minor' }), 'Thresholds.humidity needs Lower, Upper or both'],
    ['Lower a string', band({ Lower: 'x' }), 'Thresholds.humidity.Lower must be a number, got "x"'],
    ['Upper NaN', band({ Upper: Number.NaN }), 'Thresholds.humidity.Upper must be a number, got NaN'],
    ['Lower above Upper', band({ Lower: 9, Upper: 1 }), 'Thresholds.humidity.Lower (9) is above Thresholds.humidity.Upper (1)'],
    ['an unknown key', band({ Upper: 1, Max: 2 }), 'unknown attribute "Thresholds.humidity.Max"'],
    [
      'a bad severity',
      band({ Upper: 1, Severity: 'high' }),
      'Thresholds.humidity.Severity must be critical, major, minor or warning, got "high"',
    ],
    ['a bad adaptive band', band({ Upper: 1, Adaptive: { Sigma: -1 } }), 'Thresholds.humidity.Adaptive.Sigma must be a number > 0, got -1'],
    ['an empty metric name', { Thresholds: { '': { Upper: 1 } }, Window: 1 }, 'Thresholds has a metric with an empty name'],
    [
      'a metric name over 64 characters',
      { Thresholds: { ['m'.repeat(65)]: { Upper: 1 } }, Window: 1 },
      `Thresholds: metric name "${'m'.repeat(38)}… is 65 characters, over 64`,
    ],
    [
      'a metric name with a control character',
      { Thresholds: { 'a\tb': { Upper: 1 } }, Window: 1 },
      'Thresholds: metric name "a\\tb" contains control characters',
    ],
  ])('refuses %s with its one-line reason', (_what, item, reason) => {
    expect(reasons(item)).toEqual([reason]);
  });

  it('accepts a metric name of exactly 64 characters', () => {
    expect(reasons({ Thresholds: { ['m'.repeat(64)]: { Upper: 1 } }, Window: 1 })).toEqual([]);
  });

  it('gives every bad field, not just the first, each on one line', () => {
    const found = reasons({
      Thresholds: { temperature: { Upper: 'hot', Foo: 1 }, humidity: { Lower: 9, Upper: 1 } },
      Window: 0,
      Mode: 'sometimes',
      Severity: 'high',
      Latch: 'yes',
    });
    expect(found).toEqual([
      'unknown attribute "Thresholds.temperature.Foo"',
      'Thresholds.temperature.Upper must be a number, got "hot"',
      'Thresholds.humidity.Lower (9) is above Thresholds.humidity.Upper (1)',
      'Mode must be consecutive, m-of-n or duration, got "sometimes"',
      'Window must be an integer >= 1, got 0',
      'Severity must be critical, major, minor or warning, got "high"',
      'Latch must be true or false, got "yes"',
    ]);
    for (const reason of found) expect(reason).not.toContain('\n');
  });
});

describe('parseRules: numbers DynamoDB cannot store', () => {
  it('refuses the named examples in every number field, with the storage limits as the reason', () => {
    expect(reasons({ Thresholds: { Lower: -1e308, Upper: 80 }, Window: 1 })).toEqual([
      'Thresholds.Lower -1e+308 is too large to store: a magnitude must be below 1e126',
    ]);
    expect(reasons({ Thresholds: { Lower: 0, Upper: 1e200 }, Window: 1 })).toEqual([
      'Thresholds.Upper 1e+200 is too large to store: a magnitude must be below 1e126',
    ]);
    expect(reasons({ Thresholds: { t: { Lower: 5e-324, Adaptive: { Sigma: 1e300, Alpha: 1e-200 } } }, Window: 1 })).toEqual([
      'Thresholds.t.Lower 5e-324 is too small to store: a non-zero magnitude must be at least 1e-130',
      'Thresholds.t.Adaptive.Sigma 1e+300 is too large to store: a magnitude must be below 1e126',
      'Thresholds.t.Adaptive.Alpha 1e-200 is too small to store: a non-zero magnitude must be at least 1e-130',
    ]);
  });

  it('accepts a bound exactly when DynamoDB can store it, over the whole double range', () => {
    fc.assert(
      fc.property(extremeNumber, fc.constantFrom('Lower', 'Upper'), (bound, side) => {
        const band = side === 'Lower' ? { Lower: bound } : { Upper: bound };
        const found = reasons({ Thresholds: { t: band }, Clear: { t: band }, Window: 1 });
        expect(found.length === 0).toBe(isStorableNumber(bound));
        for (const reason of found) expect(reason).toMatch(/too (large|small) to store/);
      }),
    );
  });
});

describe('parseRules: window modes', () => {
  it('consecutive is the default', () => {
    expect(rules(ORIGINAL).mode).toBe('consecutive');
    expect(rules({ ...ORIGINAL, Mode: 'consecutive' })).toEqual(originalRules(20, 80, 10));
  });

  it('m-of-n needs Of, from Window to 1000', () => {
    expect(rules({ ...ORIGINAL, Mode: 'm-of-n', Window: 3, Of: 5 })).toMatchObject({ mode: 'm-of-n', window: 3, of: 5 });
    expect(rules({ ...ORIGINAL, Mode: 'm-of-n', Window: 5, Of: 5 }).of).toBe(5);
    expect(rules({ ...ORIGINAL, Mode: 'm-of-n', Window: 1, Of: 1000 }).of).toBe(1000);
    expect(reasons({ ...ORIGINAL, Mode: 'm-of-n', Window: 5 })).toEqual(['Of is required with Mode m-of-n']);
    expect(reasons({ ...ORIGINAL, Mode: 'm-of-n', Window: 5, Of: 3 })).toEqual(['Of (3) is below Window (5)']);
    expect(reasons({ ...ORIGINAL, Mode: 'm-of-n', Window: 5, Of: 1001 })).toEqual(['Of must be an integer from 1 to 1000, got 1001']);
    expect(reasons({ ...ORIGINAL, Mode: 'm-of-n', Window: 5, Of: 7.5 })).toEqual(['Of must be an integer from 1 to 1000, got 7.5']);
  });

  it('duration needs DurationSeconds and no Window', () => {
    const { Window: _, ...noWindow } = ORIGINAL;
    expect(rules({ ...noWindow, Mode: 'duration', DurationSeconds: 30 })).toMatchObject({
      mode: 'duration',
      window: 1,
      durationMs: 30_000,
    });
    expect(rules({ ...ORIGINAL, Mode: 'duration', DurationSeconds: 1 })).toMatchObject({ window: 10, durationMs: 1000 });
    expect(reasons({ ...noWindow, Mode: 'duration' })).toEqual(['DurationSeconds is required with Mode duration']);
    expect(reasons({ ...noWindow, Mode: 'duration', DurationSeconds: 0 })).toEqual(['DurationSeconds must be an integer >= 1, got 0']);
  });

  it('refuses Of or DurationSeconds with another mode, and an unknown mode', () => {
    expect(reasons({ ...ORIGINAL, Of: 20 })).toEqual(['Of applies only to Mode m-of-n']);
    expect(reasons({ ...ORIGINAL, Mode: 'duration', DurationSeconds: 5, Of: 20 })).toEqual(['Of applies only to Mode m-of-n']);
    expect(reasons({ ...ORIGINAL, DurationSeconds: 5 })).toEqual(['DurationSeconds applies only to Mode duration']);
    expect(reasons({ ...ORIGINAL, Mode: 'm-of-n', Of: 20, DurationSeconds: 5 })).toEqual(['DurationSeconds applies only to Mode duration']);
    expect(reasons({ ...ORIGINAL, Mode: 'M-of-N' })).toEqual(['Mode must be consecutive, m-of-n or duration, got "M-of-N"']);
  });
});

describe('parseRules: adaptive bands and severity', () => {
  it('fills in Alpha and Warmup, and gives the profile band to every band without its own', () => {
    const own = { Sigma: 2, Alpha: 0.5, Warmup: 0 };
    const parsed = rules({
      ...METRICS,
      Thresholds: { ...METRICS.Thresholds, nozzle: { Upper: 1, Adaptive: own } },
      Adaptive: { Sigma: 3 },
    });
    const profile = { sigma: 3, alpha: 0.05, warmup: 30 };
    expect(parsed.bands['temperature']?.adaptive).toEqual(profile);
    expect(parsed.bands['humidity']?.adaptive).toEqual(profile);
    expect(parsed.bands['nozzle']?.adaptive).toEqual({ sigma: 2, alpha: 0.5, warmup: 0 });
    expect(parsed.clear['nozzle']).toEqual({ upper: 1 });
  });

  it('applies a profile Adaptive to value in the original form', () => {
    expect(rules({ ...ORIGINAL, Adaptive: { Sigma: 4, Alpha: 1 } }).bands).toEqual({
      value: { lower: 20, upper: 80, adaptive: { sigma: 4, alpha: 1, warmup: 30 } },
    });
  });

  it.each([
    [3, 'Adaptive must be a map with Sigma (and optionally Alpha, Warmup), got 3'],
    [{}, 'Adaptive.Sigma must be a number > 0, got nothing'],
    [{ Sigma: 0 }, 'Adaptive.Sigma must be a number > 0, got 0'],
    [{ Sigma: 1, Alpha: 0 }, 'Adaptive.Alpha must be a number in (0, 1], got 0'],
    [{ Sigma: 1, Alpha: 1.5 }, 'Adaptive.Alpha must be a number in (0, 1], got 1.5'],
    [{ Sigma: 1, Warmup: -1 }, 'Adaptive.Warmup must be an integer >= 0, got -1'],
    [{ Sigma: 1, Warmup: 1.5 }, 'Adaptive.Warmup must be an integer >= 0, got 1.5'],
    [{ Sigma: 1, Beta: 1 }, 'unknown attribute "Adaptive.Beta"'],
    [{ Sigma: 1, Alpha: null }, 'Adaptive.Alpha must be a number in (0, 1], got null'],
  ])('refuses Adaptive %j', (adaptive, reason) => {
    expect(reasons({ ...ORIGINAL, Adaptive: adaptive })).toEqual([reason]);
  });

  it('reads the severity, major by default', () => {
    expect(rules(ORIGINAL).severity).toBe('major');
    for (const severity of ['critical', 'major', 'minor', 'warning'] as const)
      expect(rules({ ...ORIGINAL, Severity: severity }).severity).toBe(severity);
    expect(reasons({ ...ORIGINAL, Severity: 'Critical' })).toEqual(['Severity must be critical, major, minor or warning, got "Critical"']);
  });
});

describe('parseRules: clear condition and alarm options', () => {
  it('clears on the thresholds by default, on Clear when given', () => {
    expect(rules(ORIGINAL).clear).toEqual({ value: { lower: 20, upper: 80 } });
    expect(rules({ ...ORIGINAL, Clear: { Lower: 30, Upper: 70 } }).clear).toEqual({ value: { lower: 30, upper: 70 } });
    expect(rules({ ...METRICS, Clear: { temperature: { Lower: 0, Upper: 230 } } }).clear).toEqual({
      temperature: { lower: 0, upper: 230 },
      humidity: { lower: 20, upper: 60 },
    });
  });

  it.each([
    [ORIGINAL, 5, 'Clear must be a map, got 5'],
    [ORIGINAL, { Lower: 9, Upper: 1 }, 'Clear.Lower (9) is above Clear.Upper (1)'],
    [ORIGINAL, { Lower: 1 }, 'Clear.Upper is missing or not a number'],
    [ORIGINAL, { value: { Upper: 1 } }, 'Clear must be {Lower, Upper}, as Thresholds is'],
    [METRICS, { Lower: 1, Upper: 2 }, 'Clear must be a map of metric name to band, as Thresholds is'],
    [METRICS, { pressure: { Upper: 1 } }, 'Clear.pressure is not a metric Thresholds monitors'],
    [METRICS, { humidity: {} }, 'Clear.humidity needs Lower, Upper or both'],
    [
      METRICS,
      { humidity: { Upper: 1, Severity: 'minor' } },
      'Clear.humidity.Severity is not allowed: a clear band has only Lower and Upper',
    ],
    [
      METRICS,
      { humidity: { Upper: 1, Adaptive: { Sigma: 1 } } },
      'Clear.humidity.Adaptive is not allowed: a clear band has only Lower and Upper',
    ],
    [METRICS, { humidity: { Upper: 1, Top: 2 } }, 'unknown attribute "Clear.humidity.Top"'],
  ])('refuses a Clear that does not fit: %j %j', (base, clear, reason) => {
    expect(reasons({ ...base, Clear: clear })).toEqual([reason]);
  });

  it('reads ClearAfter, Latch, SilenceSeconds, RenotifyMinutes and NotifyMinIntervalSeconds', () => {
    const item = { ...ORIGINAL, ClearAfter: 3, Latch: true, SilenceSeconds: 60, RenotifyMinutes: 5, NotifyMinIntervalSeconds: 1 };
    expect(rules(item)).toMatchObject({
      clearAfter: 3,
      latch: true,
      silenceMs: 60_000,
      renotifyMs: 300_000,
      notifyMinIntervalMs: 1000,
    });
    const defaults = rules(ORIGINAL);
    expect(defaults).toMatchObject({ clearAfter: 1, latch: false });
    expect(defaults).not.toHaveProperty('silenceMs');
    expect(defaults).not.toHaveProperty('renotifyMs');
    expect(defaults).not.toHaveProperty('notifyMinIntervalMs');
  });

  it.each([
    [{ ClearAfter: 0 }, 'ClearAfter must be an integer >= 1, got 0'],
    [{ Latch: 1 }, 'Latch must be true or false, got 1'],
    [{ SilenceSeconds: 59 }, 'SilenceSeconds must be an integer >= 60, got 59'],
    [{ SilenceSeconds: 90.5 }, 'SilenceSeconds must be an integer >= 60, got 90.5'],
    [{ RenotifyMinutes: 4 }, 'RenotifyMinutes must be an integer >= 5, got 4'],
    [{ RenotifyMinutes: null }, 'RenotifyMinutes must be an integer >= 5, got null'],
    [{ NotifyMinIntervalSeconds: 0 }, 'NotifyMinIntervalSeconds must be an integer >= 1, got 0'],
    [{ NotifyMinIntervalSeconds: '60' }, 'NotifyMinIntervalSeconds must be an integer >= 1, got "60"'],
  ])('refuses %j', (field, reason) => {
    expect(reasons({ ...ORIGINAL, ...field })).toEqual([reason]);
  });
});

describe('fleet defaults', () => {
  const DEFAULTS = { PrinterId: '*', Thresholds: { Lower: 0, Upper: 100 }, Window: 5, Severity: 'minor', Enrol: true, EventCount: 9 };

  it('fills in each rule attribute the printer omits, never PrinterId, Enrol, counters or bookkeeping', () => {
    const item = { PrinterId: 'P', Window: 2, OutOfBoundsCount: 1, LastValue: 3 };
    expect(withDefaults(item, DEFAULTS)).toEqual({ PrinterId: 'P', Thresholds: { Lower: 0, Upper: 100 }, Window: 2, Severity: 'minor' });
    expect(withDefaults({ Window: 2 }, DEFAULTS)).not.toHaveProperty('PrinterId');
    expect(withDefaults(item)).toEqual({ PrinterId: 'P', Window: 2 });
    expect(rules(item, DEFAULTS)).toMatchObject({ bands: { value: { lower: 0, upper: 100 } }, window: 2, severity: 'minor' });
  });

  it("replaces the default Thresholds whole with the printer's own", () => {
    const defaults = { Thresholds: { temperature: { Upper: 240 }, humidity: { Lower: 20 } }, Window: 1 };
    expect(rules({ Thresholds: { humidity: { Upper: 60 } } }, defaults).bands).toEqual({ humidity: { upper: 60 } });
  });

  it('lists the user attributes', () => {
    expect(USER_ATTRIBUTES).toEqual([
      'PrinterId',
      'Thresholds',
      'Window',
      'Mode',
      'Of',
      'DurationSeconds',
      'Adaptive',
      'Severity',
      'Clear',
      'ClearAfter',
      'Latch',
      'SilenceSeconds',
      'RenotifyMinutes',
      'NotifyMinIntervalSeconds',
      'Enrol',
    ]);
  });

  it('says when a refused attribute came from the defaults', () => {
    expect(reasons({ Window: 1 }, { Thresholds: { Lower: 5, Upper: 1 } })).toEqual([
      'Thresholds.Lower (5) is above Thresholds.Upper (1) (from the fleet defaults)',
    ]);
    expect(reasons({ Thresholds: { Lower: 1, Upper: 2 } }, {})).toEqual(['Window must be an integer >= 1, got nothing']);
  });

  it('leaves out an inherited Of or DurationSeconds for another mode, and an inherited Clear that does not fit', () => {
    const defaults = {
      Mode: 'm-of-n',
      Of: 10,
      DurationSeconds: 60,
      Clear: { temperature: { Upper: 230 } },
      Thresholds: { temperature: { Upper: 240 } },
    };
    expect(rules({ ...ORIGINAL, Mode: 'consecutive' }, defaults)).toEqual(originalRules(20, 80, 10));
    expect(rules({ ...ORIGINAL, Mode: 'duration' }, defaults)).toMatchObject({
      durationMs: 60_000,
      clear: { value: { lower: 20, upper: 80 } },
    });
    expect(rules({ Window: 3 }, defaults)).toMatchObject({ mode: 'm-of-n', of: 10, clear: { temperature: { upper: 230 } } });
    expect(reasons({ Window: 20 }, defaults)).toEqual(['Of (10) is below Window (20) (from the fleet defaults)']);
  });

  it('checks the defaults item field by field, requiring nothing', () => {
    expect(checkDefaults({ PrinterId: '*' })).toEqual([]);
    expect(checkDefaults(DEFAULTS)).toEqual([]);
    expect(checkDefaults({ Of: 10, DurationSeconds: 5, Clear: { Lower: 1, Upper: 2 } })).toEqual([]);
    expect(checkDefaults({ Mode: 'x', Window: 0, Enrol: 'yes', Adaptive: { Sigma: 0 }, Thresholds: { t: {} } })).toEqual([
      'Thresholds.t needs Lower, Upper or both',
      'Mode must be consecutive, m-of-n or duration, got "x"',
      'Window must be an integer >= 1, got 0',
      'Adaptive.Sigma must be a number > 0, got 0',
      'Enrol must be true or false, got "yes"',
    ]);
    expect(checkDefaults({ Window: 5, Of: 2 })).toEqual(['Of (2) is below Window (5)']);
    expect(checkDefaults({ Thresholds: { Lower: 1, Upper: 2 }, Clear: { t: { Upper: 1 } } })).toEqual([
      'Clear must be {Lower, Upper}, as Thresholds is',
    ]);
  });
});

// Profiles generated valid, each with the rules an independent reading of the attributes gives.
const num = fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 8);
const pair = fc.tuple(num, num).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as readonly [number, number]);
const bounds = fc.oneof(
  pair.map(([Lower, Upper]) => ({ Lower, Upper })),
  num.map((Lower) => ({ Lower })),
  num.map((Upper) => ({ Upper })),
);
const severity = fc.constantFrom('critical', 'major', 'minor', 'warning');
const adaptive = fc.record(
  {
    Sigma: fc.integer({ min: 1, max: 1000 }).map((n) => n / 100),
    Alpha: fc.integer({ min: 1, max: 100 }).map((n) => n / 100),
    Warmup: fc.nat(100),
  },
  { requiredKeys: ['Sigma'] },
);
const metricName = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !CONTROL_CHARACTERS.test(s));
const band = fc.tuple(bounds, fc.option(severity, { nil: undefined }), fc.option(adaptive, { nil: undefined })).map(([b, s, a]) => ({
  ...b,
  ...(s ? { Severity: s } : {}),
  ...(a ? { Adaptive: a } : {}),
}));
const thresholds = fc.oneof(
  pair.map(([Lower, Upper]) => ({ Lower, Upper }) as Record<string, unknown>),
  fc.uniqueArray(fc.tuple(metricName, band), { minLength: 1, maxLength: 4, selector: ([name]) => name }).map((e) => Object.fromEntries(e)),
);
const windowing = fc.oneof(
  fc.record({ Window: fc.integer({ min: 1, max: 50 }), Mode: fc.constant('consecutive') }, { requiredKeys: ['Window'] }),
  fc
    .integer({ min: 1, max: 50 })
    .chain((w) => fc.record({ Mode: fc.constant('m-of-n'), Window: fc.constant(w), Of: fc.integer({ min: w, max: 1000 }) })),
  fc.record(
    { Mode: fc.constant('duration'), DurationSeconds: fc.integer({ min: 1, max: 100_000 }), Window: fc.integer({ min: 1, max: 50 }) },
    { requiredKeys: ['Mode', 'DurationSeconds'] },
  ),
);
const options = fc.record(
  {
    Adaptive: adaptive,
    Severity: severity,
    ClearAfter: fc.integer({ min: 1, max: 10 }),
    Latch: fc.boolean(),
    SilenceSeconds: fc.integer({ min: 60, max: 86_400 }),
    RenotifyMinutes: fc.integer({ min: 5, max: 1440 }),
  },
  { requiredKeys: [] },
);
const isOriginal = (t: Record<string, unknown>) =>
  typeof t['Lower'] === 'number' && typeof t['Upper'] === 'number' && Object.keys(t).length === 2;
const profile = fc.tuple(thresholds, windowing, options, fc.boolean(), fc.nat()).chain(([t, w, o, withClear, seed]) => {
  if (!withClear) return fc.constant({ Thresholds: t, ...w, ...o } as Record<string, unknown>);
  const names = Object.keys(t);
  const clear = isOriginal(t)
    ? pair.map(([Lower, Upper]) => ({ Lower, Upper }))
    : fc
        .tuple(...names.slice(0, 1 + (seed % names.length)).map((name) => bounds.map((b) => [name, b] as const)))
        .map((e) => Object.fromEntries(e));
  return clear.map((Clear) => ({ Thresholds: t, ...w, ...o, Clear }) as Record<string, unknown>);
});

type In = Record<string, number | string | undefined>;
const toBounds = (b: In) => ({
  ...(b['Lower'] !== undefined ? { lower: b['Lower'] } : {}),
  ...(b['Upper'] !== undefined ? { upper: b['Upper'] } : {}),
});
const toAdaptive = (a: In) => ({ sigma: a['Sigma'], alpha: a['Alpha'] ?? 0.05, warmup: a['Warmup'] ?? 30 });

/** The rules a generated profile means, read without the validator. */
function expected(p: Record<string, unknown>): Rules {
  const t = p['Thresholds'] as Record<string, In>;
  const original = isOriginal(t);
  const own = original ? { value: t as unknown as In } : t;
  const profileAdaptive = p['Adaptive'] as In | undefined;
  const bands = Object.fromEntries(
    Object.entries(own).map(([name, b]) => {
      const a = (b['Adaptive'] as unknown as In | undefined) ?? profileAdaptive;
      return [name, { ...toBounds(b), ...(b['Severity'] ? { severity: b['Severity'] } : {}), ...(a ? { adaptive: toAdaptive(a) } : {}) }];
    }),
  );
  const clearIn = (p['Clear'] ?? {}) as Record<string, In>;
  const clearOwn = p['Clear'] === undefined ? {} : original ? { value: clearIn as unknown as In } : clearIn;
  const clear = Object.fromEntries(
    Object.entries(own).map(([name, b]) => [name, toBounds(Object.hasOwn(clearOwn, name) ? clearOwn[name]! : b)]),
  );
  const mode = (p['Mode'] as Rules['mode'] | undefined) ?? 'consecutive';
  return {
    form: original ? 'original' : 'metrics',
    bands,
    mode,
    window: (p['Window'] as number | undefined) ?? 1,
    ...(mode === 'm-of-n' ? { of: p['Of'] as number } : {}),
    ...(mode === 'duration' ? { durationMs: (p['DurationSeconds'] as number) * 1000 } : {}),
    severity: (p['Severity'] as Rules['severity'] | undefined) ?? 'major',
    clear,
    clearAfter: (p['ClearAfter'] as number | undefined) ?? 1,
    latch: (p['Latch'] as boolean | undefined) ?? false,
    ...(p['SilenceSeconds'] !== undefined ? { silenceMs: (p['SilenceSeconds'] as number) * 1000 } : {}),
    ...(p['RenotifyMinutes'] !== undefined ? { renotifyMs: (p['RenotifyMinutes'] as number) * 60_000 } : {}),
  } as Rules;
}

/** One field made wrong: the name a reason must carry, and the profile with that field spoiled. */
function corruptions(p: Record<string, unknown>): [string, Record<string, unknown>][] {
  const t = p['Thresholds'] as Record<string, Record<string, unknown>>;
  const out: [string, Record<string, unknown>][] = [
    ['Thresholds', { ...p, Thresholds: 'hot' }],
    ['Thresholds', { ...p, Thresholds: {} }],
    ['Window', { ...p, Window: 0 }],
    ['Window', { ...p, Window: '2' }],
    ['Mode', { ...p, Mode: 'sometimes' }],
    ['Adaptive', { ...p, Adaptive: { Sigma: 0 } }],
    ['Adaptive', { ...p, Adaptive: { Sigma: 1, Alpha: 2 } }],
    ['Severity', { ...p, Severity: 'high' }],
    ['Clear', { ...p, Clear: 7 }],
    ['ClearAfter', { ...p, ClearAfter: 0 }],
    ['Latch', { ...p, Latch: 'no' }],
    ['SilenceSeconds', { ...p, SilenceSeconds: 59 }],
    ['RenotifyMinutes', { ...p, RenotifyMinutes: 2.5 }],
    ['Of', { ...p, Of: p['Mode'] === 'm-of-n' ? 1001 : 10 }],
    ['DurationSeconds', { ...p, DurationSeconds: p['Mode'] === 'duration' ? 0 : 10 }],
  ];
  if (p['Mode'] !== 'duration') out.push(['Window', { ...p, Window: undefined }]);
  if (isOriginal(t)) {
    out.push(
      ['Thresholds.Lower', { ...p, Thresholds: { ...t, Lower: 'x' } }],
      ['Thresholds.Upper', { ...p, Thresholds: { ...t, Upper: null } }],
    );
  } else {
    const [name] = Object.keys(t) as [string];
    const at = (b: unknown) => ({ ...p, Thresholds: { ...t, [name]: b } });
    out.push(
      ['Thresholds', at({})],
      ['Thresholds', at({ ...t[name], Lower: Number.NaN })],
      ['Thresholds', at({ ...t[name], Severity: 'none' })],
      ['Thresholds', at({ ...t[name], Extra: 1 })],
      ['Thresholds', { ...p, Thresholds: { ...t, '': { Upper: 1 } } }],
    );
  }
  return out;
}

describe('generated profiles', () => {
  it('a profile generated valid parses to the rules its attributes mean, and again after a JSON round trip', () => {
    fc.assert(
      fc.property(profile, (p) => {
        expect(parseRules(p)).toEqual({ ok: true, rules: expected(p) });
        expect(parseRules(JSON.parse(JSON.stringify(p)))).toEqual(parseRules(p));
        expect(checkDefaults(p)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('one corrupted field yields at least one reason, each on one line, one naming that field', () => {
    fc.assert(
      fc.property(profile, fc.nat(), (p, pick) => {
        const all = corruptions(p);
        const [field, bad] = all[pick % all.length]!;
        const found = reasons(bad);
        expect(found.length).toBeGreaterThan(0);
        expect(found.some((reason) => reason.includes(field))).toBe(true);
        for (const reason of found) expect(reason).not.toMatch(/[\n\r]/);
      }),
      { numRuns: 1000 },
    );
  });
});
