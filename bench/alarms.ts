/**
 * The alarms section of `npm run bench`: what detection and alarms cost when
 * every option is on, side by side with the original profiles in one run on
 * the same embedded DynamoDB.
 * 1. DynamoDB requests per single reading (profiles and history tables) at
 *    10 to 10,000 printers: a mix of profiles using every option, with fleet
 *    defaults, history and notifications, next to original-form profiles
 *    (`alarms-readings.ts`).
 * 2. The item's size per window mode after thousands of readings (`alarms-state.ts`).
 * 3. and 4. The sweep and the two listings at 1,000 and 100,000 printers (`alarms-fleet.ts`).
 */
import { localDynamoDbClient } from '../twin/dynamodb.ts';
import { ACTIVE_ALARMS, DUE_PRINTERS, type FleetRow, fleetBench } from './alarms-fleet.ts';
import { createEventsTable, PRIMING_READINGS, READS_AMORTISED_OVER, type ReadingRow, readingsBench } from './alarms-readings.ts';
import { type StateRow, stateBench } from './alarms-state.ts';
import { countingClient, createTable, dropTable } from './dynamodb.ts';
import { round } from './stats.ts';

export type { ProfileForm, ReadingRow } from './alarms-readings.ts';

export interface AlarmsResult {
  readonly section: 'alarms';
  readonly runs: number;
  readonly perReading: {
    readonly readingsPerRun: number;
    readonly minReadingsPerPrinter: number;
    readonly primingReadings: { readonly min: number; readonly max: number };
    readonly readsAmortisedOver: number;
    readonly rows: ReadingRow[];
    readonly seconds: number;
  };
  readonly state: {
    readonly readingsPerPrinter: number;
    readonly rows: StateRow[];
    readonly seconds: number;
  };
  readonly fleet: { readonly duePrinters: number; readonly activeAlarms: number; readonly rows: FleetRow[]; readonly seconds: number };
}

export interface AlarmsBenchOptions {
  readonly endpoint: string;
  /** Fleet sizes of the per-reading figure. */
  readonly fleetSizes: readonly number[];
  /** Measured readings per run at least (small fleets get more readings per printer), and per printer at least. */
  readonly readingsPerRun: number;
  readonly minReadingsPerPrinter: number;
  /** Readings per printer of the state figure. */
  readonly stateReadings: number;
  /** Fleet sizes of the sweep and the listings. */
  readonly routeFleetSizes: readonly number[];
  readonly runs: number;
  readonly progress?: (line: string) => void;
}

export async function alarmsBench(options: AlarmsBenchOptions): Promise<AlarmsResult> {
  const log = options.progress ?? (() => {});
  const phase = performance.now();
  const rows = await readingsBench({ ...options, log });
  const perReadingSeconds = (performance.now() - phase) / 1000;

  const admin = localDynamoDbClient(options.endpoint);
  const stateTable = 'bench-alarms-state';
  const fleetTable = 'bench-alarms-fleet';
  const counting = countingClient(options.endpoint);
  try {
    let started = performance.now();
    await createTable(admin, stateTable);
    await createEventsTable(admin, `${stateTable}-events`);
    const stateRows = await stateBench({
      client: admin,
      endpoint: options.endpoint,
      tableName: stateTable,
      eventsTableName: `${stateTable}-events`,
      readingsPerPrinter: options.stateReadings,
    });
    for (const row of stateRows) {
      log(
        `  state ${row.mode.padEnd(20)} ${row.at.map((s) => `${s.readings}: ${s.bytes} B`).join(', ')}; largest ${row.largestMiddle.bytes} / ${row.largestLast.bytes} B (middle / last third)`,
      );
    }
    const stateSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    await createTable(admin, fleetTable);
    await createEventsTable(admin, `${fleetTable}-events`);
    const fleetRows = await fleetBench({
      admin,
      counting,
      tableName: fleetTable,
      eventsTableName: `${fleetTable}-events`,
      fleetSizes: options.routeFleetSizes,
      runs: options.runs,
      progress: log,
    });
    return {
      section: 'alarms',
      runs: options.runs,
      perReading: {
        readingsPerRun: options.readingsPerRun,
        minReadingsPerPrinter: options.minReadingsPerPrinter,
        primingReadings: PRIMING_READINGS,
        readsAmortisedOver: READS_AMORTISED_OVER,
        rows,
        seconds: round(perReadingSeconds, 1),
      },
      state: { readingsPerPrinter: options.stateReadings, rows: stateRows, seconds: round(stateSeconds, 1) },
      fleet: {
        duePrinters: DUE_PRINTERS,
        activeAlarms: ACTIVE_ALARMS,
        rows: fleetRows,
        seconds: round((performance.now() - started) / 1000, 1),
      },
    };
  } finally {
    for (const table of [stateTable, fleetTable]) {
      await dropTable(admin, table);
      await dropTable(admin, `${table}-events`);
    }
    admin.destroy();
    counting.client.destroy();
  }
}
