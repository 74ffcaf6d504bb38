/**
 * The history item as stored: DynamoDB deletes it by its `ExpiresAt` (epoch
 * seconds, the table's TTL attribute), `historyDays` whole days after the
 * event or transition happened (the README's `-c historyDays=N`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_ATTR, type HistoryItem } from '../../../contract/index.ts';
import { storedHistoryItem } from '../../../lambda/adapters/dynamodb-history.ts';
import { fromItem } from '../../../lambda/adapters/dynamodb-values.ts';

/** Independent of the code's arithmetic: the calendar date `days` later, in UTC, as epoch seconds. */
function daysLater(at: string, days: number): number {
  const date = new Date(at);
  date.setUTCDate(date.getUTCDate() + days);
  return Math.floor(date.getTime() / 1000);
}

const time = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }).map((ms) => new Date(ms).toISOString());

const item: fc.Arbitrary<HistoryItem> = fc.oneof(
  time.map((at) => ({ Type: 'event' as const, PrinterId: 'P1', events: 3, window: 6, thresholds: { Lower: 1, Upper: 2 }, at })),
  time.map((At) => ({
    Type: 'transition' as const,
    PrinterId: 'P1',
    From: 'NORMAL' as const,
    To: 'ACTIVE' as const,
    Cause: 'threshold' as const,
    Severity: null,
    By: 'detector',
    Note: null,
    At,
  })),
);

describe('history item expiry', () => {
  it('expires historyDays whole days after the item happened, never hours', () => {
    fc.assert(
      fc.property(item, fc.integer({ min: 1, max: 3650 }), (history, days) => {
        const stored = fromItem(storedHistoryItem(history, 7, days));
        const at = history.Type === 'event' ? history.at : history.At;
        expect(stored[EVENT_ATTR.expiresAt]).toBe(daysLater(at, days));
      }),
    );
  });
});
