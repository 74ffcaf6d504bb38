/**
 * The validator's reasons per attribute (what a profile editor shows beside
 * each field): for any profile, every reason is under an attribute, the
 * attribute the reason names, and a valid profile has none.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProfile } from '../../../lambda/core/profile-input.ts';
import { USER_ATTRIBUTES } from '../../../lambda/core/rules.ts';

const anyValue = fc.oneof(fc.integer({ min: -5, max: 500 }), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null), fc.double());
const band = fc.record(
  { Lower: fc.oneof(fc.integer({ min: -10, max: 100 }), anyValue), Upper: fc.oneof(fc.integer({ min: -10, max: 100 }), anyValue) },
  { requiredKeys: [] },
);
const profile = fc.record(
  {
    Thresholds: fc.oneof(band, anyValue, fc.dictionary(fc.constantFrom('value', 'temp', ''), band, { maxKeys: 2 })),
    Window: fc.oneof(fc.integer({ min: 0, max: 5 }), anyValue),
    Mode: fc.oneof(fc.constantFrom('consecutive', 'm-of-n', 'duration'), anyValue),
    Of: fc.oneof(fc.integer({ min: 0, max: 6 }), anyValue),
    DurationSeconds: fc.oneof(fc.integer({ min: 0, max: 60 }), anyValue),
    Severity: fc.oneof(fc.constantFrom('critical', 'major', 'minor', 'warning'), anyValue),
    Clear: fc.oneof(band, anyValue),
    ClearAfter: fc.oneof(fc.integer({ min: 0, max: 3 }), anyValue),
    Latch: fc.oneof(fc.boolean(), anyValue),
    SilenceSeconds: fc.oneof(fc.integer({ min: 0, max: 120 }), anyValue),
    Enrol: fc.boolean(),
    Colour: anyValue,
  },
  { requiredKeys: [] },
);

describe('reasons per field', () => {
  it('every reason is under the attribute it names, and only refused profiles have any', () => {
    fc.assert(
      fc.property(profile, (body) => {
        const checked = checkProfile(body, 'P1');
        if (checked.ok) return;
        const fields = checked.fields ?? {};
        for (const reason of checked.reasons) {
          const under = Object.entries(fields).filter(([, line]) => line.split('; ').includes(reason) || line.includes(reason));
          expect(under.length, reason).toBeGreaterThan(0);
          // The attribute is in the body or is one a profile has; the reason names it.
          for (const [name] of under) {
            expect([...USER_ATTRIBUTES, 'OutOfBoundsCount', 'EventCount', ...Object.keys(body)]).toContain(name);
            expect(reason, name).toContain(name);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('names the field of each refused attribute', () => {
    const checked = checkProfile({ Thresholds: { Lower: 90, Upper: 80 }, Window: 0, Colour: 'red', Enrol: true }, 'P1');
    expect(checked.ok).toBe(false);
    expect(Object.keys((checked as { fields: object }).fields).sort()).toEqual(['Colour', 'Enrol', 'Thresholds', 'Window']);
  });
});
