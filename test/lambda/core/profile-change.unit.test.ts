import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeChange, REMOVABLE_ATTRIBUTES } from '../../../lambda/core/profile-change.ts';

const DEFAULTS = { PrinterId: '*', Thresholds: { Lower: 0, Upper: 100 }, Window: 3 };
const STORED = {
  PrinterId: 'P',
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 2,
  Severity: 'critical',
  Latch: true,
  SilenceSeconds: 600,
  EventCount: 7,
  Alarm: { State: 'ACTIVE' },
};

describe('judgeChange', () => {
  it('judges the profile a change leaves with the fleet defaults merged in, as the detector runs it', () => {
    const inherits = { kind: 'replace' as const, printerId: 'P', profile: { Mode: 'm-of-n', Of: 5 } };
    expect(judgeChange(undefined, inherits, DEFAULTS)).toEqual({ ok: true, profile: { PrinterId: 'P', Mode: 'm-of-n', Of: 5 } });
    expect(judgeChange(undefined, inherits, undefined)).toMatchObject({
      ok: false,
      reasons: ['Thresholds is missing or not a map', expect.any(String)],
    });
    const tooSmall = judgeChange(undefined, { kind: 'merge', printerId: 'P', set: { Mode: 'm-of-n', Of: 2 } }, DEFAULTS);
    expect(tooSmall).toEqual({ ok: false, reasons: ['Of (2) is below Window (3)'], fields: { Of: 'Of (2) is below Window (3)' } });
  });

  it('a merge keeps every user attribute it does not name, and never returns counters or bookkeeping', () => {
    const names = ['Severity', 'Latch', 'SilenceSeconds', 'Window'];
    fc.assert(
      fc.property(fc.subarray(names), fc.subarray(names), (setNames, unsetNames) => {
        const values: Record<string, unknown> = { Severity: 'minor', Latch: false, SilenceSeconds: 120, Window: 1 };
        const set = Object.fromEntries(setNames.map((n) => [n, values[n]]));
        const unset = unsetNames.filter((n) => !setNames.includes(n));
        const judged = judgeChange(STORED, { kind: 'merge', printerId: 'P', set, unset }, DEFAULTS);
        // The model: the stored user attributes, with the named ones set or removed.
        const { EventCount: _e, Alarm: _a, ...user } = STORED;
        const expected: Record<string, unknown> = { ...user, ...set };
        for (const name of unset) delete expected[name];
        expect(judged).toEqual({ ok: true, profile: expected });
      }),
    );
  });

  it('refuses to remove what is not a rule attribute, or to set and remove the same one, in one line each', () => {
    const judged = judgeChange(STORED, { kind: 'merge', printerId: 'P', set: { Latch: false }, unset: ['EventCount', 'Latch'] }, undefined);
    const cannot = `cannot unset "EventCount": only ${REMOVABLE_ATTRIBUTES.join(', ')} can be removed`;
    expect(judged).toEqual({
      ok: false,
      reasons: [cannot, 'Latch is both set and unset'],
      fields: { EventCount: cannot, Latch: 'Latch is both set and unset' },
    });
  });

  it('judges a change to the fleet defaults as a partial profile', () => {
    expect(judgeChange(DEFAULTS, { kind: 'merge', printerId: '*', set: { SilenceSeconds: 60 } }, DEFAULTS)).toEqual({
      ok: true,
      profile: { ...DEFAULTS, SilenceSeconds: 60 },
    });
    expect(judgeChange(DEFAULTS, { kind: 'merge', printerId: '*', set: { SilenceSeconds: 5 } }, undefined)).toMatchObject({ ok: false });
  });
});
