import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putOriginalProfile } from './support/profiles.ts';
import { startDetectorHarness, type DetectorHarness } from './support/detector-harness.ts';
import { runModel } from './support/model.ts';

let h: DetectorHarness;
beforeEach(async () => {
  h = await startDetectorHarness();
  await putOriginalProfile(h.admin, h.tableName, 'Printer1', 20, 80, 10);
  await putOriginalProfile(h.admin, h.tableName, 'Printer2', 30, 90, 6);
});
afterEach(async () => {
  await h.close();
});

const reading = (PrinterId: string, value: number, extra: Record<string, unknown> = {}) => ({
  PrinterId,
  data: { value },
  ...extra,
});

describe('handler on the embedded DynamoDB, with profiles written by the original put-item commands', () => {
  it('counts windows and events exactly as the original, and publishes each event', async () => {
    const values = [85, 85, 85, 85, 85, 50, 95, 95, 95, 95, 95, 95, 10, 10, 10, 10, 10, 10, 95];
    for (const v of values) await h.invoke(reading('Printer2', v));
    const expected = runModel({ Printer2: { lower: 30, upper: 90, window: 6 } }, values.map((value) => ({ printerId: 'Printer2', value })));
    const item = await h.item('Printer2');
    expect(item).toMatchObject({
      OutOfBoundsCount: expected.printers['Printer2']!.outOfBoundsCount,
      EventCount: expected.printers['Printer2']!.eventCount,
      Thresholds: { Lower: 30, Upper: 90 },
      Window: 6,
    });
    expect(expected.printers['Printer2']!.eventCount).toBe(2);
    expect(h.published.map((e) => [e.PrinterId, e.events])).toEqual([
      ['Printer2', 1],
      ['Printer2', 2],
    ]);
    expect(h.published[0]).toMatchObject({ window: 6, thresholds: { Lower: 30, Upper: 90 }, value: 95 });
    expect(item?.['PendingEvents']).toBeUndefined();
  });
});
