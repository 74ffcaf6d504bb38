/**
 * The detector keeps a printer's silence deadline only while its rules have
 * one: after `SilenceSeconds` is removed from the fleet defaults (a write that
 * touches no printer), the printer's next reading drops the stale deadline
 * and its place in the deadline index, on the embedded DynamoDB.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedProfiles, writeProfileChanges } from '../../lambda/adapters/profile-writer.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
let now = T0;
let h: DetectorHarness;

beforeEach(async () => {
  now = T0;
  // Defaults read on every reading, so a change to them is seen by the next one.
  h = await startDetectorHarness({ processor: { now: () => new Date(now), defaultsTtlMs: 0 } });
  await seedProfiles(h.admin, h.tableName, [
    { PrinterId: '*', SilenceSeconds: 60 } as never,
    { PrinterId: 'Quiet', Thresholds: { Lower: 20, Upper: 80 }, Window: 2 },
  ]);
});
afterEach(async () => {
  await h.close();
});

describe('a silence deadline follows the rules', () => {
  it('the next reading after SilenceSeconds is removed from the fleet defaults drops the stored deadline', async () => {
    await h.invoke({ PrinterId: 'Quiet', data: { value: 50 }, seq: 1 });
    expect(await h.item('Quiet')).toMatchObject({ SilenceAt: T0 + 60_000, DueAt: T0 + 60_000 });

    const { refused } = await writeProfileChanges(h.admin, h.tableName, [{ kind: 'replace', printerId: '*', profile: {} }]);
    expect(refused).toEqual([]);
    expect(await h.item('Quiet')).toHaveProperty('SilenceAt', T0 + 60_000);

    now = T0 + 1_000;
    await h.invoke({ PrinterId: 'Quiet', data: { value: 51 }, seq: 2 });
    const after = await h.item('Quiet');
    expect(after).not.toHaveProperty('SilenceAt');
    expect(after).not.toHaveProperty('DueAt');
    expect(after).not.toHaveProperty('DuePartition');
    expect(after).toMatchObject({ LastSeq: 2, LastValue: 51 });
    expect(after).not.toHaveProperty('Alarm');
  });
});
