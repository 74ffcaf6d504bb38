import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BundleResult, sdkOnlyHandler } from '../../bench/bundle.ts';
import type { DesignSummary, PerReadingResult, PerReadingRow } from '../../bench/per-reading.ts';
import { checkTargets, type RunContext } from '../../bench/report.ts';
import { perReadingTargets } from '../../bench/report-per-reading.ts';
import { BUNDLE, HANDLER_CPU } from '../../bench/targets.ts';

const context: RunContext = {
  machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, node: 'v22', platform: 'linux', date: '' },
  command: '',
  loadAverage: { start: 0, end: 0 },
  seconds: 0,
};

const design = (cpuMs: number, readingsPerSecond = 1000): DesignSummary => ({
  readings: 30_000,
  readingsPerPrinter: 30,
  readingsPerSecond,
  requestsPerReading: 1.033,
  requestsPerReadingByCommand: { GetItem: 0.033, UpdateItem: 1 },
  itemsReadPerReading: 0.033,
  readCapacityUnitsPerReading: 0.017,
  writeCapacityUnitsPerReading: 1,
  eventsPerReading: 0.04,
  eventsPublished: 1200,
  eventsExpected: 1200,
  failures: 0,
  logBytesPerReading: 40,
  cpuMsPerReading: { handler: cpuMs, dynamoDb: 0.5 },
  secondsPerRun: 30,
});

function perReading(ours: number, bare: number | null, fleetSize: number = HANDLER_CPU.fleetSize): PerReadingResult {
  const row: PerReadingRow = {
    fleetSize,
    ours: design(ours),
    original: design(5, 80),
    bareUpdate: bare === null ? null : design(bare, 1200),
    ratio: {
      requestsPerReading: 0.344,
      itemsReadPerReading: 0.00003,
      readingsPerSecond: 12.5,
      readingsPerSecondRange: [11, 13],
      cpuPerReading: 10,
      cpuVsBareUpdate: bare === null ? null : Math.round((ours / bare) * 100) / 100,
    },
  };
  return {
    section: 'per-reading',
    runs: 1,
    largeRuns: 1,
    readingsPerPrinter: 30,
    originalItemsScannedBudget: 1,
    concurrency: 16,
    rows: [row],
    rawRuns: [],
  };
}

const cpuCheck = (p: PerReadingResult) => perReadingTargets(p).find((c) => c.target.startsWith('Handler CPU per reading'))!;

describe("the per-reading section's targets", () => {
  it('hold the handler to 1.5x the CPU of a bare UpdateItem per reading, and say what the handler adds when it misses', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 5, noNaN: true }), fc.double({ min: 0.05, max: 5, noNaN: true }), (ours, bare) => {
        const p = perReading(ours, bare);
        const check = cpuCheck(p);
        expect(check.met).toBe(ours / bare <= HANDLER_CPU.maxRatio);
        expect(check.why !== undefined).toBe(!check.met);
      }),
    );
  });

  it('miss the CPU target just above 1.5x, whatever the rounded ratio in the JSON says', () => {
    expect(cpuCheck(perReading(0.7522, 0.5)).met).toBe(false);
  });

  it('leave the CPU target pending without a bare UpdateItem at the target fleet size', () => {
    expect(cpuCheck(perReading(1, null)).met).toBeUndefined();
    expect(cpuCheck(perReading(1, 1, 100)).met).toBeUndefined();
  });

  it('report the single-reading throughput against the original as information, not as a target', () => {
    const reported = perReadingTargets(perReading(1, 1)).filter((c) => c.reported);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ met: undefined, measured: expect.stringMatching(/^12\.5x/) });
  });
});

const bundle = (detectorMs: number, sdkOnlyMs: number | undefined): BundleResult => ({
  section: 'bundle',
  spawns: 1,
  node: 'v22',
  variants: [
    { name: 'detector', file: '', bytes: 90_000, gzipBytes: 1, importMs: detectorMs, readyMs: detectorMs + 20 },
    ...(sdkOnlyMs === undefined
      ? []
      : [{ name: 'sdk-only' as const, file: '', bytes: 300, gzipBytes: 1, importMs: sdkOnlyMs, readyMs: sdkOnlyMs + 20 }]),
    { name: 'empty', file: '', bytes: 200, gzipBytes: 1, importMs: 8, readyMs: 30 },
  ],
  sdkOnlyImports: ['@aws-sdk/client-dynamodb'],
  detectorKb: 88,
  sourceMapKb: 500,
  ratio: {
    importVsEmpty: detectorMs / 8,
    readyVsEmpty: 1,
    ...(sdkOnlyMs === undefined ? {} : { importVsSdkOnly: Math.round((detectorMs / sdkOnlyMs) * 100) / 100 }),
  },
  topInputs: [],
});

const coldLoad = (b: BundleResult) => checkTargets({ bundle: { ...b, context } }).find((c) => c.target.startsWith('Cold module load'))!;

describe("the bundle section's cold-load target", () => {
  it('is measured against the SDK-only handler, not the empty one', () => {
    fc.assert(
      fc.property(fc.double({ min: 10, max: 500, noNaN: true }), fc.double({ min: 10, max: 500, noNaN: true }), (detector, sdkOnly) => {
        const b = bundle(detector, sdkOnly);
        expect(coldLoad(b).met).toBe(detector / sdkOnly <= BUNDLE.maxLoadVsSdkOnly);
      }),
    );
  });

  it('is missed just above the limit, whatever the rounded ratio in the JSON says', () => {
    expect(coldLoad(bundle(120.4, 100)).met).toBe(false);
    expect(coldLoad(bundle(120, 100)).met).toBe(true);
  });

  it('is pending for results without the SDK-only handler', () => {
    expect(coldLoad(bundle(100, undefined)).met).toBeUndefined();
  });
});

const CLIENTS = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-iot-data-plane', '@aws-sdk/client-sns'];

describe('the SDK-only handler', () => {
  it('imports exactly the given SDK packages and creates a client of each at load', async () => {
    // Inside the repository (git-ignored `.local/`), so that the packages resolve from its node_modules.
    await mkdir(join(process.cwd(), '.local'), { recursive: true });
    const dir = await mkdtemp(join(process.cwd(), '.local', 'sdk-only-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.subarray(CLIENTS, { minLength: 1 }), async (packages) => {
          const source = sdkOnlyHandler(packages);
          expect([...source.matchAll(/from '([^']+)'/g)].map((m) => m[1])).toEqual(packages);
          const file = join(dir, `h${packages.length}-${packages.map((p) => p.length).join('-')}.mjs`);
          await writeFile(file, source);
          const module = (await import(pathToFileURL(file).href)) as { handler: () => Promise<{ loaded: number }> };
          expect(await module.handler()).toEqual({ loaded: packages.length });
        }),
        { numRuns: 7 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
