/** Enrolment: a printer without a profile gets one only when the fleet defaults say `Enrol` and a reading would apply. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTR, FLEET_DEFAULTS_ID } from '../../contract/index.ts';
import type { Reading } from '../../lambda/core/types.ts';
import { FleetDefaults } from '../../lambda/fleet-defaults.ts';
import { singlePlan } from '../../lambda/plans.ts';
import { enrols } from '../../lambda/printer-loader.ts';

const fleet = new FleetDefaults(
  { read: () => Promise.resolve(undefined) },
  () => new Date(0),
  30_000,
  () => {},
);

describe('enrols', () => {
  it('is true exactly when the defaults hold Enrol = true and the reading carries the monitored metric', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(true, false, undefined, 'true', 1),
        fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }),
        (enrol, value) => {
          const defaults = {
            [ATTR.printerId]: FLEET_DEFAULTS_ID,
            [ATTR.thresholds]: { [ATTR.lower]: 0, [ATTR.upper]: 100 },
            [ATTR.window]: 3,
            ...(enrol === undefined ? {} : { [ATTR.enrol]: enrol }),
          };
          const reading: Reading = { printerId: 'New1', metrics: value === undefined ? {} : { value } };
          const decided = enrols(fleet, 'New1', defaults, (state) => singlePlan(state, reading, 'req', 0));
          expect(decided).toBe(enrol === true && value !== undefined);
        },
      ),
    );
  });

  it('is false without fleet defaults', () => {
    const reading = { printerId: 'New1', metrics: { value: 50 } };
    expect(enrols(fleet, 'New1', undefined, (state) => singlePlan(state, reading, 'req', 0))).toBe(false);
  });
});
