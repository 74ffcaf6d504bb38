/**
 * Smoke test of the alarms section of `npm run bench` on a tiny
 * configuration against the embedded DynamoDB: it runs and counts what it
 * says it counts. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlarmsResult, alarmsBench } from '../../bench/alarms.ts';
import { alarmsTargets } from '../../bench/report-alarms.ts';
import { startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';

let db: EmbeddedDynamoDb;
let result: AlarmsResult;
beforeAll(async () => {
  db = await startDynamoDb();
  result = await alarmsBench({
    endpoint: db.endpoint,
    fleetSizes: [12],
    readingsPerRun: 120,
    minReadingsPerPrinter: 2,
    stateReadings: 90,
    routeFleetSizes: [1000, 1200],
    runs: 1,
  });
});
afterAll(async () => {
  await db.close();
});

describe('alarms bench', () => {
  it('counts one write per reading: an UpdateItem, or a TransactWriteItems carrying history for a write that counted events or transitions', () => {
    for (const row of result.perReading.rows) {
      expect(row.readings).toBe(120);
      expect(row.readsPerPrinter).toBe(1);
      const { UpdateItem = 0, TransactWriteItems = 0, BatchWriteItem = 0 } = row.requestsPerReadingByCommand;
      expect(UpdateItem + TransactWriteItems).toBeCloseTo(1, 6);
      expect(BatchWriteItem).toBe(0);
      // Every request that wrote history is counted once: in the profile's request (a transaction), none apart from it.
      const { withProfile, apart } = row.historyWritesPerReading;
      expect(withProfile + apart).toBeCloseTo(row.requestsPerReadingByTable.history, 6);
      expect(apart).toBe(0);
      expect(row.eventsPublished).toBe(row.eventsExpected);
      expect(row.failures).toBe(0);
    }
  });

  it('sizes an item after every reading of each mode', () => {
    expect(result.state.rows.map((row) => row.readings)).toEqual([90, 90, 90, 90, 90]);
    for (const row of result.state.rows) expect(row.largestLast.bytes).toBeGreaterThan(100);
  });

  it('sweeps the due printers and lists the ranked and the active ones with the same requests at both sizes', () => {
    const [small, large] = result.fleet.rows;
    // One Query on the deadline index, then a fixed number of requests per due printer, whatever the fleet.
    expect(small!.sweep).toMatchObject({ due: 10, transitions: 10, failed: 0 });
    expect(small!.sweep.byCommand['Query']).toBe(1);
    expect((small!.sweep.requests - 2) % 10).toBe(0); // the Query, one read of the fleet defaults, the same requests per due printer
    expect(large!.sweep.requests).toBe(small!.sweep.requests);
    expect(small!.ranked).toMatchObject({ requests: 2, printers: 10 });
    expect(small!.alarms).toMatchObject({ requests: 2, printers: 5 });
    expect(
      alarmsTargets(result)
        .slice(3)
        .map((c) => c.met),
    ).toEqual([true, true]);
  });
});
