import { describe, expect, it } from 'vitest';
import { batchedMessages } from '../../bench/ingest.ts';

const r = (PrinterId: string, value: number) => ({ PrinterId, data: { value } });

describe("the ingest bench's batched messages", () => {
  it("keep each printer's readings in order, at most `size` per message, without PrinterId in the elements", () => {
    const readings = [r('A', 1), r('B', 1), r('A', 2), r('B', 2), r('A', 3)];
    expect(batchedMessages(readings, 2)).toEqual([
      { PrinterId: 'A', readings: [{ data: { value: 1 } }, { data: { value: 2 } }] },
      { PrinterId: 'B', readings: [{ data: { value: 1 } }, { data: { value: 2 } }] },
      { PrinterId: 'A', readings: [{ data: { value: 3 } }] },
    ]);
  });
});
