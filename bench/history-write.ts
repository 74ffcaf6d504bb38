/**
 * Where history is recorded, side by side with every option on: by the
 * outbox after the state change (`UpdateItem`, then `BatchWriteItem` for a
 * write that counted something) or in the same request as the state change
 * (`TransactWriteItems`; it returns no item, so the processor caches the
 * state it wrote). Same fleets, same readings, fresh tables and
 * detector per run, the two designs alternating. Requests and write units
 * are counts (the same on any machine); latency is this machine's.
 */
import { buildFleet, type ReadingRun, runReadings } from './alarms-readings.ts';
import { median, percentile, round } from './stats.ts';

export type HistoryDesign = 'outbox' | 'transaction';

export interface HistoryWriteRow {
  readonly design: HistoryDesign;
  readonly fleetSize: number;
  readonly readings: number;
  readonly requestsPerReading: number;
  readonly requestsPerReadingByCommand: Record<string, number>;
  readonly writeUnitsPerReading: number;
  readonly readUnitsPerReading: number;
  readonly eventsPerReading: number;
  readonly transitionsPerReading: number;
  /** Handler time per reading (ms), medians over runs of each run's percentile. */
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly mean: number };
  readonly readingsPerSecond: number;
  readonly eventsPublished: number;
  readonly eventsExpected: number;
  readonly failures: number;
}

export interface HistoryWriteResult {
  readonly runs: number;
  readonly rows: HistoryWriteRow[];
}

export interface HistoryWriteOptions {
  readonly endpoint: string;
  readonly fleetSizes: readonly number[];
  readonly readingsPerRun: number;
  readonly runs: number;
  readonly log: (line: string) => void;
}

const DESIGNS: readonly HistoryDesign[] = ['outbox', 'transaction'];

function summarise(design: HistoryDesign, runs: readonly ReadingRun[], eventsExpected: number): HistoryWriteRow {
  const m = (pick: (r: ReadingRun) => number, digits = 4) => round(median(runs.map(pick)), digits);
  const commands = [...new Set(runs.flatMap((r) => Object.keys(r.measured.byCommand)))].sort();
  return {
    design,
    fleetSize: runs[0]!.fleetSize,
    readings: runs[0]!.readings,
    requestsPerReading: m((r) => r.measured.total / r.readings),
    requestsPerReadingByCommand: Object.fromEntries(
      commands.map((c) => [c.replace(/Command$/, ''), m((r) => (r.measured.byCommand[c] ?? 0) / r.readings)]),
    ),
    writeUnitsPerReading: m((r) => r.measured.writeCapacityUnits / r.readings, 3),
    readUnitsPerReading: m((r) => r.measured.readCapacityUnits / r.readings, 3),
    eventsPerReading: m((r) => r.events / r.readings),
    transitionsPerReading: m((r) => r.transitions / r.readings),
    latencyMs: {
      p50: m((r) => percentile(r.latenciesMs, 50), 2),
      p95: m((r) => percentile(r.latenciesMs, 95), 2),
      p99: m((r) => percentile(r.latenciesMs, 99), 2),
      mean: m((r) => r.latenciesMs.reduce((a, b) => a + b, 0) / r.latenciesMs.length, 2),
    },
    readingsPerSecond: m((r) => r.readings / r.seconds, 1),
    eventsPublished: m((r) => r.primingEvents + r.events, 0),
    eventsExpected,
    failures: Math.max(...runs.map((r) => r.failures)),
  };
}

export async function historyWriteBench(options: HistoryWriteOptions): Promise<HistoryWriteResult> {
  const { log } = options;
  for (const design of DESIGNS)
    await runReadings(options.endpoint, buildFleet('extended', 60, 5, 'warm-up'), 'hw-warm-up', design === 'transaction');
  const rows: HistoryWriteRow[] = [];
  for (const fleetSize of options.fleetSizes) {
    const perPrinter = Math.max(1, Math.ceil(options.readingsPerRun / fleetSize));
    const fleet = buildFleet('extended', fleetSize, perPrinter, `alarms-${fleetSize}`);
    const runs = new Map<HistoryDesign, ReadingRun[]>(DESIGNS.map((d) => [d, []]));
    for (let run = 1; run <= options.runs; run += 1) {
      for (const design of run % 2 === 1 ? DESIGNS : [...DESIGNS].reverse()) {
        const result = await runReadings(options.endpoint, fleet, `hw-${design}-${run}`, design === 'transaction');
        runs.get(design)!.push(result);
        log(
          `  ${String(fleetSize).padStart(6)} printers  ${design.padEnd(11)} run ${run}: ${result.readings} readings, ` +
            `${(result.measured.total / result.readings).toFixed(4)} requests/reading, ` +
            `${(result.measured.writeCapacityUnits / result.readings).toFixed(3)} WCU/reading, ` +
            `p50 ${percentile(result.latenciesMs, 50).toFixed(2)} ms, p95 ${percentile(result.latenciesMs, 95).toFixed(2)} ms, failures ${result.failures}`,
        );
      }
    }
    for (const design of DESIGNS) rows.push(summarise(design, runs.get(design)!, fleet.expectedEvents));
  }
  for (const row of rows) {
    const commands = Object.entries(row.requestsPerReadingByCommand)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    log(
      `  ${row.design.padEnd(11)} ${String(row.fleetSize).padStart(6)} printers: ${row.requestsPerReading} requests/reading (${commands}), ` +
        `${row.writeUnitsPerReading} WCU + ${row.readUnitsPerReading} RCU per reading, latency p50 ${row.latencyMs.p50} / p95 ${row.latencyMs.p95} / p99 ${row.latencyMs.p99} ms`,
    );
  }
  return { runs: options.runs, rows };
}
