/**
 * Profiles as users write them: one reason per bad field, each naming the
 * entry and the field, decided by the detector's own profile rules.
 */
import { describe, expect, it } from 'vitest';
import { checkProfile, checkProfiles, parseProfiles } from '../../../lambda/core/profile-input.ts';
import { parseRules } from '../../../lambda/core/rules.ts';
import { InvalidProfileError } from '../../../lambda/errors.ts';

const profile = (PrinterId: string, Lower: unknown, Upper: unknown, Window: unknown) => ({
  PrinterId,
  Thresholds: { Lower, Upper },
  Window,
});

function problems(value: unknown, options: { single?: 'allowed' } = {}): string[] {
  const checked = checkProfiles(value, options);
  return checked.ok ? [] : checked.problems;
}

describe('checkProfiles', () => {
  it.each([
    ['Lower above Upper', profile('A', 5, 1, 3), 'profile 1 (A): Thresholds.Lower (5) is above Thresholds.Upper (1)'],
    ['Window 0', profile('A', 1, 2, 0), 'profile 1 (A): Window must be an integer >= 1, got 0'],
    ['Window not an integer', profile('A', 1, 2, 2.5), 'profile 1 (A): Window must be an integer >= 1, got 2.5'],
    ['Window a string', profile('A', 1, 2, '3'), 'profile 1 (A): Window must be an integer >= 1, got "3"'],
    [
      'Window missing',
      { PrinterId: 'A', Thresholds: { Lower: 1, Upper: 2 } },
      'profile 1 (A): Window must be an integer >= 1, got nothing',
    ],
    ['thresholds missing', { PrinterId: 'A', Window: 1 }, 'profile 1 (A): Thresholds is missing or not a map'],
    ['thresholds not a map', { PrinterId: 'A', Thresholds: [1, 2], Window: 1 }, 'profile 1 (A): Thresholds is missing or not a map'],
    [
      'Lower missing',
      { PrinterId: 'A', Thresholds: { Upper: 2 }, Window: 1 },
      'profile 1 (A): Thresholds.Lower is missing or not a number',
    ],
    ['Lower a string', profile('A', '1', 2, 1), 'profile 1 (A): Thresholds.Lower is missing or not a number'],
    ['Upper infinite', profile('A', 1, Number.POSITIVE_INFINITY, 1), 'profile 1 (A): Thresholds.Upper is missing or not a number'],
    ['an unknown attribute', { ...profile('A', 1, 2, 1), Treshold: 3 }, 'profile 1 (A): unknown attribute "Treshold"'],
    [
      'an unknown threshold',
      { PrinterId: 'A', Thresholds: { Lower: 1, Upper: 2, Mid: 1 }, Window: 1 },
      'profile 1 (A): unknown attribute "Thresholds.Mid"',
    ],
    ['an empty PrinterId', profile('', 1, 2, 1), 'profile 1: PrinterId must not be empty'],
    ['a PrinterId not a string', profile(7 as never, 1, 2, 1), 'profile 1: PrinterId must be a string'],
    ['a PrinterId with a control character', profile('A\nB', 1, 2, 1), 'profile 1: PrinterId contains control characters'],
    ['a PrinterId too long', profile('x'.repeat(129), 1, 2, 1), 'profile 1: PrinterId is 129 characters, over 128'],
    ['a negative counter', { ...profile('A', 1, 2, 1), EventCount: -1 }, 'profile 1 (A): EventCount must be a non-negative integer'],
    [
      'a counter not a number',
      { ...profile('A', 1, 2, 1), OutOfBoundsCount: '0' },
      'profile 1 (A): OutOfBoundsCount must be a non-negative integer',
    ],
    ['not an object', 'Printer1', 'profile 1: expected an object'],
  ])('refuses %s with one line naming the entry and the field', (_what, entry, reason) => {
    expect(problems([entry])).toEqual([reason]);
  });

  it('gives every bad field of every entry, in order', () => {
    const value = [
      profile('Good', 1, 2, 1),
      { PrinterId: 'A', Thresholds: { Lower: 'low', Upper: null }, Window: 0, Colour: 'red' },
      { PrinterId: '', Thresholds: { Lower: 9, Upper: 1 } },
      profile('Good', 1, 2, 1),
    ];
    expect(problems(value)).toEqual([
      'profile 2 (A): unknown attribute "Colour"',
      'profile 2 (A): Thresholds.Lower is missing or not a number',
      'profile 2 (A): Thresholds.Upper is missing or not a number',
      'profile 2 (A): Window must be an integer >= 1, got 0',
      'profile 3: PrinterId must not be empty',
      'profile 3: Thresholds.Lower (9) is above Thresholds.Upper (1)',
      'profile 3: Window must be an integer >= 1, got nothing',
      'profile 4 (Good): PrinterId appears more than once',
    ]);
  });

  it('agrees with the detector: whatever it accepts passes, and a reason is the detector’s own', () => {
    const entries = [
      profile('A', 1, 1, 1),
      profile('A', -1e300, 1e300, 2 ** 40),
      profile('A', 3, 2, 1),
      profile('A', 1, 2, -1),
      { PrinterId: 'A', Thresholds: { t: { Upper: 1 } }, Mode: 'duration', DurationSeconds: 0, Latch: 2 },
    ];
    for (const entry of entries) {
      const detector = parseRules(entry);
      const checked = checkProfiles([entry]);
      expect(checked.ok).toBe(detector.ok);
      if (!detector.ok && !checked.ok) expect(checked.problems).toEqual(detector.reasons.map((reason) => `profile 1 (A): ${reason}`));
    }
  });

  it('returns the user attributes of valid profiles, accepting (not keeping) valid counters', () => {
    expect(checkProfiles([{ ...profile('A', 1, 2, 3), OutOfBoundsCount: 0, EventCount: 4 }])).toEqual({
      ok: true,
      profiles: [profile('A', 1, 2, 3)],
    });
    expect(checkProfiles([])).toEqual({ ok: true, profiles: [] });
  });

  it('takes one profile object when asked, naming it without a number', () => {
    expect(checkProfiles(profile('A', 1, 2, 3), { single: 'allowed' })).toEqual({ ok: true, profiles: [profile('A', 1, 2, 3)] });
    expect(problems(profile('A', 1, 2, 0), { single: 'allowed' })).toEqual(['profile (A): Window must be an integer >= 1, got 0']);
    expect(problems(profile('A', 1, 2, 3))).toEqual(['expected a JSON array of profiles']);
    expect(problems(42, { single: 'allowed' })).toEqual(['expected a profile or a JSON array of profiles']);
  });
});

