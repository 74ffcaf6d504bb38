/**
 * Profiles as users write them: one reason per bad field, each naming the
 * entry and the field, decided by the detector's own profile rules.
 */
import { describe, expect, it } from 'vitest';
import { checkProfiles, parseProfiles } from '../../../lambda/core/profile-input.ts';
import { parseProfile } from '../../../lambda/core/profile.ts';
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
    const entries = [profile('A', 1, 1, 1), profile('A', -1e300, 1e300, 2 ** 40), profile('A', 3, 2, 1), profile('A', 1, 2, -1)];
    for (const entry of entries) {
      const detector = parseProfile(entry);
      const checked = checkProfiles([entry]);
      expect(checked.ok).toBe(detector.ok);
      if (!detector.ok && !checked.ok) expect(checked.problems).toEqual([`profile 1 (A): ${detector.reason}`]);
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
