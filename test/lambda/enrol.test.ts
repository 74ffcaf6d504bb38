/**
 * Enrolment by the fleet defaults (the `*` item), on the embedded DynamoDB:
 * only `Enrol: true` creates a missing printer's profile on its first valid
 * reading; defaults without it (absent or false) leave unknown printers
 * unknown, whatever else they hold (docs/design.md, "Detection, extended").
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';

let h: DetectorHarness;
beforeAll(async () => {
  // The defaults are read again on every reading, so each case sees the `*` item it wrote.
  h = await startDetectorHarness({ processor: { defaultsTtlMs: 0 } });
});
afterAll(async () => {
  await h.close();
});

/** Fleet defaults of any rule form, with `Enrol` absent, false or true. */
const defaults = (enrol: fc.Arbitrary<boolean | undefined>): fc.Arbitrary<ProfileInput> =>
  fc
    .record({
      lower: fc.integer({ min: -50, max: 50 }),
      width: fc.integer({ min: 1, max: 100 }),
      Window: fc.integer({ min: 1, max: 10 }),
      Mode: fc.constantFrom(undefined, 'consecutive' as const),
      enrol,
    })
    .map(({ lower, width, Window, Mode, enrol: Enrol }) => ({
      PrinterId: '*',
      Thresholds: { Lower: lower, Upper: lower + width },
      Window,
      ...(Mode ? { Mode } : {}),
      ...(Enrol === undefined ? {} : { Enrol }),
    }));

let printers = 0;
const newPrinter = () => `Ghost-${++printers}`;
const value = fc.integer({ min: -200, max: 200 });

describe('enrolment by the fleet defaults', () => {
  it('defaults without Enrol: true never create a printer, in or out of bounds; with it, the same reading does', async () => {
    await fc.assert(
      fc.asyncProperty(defaults(fc.constantFrom(undefined, false)), value, async (star, v) => {
        await seedProfiles(h.admin, h.tableName, [star]);
        const ghost = newPrinter();
        const result = await h.invoke({ PrinterId: ghost, data: { value: v } });
        expect(result.outcome).toBe('unknown-printer');
        expect(await h.item(ghost)).toBeUndefined();

        // The same defaults with Enrol: true enrol the same kind of printer on the same reading.
        await seedProfiles(h.admin, h.tableName, [{ ...star, Enrol: true }]);
        const enrolled = newPrinter();
        expect((await h.invoke({ PrinterId: enrolled, data: { value: v } })).outcome).not.toBe('unknown-printer');
        expect(await h.item(enrolled)).toMatchObject({ PrinterId: enrolled });
      }),
      { numRuns: 15 },
    );
  });
});