describe('parseProfiles', () => {
  it('throws the first problem as an InvalidProfileError', () => {
    expect(() => parseProfiles([profile('A', 1, 2, 1), profile('B', 5, 1, 0)])).toThrow(
      new InvalidProfileError('profile 2 (B): Thresholds.Lower (5) is above Thresholds.Upper (1)'),
    );
  });

  it('returns the profiles when all are valid', () => {
    expect(parseProfiles([profile('A', 1, 2, 1)])).toEqual([profile('A', 1, 2, 1)]);
  });
});

const FULL = {
  PrinterId: 'Full',
  Thresholds: {
    temperature: { Upper: 240, Severity: 'critical', Adaptive: { Sigma: 3, Alpha: 0.1, Warmup: 10 } },
    humidity: { Lower: 20 },
  },
  Window: 3,
  Mode: 'm-of-n',
  Of: 5,
  Adaptive: { Sigma: 4 },
  Severity: 'minor',
  Clear: { temperature: { Upper: 230 } },
  ClearAfter: 2,
  Latch: true,
  SilenceSeconds: 300,
  RenotifyMinutes: 15,
  NotifyMinIntervalSeconds: 300,
};

describe('checkProfiles: the extended attributes', () => {
  it('returns exactly the user attributes given, every new one included, counters dropped', () => {
    expect(checkProfiles([{ ...FULL, EventCount: 2, OutOfBoundsCount: 1 }])).toEqual({ ok: true, profiles: [FULL] });
    const duration = { PrinterId: 'D', Thresholds: { Lower: 1, Upper: 2 }, Mode: 'duration', DurationSeconds: 60 };
    expect(checkProfiles([duration])).toEqual({ ok: true, profiles: [duration] });
  });

  it('gives one line per bad field of the new attributes, naming the entry and the field', () => {
    const bad = {
      ...FULL,
      Thresholds: { temperature: { Upper: 'hot' }, humidity: {} },
      Of: 2,
      Severity: 'urgent',
      Clear: { pressure: { Upper: 1 } },
      SilenceSeconds: 10,
      Enrol: true,
      Extra: 1,
    };
    expect(problems([bad])).toEqual([
      'profile 1 (Full): unknown attribute "Extra"',
      'profile 1 (Full): Thresholds.temperature.Upper must be a number, got "hot"',
      'profile 1 (Full): Thresholds.humidity needs Lower, Upper or both',
      'profile 1 (Full): Of (2) is below Window (3)',
      'profile 1 (Full): Severity must be critical, major, minor or warning, got "urgent"',
      'profile 1 (Full): SilenceSeconds must be an integer >= 60, got 10',
      'profile 1 (Full): Enrol applies only to the fleet defaults (PrinterId "*")',
    ]);
  });
});

