import { createRequire } from 'node:module';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmsResult } from '../../bench/alarms.ts';
import { itemParts, type StateRow } from '../../bench/alarms-state.ts';
import { indexWriteUnits, itemBytes, numberBytes, writeUnits } from '../../bench/item-size.ts';
import { alarmsSummary, alarmsTargets } from '../../bench/report-alarms.ts';

/** dynalite's own item size (what its capacity units are computed from), to check ours against. */
const dynalite = createRequire(import.meta.url)('dynalite/db/index.js') as { itemSize(item: Record<string, AttributeValue>): number };

describe("the alarms bench's item size", () => {
  it('counts a number as 1 byte plus 1 per two significant digits', () => {
    expect(numberBytes('0')).toBe(1);
    expect(numberBytes('1000')).toBe(2);
    expect(numberBytes('123.45')).toBe(4);
    expect(numberBytes('-3')).toBe(3);
    expect(numberBytes('1764000000123')).toBe(8);
  });

  it('sizes every attribute type as dynalite does', () => {
    const item: Record<string, AttributeValue> = {
      PrinterId: { S: 'Printer1' },
      EventCount: { N: '12' },
      LastValue: { N: '-0.05' },
      Latch: { BOOL: true },
      Severity: { NULL: true },
      Alarm: { M: { State: { S: 'ACTIVE' }, Seq: { N: '3' }, Until: { NULL: true } } },
      Recent: { M: { s1: { L: [{ N: '1764000000123' }, { N: '21.5' }] } } },
      PendingEvents: { SS: ['{"a":1}', '{"b":22}'] },
    };
    expect(itemBytes(item)).toBe(dynalite.itemSize(item));
  });

  it('bills a write 1 unit per KB started of the larger item, and each index entry it puts, deletes or rewrites', () => {
    const base = { PrinterId: { S: 'P1' }, LastValue: { N: '20' }, DuePartition: { S: 'due' }, DueAt: { N: '1000' } };
    expect(writeUnits(base, { ...base, Recent: { S: 'x'.repeat(1500) } })).toBe(2);
    // The silence deadline moves: its entry is deleted and put again.
    expect(indexWriteUnits(base, { ...base, DueAt: { N: '2000' } })).toBe(2);
    // Nothing an index holds changes.
    expect(indexWriteUnits(base, { ...base, LastValue: { N: '21' } })).toBe(0);
    // Listed as an alarm: the entry is put; the alarm index holds keys only, so a new LastValue leaves it alone.
    const listed = { ...base, AlarmPartition: { S: 'alarm' }, AlarmKey: { S: '0#P1' } };
    expect(indexWriteUnits(base, listed)).toBe(1);
    expect(indexWriteUnits(listed, { ...listed, LastValue: { N: '22' } })).toBe(0);
    // Back to NORMAL: the entry is deleted.
    expect(indexWriteUnits(listed, base)).toBe(1);
  });

  it('splits an item into its parts', () => {
    const parts = itemParts({ PrinterId: { S: 'P' }, Detector: { M: { Bits: { S: '0101' } } }, Rev: { N: '1' } });
    expect(parts).toMatchObject({
      profile: 'PrinterId'.length + 1,
      memory: 'Detector'.length + 3 + 1 + 'Bits'.length + 4,
      counters: 'Rev'.length + 2,
    });
  });
});

const sample = (readings: number, bytes: number) => ({
  readings,
  bytes,
  parts: { profile: 0, memory: 0, alarm: 0, recent: 0, outbox: 0, counters: bytes },
  alarmState: 'NORMAL',
  eventCount: 0,
});
const call = (requests: number) => ({ ms: 1, requests, byCommand: { Query: requests }, itemsRead: 0 });
/** A row whose history writes go in requests of their own (`apart` per reading) or ride on the profile's write. */
const readingRow = (form: 'extended' | 'original', fleetSize: number, requestsPerReading: number, apart: number) => ({
  form,
  fleetSize,
  readingsPerPrinter: 10,
  readings: fleetSize * 10,
  requestsPerReading,
  requestsPerReadingByCommand: { UpdateItem: 1, PutItem: requestsPerReading - 1 },
  requestsPerReadingByTable: { profiles: 1, history: requestsPerReading - 1 },
  historyWritesPerReading: { withProfile: 0.01 - apart, apart },
  readsPerPrinter: 1,
  requestsPerReadingWithRead: requestsPerReading,
  writeUnitsPerReading: 1,
  conditionFailuresPerReading: 0,
  eventsPerReading: 0.01,
  transitionsPerReading: 0.02,
  notificationsPerReading: 0.02,
  eventsPublished: 1,
  eventsExpected: 1,
  failures: 0,
  readingsPerSecond: 100,
});

