/**
 * Smoke test of the benchmark modules (`npm run bench`) on a tiny
 * configuration: they run against the embedded DynamoDB and count what they
 * claim to count. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetChart } from '../../bench/chart.ts';
import { perReadingBench, type PerReadingResult } from '../../bench/per-reading.ts';
import { rankingBench } from '../../bench/ranking.ts';
import { checkTargets } from '../../bench/report.ts';
import { generateWorkload } from '../../bench/workload.ts';
import { startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';

let db: EmbeddedDynamoDb;
beforeAll(async () => {
  db = await startDynamoDb();
});
afterAll(async () => {
  await db.close();
});

describe('bench workload', () => {
  it('is deterministic and interleaves printers round-robin with increasing seq', () => {
    const a = generateWorkload(3, 4, 5);
    const b = generateWorkload(3, 4, 5);
    expect(a.readings).toEqual(b.readings);
    expect(a.readings.slice(0, 4).map((r) => [r.PrinterId, r.seq])).toEqual([
      ['Printer1', 1],
      ['Printer2', 1],
      ['Printer3', 1],
      ['Printer1', 2],
    ]);
  });
});

describe('per-reading bench', () => {
  let result: PerReadingResult;
  beforeAll(async () => {
    result = await perReadingBench({
      endpoint: db.endpoint,
      fleetSizes: [10],
      readingsPerPrinter: 10,
      originalItemsScannedBudget: 10_000,
      runs: 1,
      warmUp: false,
      handlerCpuFleetSize: 10,
    });
  });

  it('runs a bare UpdateItem per reading beside our handler, through the same client, and compares their CPU', () => {
    const row = result.rows[0]!;
    expect(row.bareUpdate).toMatchObject({
      readings: 100,
      requestsPerReading: 1,
      requestsPerReadingByCommand: { UpdateItem: 1 },
      failures: 0,
    });
    expect(row.bareUpdate!.cpuMsPerReading.handler).toBeGreaterThan(0);
    expect(row.ratio.cpuVsBareUpdate).toBeCloseTo(row.ours.cpuMsPerReading.handler / row.bareUpdate!.cpuMsPerReading.handler, 1);
  });

  it('counts one UpdateItem per reading and one GetItem per printer for our handler', () => {
    const ours = result.rows[0]!.ours;
    expect(ours.readings).toBe(100);
    // One read per printer: a GetItem, or a BatchGetItem when the fleet defaults come in the same request.
    const { GetItem = 0, BatchGetItem = 0, UpdateItem } = ours.requestsPerReadingByCommand as Record<string, number>;
    expect(GetItem + BatchGetItem).toBeCloseTo(0.1, 6);
    expect(UpdateItem).toBe(1);
    expect(ours.requestsPerReading).toBeCloseTo(1.1, 6);
    expect(ours.itemsReadPerReading).toBeCloseTo(0.1, 6);
    expect(ours.eventsPublished).toBe(ours.eventsExpected);
    expect(ours.failures).toBe(0);
  });

  it('models the original as GetItem + UpdateItem + a Scan of every item per reading', () => {
    const original = result.rows[0]!.original;
    expect(original.requestsPerReadingByCommand).toEqual({ GetItem: 1, Scan: 1, UpdateItem: 1 });
    expect(original.itemsReadPerReading).toBe(11); // the profile, plus all 10 items scanned
    expect(original.eventsPublished).toBe(original.eventsExpected);
  });

  it('draws both designs in the chart and checks the targets', () => {
    const svg = fleetChart(result, 'test');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<path d="M/g)).toHaveLength(4); // two series in two panels
    const context = {
      machine: { cpuModel: 'x', cores: 1, memoryGiB: 1, node: 'v20', platform: 'linux', date: '' },
      command: '',
      loadAverage: { start: 0, end: 0 },
      seconds: 0,
    };
    const checks = checkTargets({ perReading: { ...result, context } });
    expect(checks[0]).toMatchObject({ met: false }); // 1.1 requests per reading at 10 readings per printer
  });
});

describe('ranking bench', () => {
  it('finds the same top 10 with one Query on the index as with a full Scan and a sort', async () => {
    const result = await rankingBench({ endpoint: db.endpoint, fleetSizes: [300], runs: 1 });
    const row = result.rows[0]!;
    expect(row.sameTop10).toBe(true);
    expect(row.top10).toHaveLength(10);
    expect(row.query).toMatchObject({ requests: 1, itemsRead: 10 });
    expect(row.scan.itemsRead).toBe(300);
  });
});