describe('checkProfiles: the fleet defaults', () => {
  const DEFAULTS = { PrinterId: '*', Thresholds: { Lower: 0, Upper: 100 }, Window: 5, Enrol: true };

  it('accepts a partial * entry, and lets the other entries inherit from it', () => {
    const printer = { PrinterId: 'P', Window: 2 };
    expect(checkProfiles([printer, DEFAULTS])).toEqual({ ok: true, profiles: [printer, DEFAULTS] });
    expect(checkProfiles([{ PrinterId: '*', Severity: 'minor' }])).toEqual({ ok: true, profiles: [{ PrinterId: '*', Severity: 'minor' }] });
    expect(problems([printer])).toEqual(['profile 1 (P): Thresholds is missing or not a map']);
  });

  it('inherits from defaults given by the caller when the list has none', () => {
    expect(checkProfiles([{ PrinterId: 'P' }], { defaults: DEFAULTS }).ok).toBe(true);
    expect(parseProfiles([{ PrinterId: 'P' }], { defaults: DEFAULTS })).toEqual([{ PrinterId: 'P' }]);
  });

  it('refuses the bad fields of a * entry, and names inherited ones on the printers', () => {
    expect(
      problems([
        { PrinterId: '*', Window: 0, Enrol: 'yes', Colour: 1 },
        { PrinterId: 'P', Thresholds: { Lower: 1, Upper: 2 } },
      ]),
    ).toEqual([
      'profile 1 (*): unknown attribute "Colour"',
      'profile 1 (*): Window must be an integer >= 1, got 0',
      'profile 1 (*): Enrol must be true or false, got "yes"',
      'profile 2 (P): Window must be an integer >= 1, got 0 (from the fleet defaults)',
    ]);
    expect(problems([DEFAULTS, DEFAULTS])).toEqual(['profile 2 (*): PrinterId appears more than once']);
  });
});

describe('checkProfile', () => {
  it('checks one profile object, giving every reason without an entry name', () => {
    expect(checkProfile(FULL)).toEqual({ ok: true, profile: FULL });
    expect(checkProfile({ PrinterId: 'A', Thresholds: { Lower: 5, Upper: 1 }, Window: 0 })).toEqual({
      ok: false,
      reasons: ['Thresholds.Lower (5) is above Thresholds.Upper (1)', 'Window must be an integer >= 1, got 0'],
      fields: { Thresholds: 'Thresholds.Lower (5) is above Thresholds.Upper (1)', Window: 'Window must be an integer >= 1, got 0' },
    });
    expect(checkProfile('A')).toEqual({ ok: false, reasons: ['expected an object'] });
  });

  it('takes the PrinterId the request names: the body may omit it, and must not contradict it', () => {
    const { PrinterId: _, ...body } = FULL;
    expect(checkProfile(body, 'Full')).toEqual({ ok: true, profile: FULL });
    expect(checkProfile(FULL, 'Full')).toEqual({ ok: true, profile: FULL });
    const other = 'PrinterId is "Full" but the profile is for "Other"';
    expect(checkProfile(FULL, 'Other')).toEqual({ ok: false, reasons: [other], fields: { PrinterId: other } });
    expect(checkProfile({ Severity: 'minor' }, '*')).toEqual({ ok: true, profile: { PrinterId: '*', Severity: 'minor' } });
    expect(checkProfile({ Window: 1 }, 'P', { defaults: { Thresholds: { Lower: 1, Upper: 2 } } })).toEqual({
      ok: true,
      profile: { PrinterId: 'P', Window: 1 },
    });
    const empty = 'PrinterId must not be empty';
    expect(checkProfile(body, '')).toEqual({ ok: false, reasons: [empty], fields: { PrinterId: empty } });
  });
});