function result(
  extended: [number, number],
  state: StateRow['bounded'],
  sweep: [number, number],
  historyApart = 0,
  over = 30,
): AlarmsResult {
  const stateRow: StateRow = {
    mode: 'm-of-n',
    printerId: 'P',
    readings: 10_000,
    at: [sample(1000, 900), sample(10_000, 910)],
    largestMiddle: sample(5000, 950),
    largestLast: sample(9000, 950),
    writeUnitsPerReading: { table: 2, indexes: 2, history: 0.1 },
    bounded: state,
  };
  return {
    section: 'alarms',
    runs: 1,
    perReading: {
      readingsPerRun: 100,
      minReadingsPerPrinter: 4,
      primingReadings: { min: 30, max: 60 },
      readsAmortisedOver: over,
      seconds: 1,
      rows: [
        readingRow('extended', 10, extended[0], historyApart),
        readingRow('extended', 10_000, extended[1], historyApart),
        readingRow('original', 10_000, 1.01, historyApart),
      ],
    },
    state: { readingsPerPrinter: 10_000, rows: [stateRow], seconds: 1 },
    fleet: {
      duePrinters: 10,
      activeAlarms: 5,
      seconds: 1,
      rows: [1000, 100_000].map((fleetSize, i) => ({
        fleetSize,
        loadSeconds: 1,
        loadedItems: fleetSize,
        ranked: { ...call(2), printers: 10 },
        alarms: { ...call(1), printers: 5 },
        sweep: { ...call(sweep[i]!), due: 10, transitions: 10, failed: 0 },
        idleSweep: call(1),
      })),
    },
  };
}

describe("the alarms bench's targets", () => {
  it('are met when requests per reading stay within 1 + the first read share, history rides on the profile write and the fleet figures do not move', () => {
    const checks = alarmsTargets(result([1.03, 1.033], true, [42, 42]));
    expect(checks.map((c) => c.met)).toEqual([true, true, true, true, true]);
  });

  it('hold requests per reading to 1.00 plus one read per printer spread over its readings, whatever that count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 1, max: 3, noNaN: true }), (over, requests) => {
        const [check] = alarmsTargets(result([1, requests], true, [42, 42], 0, over));
        expect(check!.met).toBe(requests <= 1 + 1 / over);
      }),
    );
  });

  it('say why when requests per reading are above the limit and history has a request of its own, and miss a sweep that grows with the fleet', () => {
    const checks = alarmsTargets(result([1.03, 1.08], false, [42, 50], 0.004));
    expect(checks.map((c) => c.met)).toEqual([false, false, false, false, true]);
    expect(checks[0]!.why).toMatch(/0\.004 requests writing the history table apart/);
    expect(checks[0]!.why).toMatch(/original-form profiles, history on too: 1\.010/);
    expect(checks[1]!.measured).toMatch(/apart from the profile: 0\.004 per reading/);
  });

  it('write a summary section with one table row per fleet size and form', () => {
    const lines = alarmsSummary({ ...result([1.03, 1.03], true, [42, 42]), context: { seconds: 3 } });
    expect(lines[0]).toBe('## Alarms: every option on');
    expect(lines.filter((l) => /^\| [\d,]+ \| (extended|original) \|/.test(l))).toHaveLength(3);
    expect(alarmsSummary(undefined)).toEqual([]);
  });
});
