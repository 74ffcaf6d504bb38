/**
 * The alarms section's per-reading figure: DynamoDB requests per single
 * reading with every detection and alarm option on (a mix of profiles and
 * fleet defaults, history and notifications), next to original-form
 * profiles, each run on fresh tables with a fresh detector (`createHandler`).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { Logger } from '@aws-lambda-powertools/logger';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  ALARM_TOPIC_PREFIX,
  type BatchPayload,
  createEventsTableRequest,
  PREDICTION_TOPIC,
  type ProfileInput,
  SERVICE_NAME,
} from '../contract/index.ts';
import { expectedVerdicts } from '../emitter/expected.ts';
import { fleetProfiles, type GeneratedReading, generateFleet } from '../emitter/generate.ts';
import { Random } from '../emitter/random.ts';
import { createDynamoDbClient, createHandler } from '../lambda/app.ts';
import { LOCAL_AWS, localDynamoDbClient } from '../twin/dynamodb.ts';
import { startIotDataServer } from '../twin/iot-data-server.ts';
import { EXTENDED_TEMPLATES, FLEET_DEFAULTS } from './alarms-profiles.ts';
import { localNotifier } from './alarms-state.ts';
import { countingClient, createTable, dropTable, type RequestCounts } from './dynamodb.ts';
import { withMutedStdout } from './output.ts';
import { median, round } from './stats.ts';
import { ANOMALY_RATE, batchWrite, profileItem, sampleProfiles } from './workload.ts';

export type ProfileForm = 'extended' | 'original';

/**
 * How many readings of its generated stream (seeded, per printer) each
 * printer sends in one batched message before the measured readings: its
 * state (counts, mode memory, adaptive statistics, alarm) is then
 * mid-stream, as in a fleet that has been running, so that even a few
 * measured readings per printer make events and transitions at the usual rate.
 */
export const PRIMING_READINGS = { min: 30, max: 60 } as const;

/**
 * Readings a container handles per printer, over which its one read of the
 * printer is spread: the per-reading section's default, so that both
 * sections count the same way.
 */
export const READS_AMORTISED_OVER = 30;

/** A fleet's messages: one batch per printer to prime it, then the measured single readings (round-robin). */
export interface FleetUnderTest {
  readonly form: ProfileForm;
  /** Profiles as the detector sees them (`*` first when there is one). */
  readonly profiles: readonly ProfileInput[];
  readonly printers: number;
  readonly priming: readonly BatchPayload[];
  readonly readings: readonly GeneratedReading[];
  /** Events the detector counts for the priming and the measured readings. */
  readonly expectedEvents: number;
}

export function buildFleet(form: ProfileForm, printers: number, perPrinter: number, seed: string): FleetUnderTest {
  const own =
    form === 'extended'
      ? Array.from(
          { length: printers },
          (_, i) => ({ PrinterId: `Alarm${i + 1}`, ...EXTENDED_TEMPLATES[i % EXTENDED_TEMPLATES.length]! }) as ProfileInput,
        )
      : fleetProfiles(sampleProfiles(), printers, seed);
  const profiles = form === 'extended' ? [FLEET_DEFAULTS, ...own] : own;
  const length = PRIMING_READINGS.max + perPrinter;
  const stream = generateFleet({ profiles, readings: printers * length, seed, order: 'round-robin', anomalyRate: ANOMALY_RATE }).readings;
  const random = new Random(seed, 'priming');
  const primed = own.map(() => random.int(PRIMING_READINGS.min, PRIMING_READINGS.max));
  const nth = (i: number, j: number) => {
    const reading = stream[j * printers + i]!;
    if (reading.PrinterId !== own[i]!.PrinterId)
      throw new Error(`stream layout: ${reading.PrinterId} where ${own[i]!.PrinterId} was expected`);
    return reading;
  };
  const priming = own.map(({ PrinterId }, i) => ({
    PrinterId,
    readings: Array.from({ length: primed[i]! }, (_, j) => {
      const { PrinterId: _id, ...element } = nth(i, j);
      return element;
    }),
  }));
  const readings: GeneratedReading[] = [];
  for (let round = 0; round < perPrinter; round += 1) for (let i = 0; i < printers; i += 1) readings.push(nth(i, primed[i]! + round));
  const fed = own.flatMap((_, i) => Array.from({ length: primed[i]! + perPrinter }, (_, j) => nth(i, j)));
  let expectedEvents = 0;
  for (const { verdict } of expectedVerdicts(profiles, fed)) if (verdict.applied && verdict.event) expectedEvents += 1;
  return { form, profiles, printers, priming, readings, expectedEvents };
}

/** The tables one request names: its own, a batch's, or every item's of a transaction. */
function tablesOf(input: {
  TableName?: string;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Record<string, { TableName?: string }>[];
}) {
  if (input.TableName) return [input.TableName];
  if (input.TransactItems)
    return [...new Set(input.TransactItems.flatMap((item) => Object.values(item).map((op) => op.TableName ?? '')))].filter(Boolean);
  return Object.keys(input.RequestItems ?? {});
}

/**
 * Counts requests per table (a request once per table it names) and, for `history`, the requests that write it
 * together with `profiles` (one request: a transaction) and those that write it apart.
 */
function tableCounter(client: DynamoDBClient, names: { readonly profiles: string; readonly history: string }) {
  let counts: Record<string, number> = {};
  let history = { withProfile: 0, apart: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const tables = tablesOf(args.input as Parameters<typeof tablesOf>[0]);
      for (const table of tables) counts[table] = (counts[table] ?? 0) + 1;
      if (tables.includes(names.history)) {
        if (tables.includes(names.profiles)) history.withProfile += 1;
        else history.apart += 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchCountTables' },
  );
  return {
    counts: () => ({ ...counts }),
    history: () => ({ ...history }),
    reset: () => {
      counts = {};
      history = { withProfile: 0, apart: 0 };
    },
  };
}

export async function createEventsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createEventsTableRequest(tableName)));
  for (let i = 0; i < 500; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become active`);
}

/** One run's figures. */
export interface ReadingRun {
  readonly form: ProfileForm;
  readonly fleetSize: number;
  /** Measured readings (after the priming batches). */
  readonly readings: number;
  readonly seconds: number;
  /** Requests of the priming batches: per printer one read (with the fleet defaults when they are due), one write, and history. */
  readonly priming: RequestCounts;
  readonly primingEvents: number;
  readonly primingSeconds: number;
  readonly measured: RequestCounts;
  readonly measuredByTable: { readonly profiles: number; readonly history: number };
  /** Requests that wrote history: in the same request as the profile (a transaction), or apart. */
  readonly historyWrites: { readonly withProfile: number; readonly apart: number };
  readonly events: number;
  readonly transitions: number;
  readonly notifications: number;
  readonly failures: number;
  /** Each measured reading's handler time (ms), as its sender waited for it. */
  readonly latenciesMs: readonly number[];
}

/** One run on fresh tables; `historyInWrite`: the detector's switch of the same name (`lambda/app.ts`). */
export async function runReadings(endpoint: string, fleet: FleetUnderTest, label: string, historyInWrite = true): Promise<ReadingRun> {
  const tableName = `bench-alarms-${fleet.form}-${fleet.printers}-${label}`;
  const eventsTableName = `${tableName}-events`;
  const admin = localDynamoDbClient(endpoint);
  await createTable(admin, tableName);
  await createEventsTable(admin, eventsTableName);
  const items = fleet.profiles.map((p) =>
    fleet.form === 'original' ? profileItem(p) : marshall({ ...p, OutOfBoundsCount: 0, EventCount: 0 }, { removeUndefinedValues: true }),
  );
  await batchWrite(admin, tableName, items);

  const seen = { events: 0, transitions: 0, notifications: 0 };
  const server = await startIotDataServer(
    ({ topic }) => {
      if (topic === PREDICTION_TOPIC) seen.events += 1;
      else if (topic.startsWith(ALARM_TOPIC_PREFIX)) seen.transitions += 1;
    },
    {
      onNotify: () => {
        seen.notifications += 1;
      },
    },
  );
  const iotData = new IoTDataPlaneClient({ ...LOCAL_AWS, endpoint: server.endpoint });
  const counting = countingClient(endpoint, { create: createDynamoDbClient });
  const tables = tableCounter(counting.client, { profiles: tableName, history: eventsTableName });
  const handler = createHandler({
    config: {
      tableName,
      predictionTopic: PREDICTION_TOPIC,
      eventsTableName,
    },
    dynamoDb: counting.client,
    iotData,
    processor: { notifier: localNotifier(server.endpoint) },
    historyInWrite,
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'INFO' }),
  });
  await counting.client.send(new DescribeTableCommand({ TableName: tableName }));
  await iotData.send(new PublishCommand({ topic: 'bench/warm-up', qos: 1, payload: Buffer.from('{}') }));

  let failures = 0;
  const latenciesMs: number[] = [];
  // Messages are sharded by printer: each worker owns some printers and sends their messages in order.
  const send = async (messages: readonly (GeneratedReading | BatchPayload)[]) => {
    const workers = Math.min(16, fleet.printers);
    const shards: (GeneratedReading | BatchPayload)[][] = Array.from({ length: workers }, () => []);
    for (const [i, message] of messages.entries()) shards[(i % fleet.printers) % workers]!.push(message);
    await Promise.all(
      shards.map(async (shard) => {
        for (const message of shard) {
          const started = performance.now();
          try {
            await handler(message, { awsRequestId: randomUUID() });
          } catch {
            failures += 1;
          }
          latenciesMs.push(performance.now() - started);
        }
      }),
    );
  };
  const { result } = await withMutedStdout(async () => {
    counting.reset();
    const primingStarted = performance.now();
    await send(fleet.priming);
    const priming = { requests: counting.counts(), ...seen, seconds: (performance.now() - primingStarted) / 1000 };
    counting.reset();
    tables.reset();
    latenciesMs.length = 0;
    Object.assign(seen, { events: 0, transitions: 0, notifications: 0 });
    const started = performance.now();
    await send(fleet.readings);
    const seconds = (performance.now() - started) / 1000;
    return { priming, seconds, measured: counting.counts(), byTable: tables.counts(), history: tables.history() };
  });
  counting.client.destroy();
  iotData.destroy();
  await server.close();
  await dropTable(admin, tableName);
  await dropTable(admin, eventsTableName);
  admin.destroy();
  return {
    form: fleet.form,
    fleetSize: fleet.printers,
    readings: fleet.readings.length,
    seconds: result.seconds,
    priming: result.priming.requests,
    primingEvents: result.priming.events,
    primingSeconds: result.priming.seconds,
    measured: result.measured,
    measuredByTable: { profiles: result.byTable[tableName] ?? 0, history: result.byTable[eventsTableName] ?? 0 },
    historyWrites: result.history,
    ...seen,
    failures,
    latenciesMs: [...latenciesMs],
  };
}

/** One form at one fleet size: medians of its runs, per measured reading. */
export interface ReadingRow {
  readonly form: ProfileForm;
  readonly fleetSize: number;
  readonly readingsPerPrinter: number;
  readonly readings: number;
  readonly requestsPerReading: number;
  readonly requestsPerReadingByCommand: Record<string, number>;
  readonly requestsPerReadingByTable: { readonly profiles: number; readonly history: number };
  /** Per reading, requests that wrote history in the profile's request and requests that wrote it apart. */
  readonly historyWritesPerReading: { readonly withProfile: number; readonly apart: number };
  /** Reads per printer in a fresh container (while priming): the measured readings then read nothing. */
  readonly readsPerPrinter: number;
  /** The same with the container's read of each printer spread over {@link READS_AMORTISED_OVER} readings. */
  readonly requestsPerReadingWithRead: number;
  readonly writeUnitsPerReading: number;
  readonly conditionFailuresPerReading: number;
  readonly eventsPerReading: number;
  readonly transitionsPerReading: number;
  readonly notificationsPerReading: number;
  readonly eventsPublished: number;
  readonly eventsExpected: number;
  readonly failures: number;
  readonly readingsPerSecond: number;
}

const reads = (c: RequestCounts) => (c.byCommand['GetItemCommand'] ?? 0) + (c.byCommand['BatchGetItemCommand'] ?? 0);

function summarise(runs: readonly ReadingRun[], fleet: FleetUnderTest): ReadingRow {
  const m = (pick: (r: ReadingRun) => number, digits = 4) => round(median(runs.map(pick)), digits);
  const commands = [...new Set(runs.flatMap((r) => Object.keys(r.measured.byCommand)))].sort();
  const first = runs[0]!;
  return {
    form: fleet.form,
    fleetSize: fleet.printers,
    readingsPerPrinter: first.readings / fleet.printers,
    readings: first.readings,
    requestsPerReading: m((r) => r.measured.total / r.readings),
    requestsPerReadingByCommand: Object.fromEntries(
      commands.map((c) => [c.replace(/Command$/, ''), m((r) => (r.measured.byCommand[c] ?? 0) / r.readings)]),
    ),
    requestsPerReadingByTable: {
      profiles: m((r) => r.measuredByTable.profiles / r.readings),
      history: m((r) => r.measuredByTable.history / r.readings),
    },
    historyWritesPerReading: {
      withProfile: m((r) => r.historyWrites.withProfile / r.readings),
      apart: m((r) => r.historyWrites.apart / r.readings),
    },
    readsPerPrinter: m((r) => reads(r.priming) / r.fleetSize, 3),
    requestsPerReadingWithRead: m((r) => r.measured.total / r.readings + reads(r.priming) / r.fleetSize / READS_AMORTISED_OVER),
    writeUnitsPerReading: m((r) => r.measured.writeCapacityUnits / r.readings, 3),
    conditionFailuresPerReading: m((r) => (r.measured.errors['ConditionalCheckFailedException'] ?? 0) / r.readings),
    eventsPerReading: m((r) => r.events / r.readings),
    transitionsPerReading: m((r) => r.transitions / r.readings),
    notificationsPerReading: m((r) => r.notifications / r.readings),
    eventsPublished: m((r) => r.primingEvents + r.events, 0),
    eventsExpected: fleet.expectedEvents,
    failures: Math.max(...runs.map((r) => r.failures)),
    readingsPerSecond: m((r) => r.readings / r.seconds, 1),
  };
}

export interface ReadingsBenchOptions {
  readonly endpoint: string;
  readonly fleetSizes: readonly number[];
  /** Measured readings per run at least (small fleets get more readings per printer), and per printer at least. */
  readonly readingsPerRun: number;
  readonly minReadingsPerPrinter: number;
  readonly runs: number;
  readonly log: (line: string) => void;
}

/** Both forms at every fleet size, `runs` runs each (the forms alternate); medians per row. */
export async function readingsBench(options: ReadingsBenchOptions): Promise<ReadingRow[]> {
  const { log } = options;
  const rows: ReadingRow[] = [];
  // Warm-up, discarded: JIT-compiles the handler and the SDK before anything is counted.
  for (const form of ['extended', 'original'] as const) await runReadings(options.endpoint, buildFleet(form, 60, 5, 'warm-up'), 'warm-up');
  for (const fleetSize of options.fleetSizes) {
    const perPrinter = Math.max(options.minReadingsPerPrinter, Math.ceil(options.readingsPerRun / fleetSize));
    const fleets = (['extended', 'original'] as const).map((form) => buildFleet(form, fleetSize, perPrinter, `alarms-${fleetSize}`));
    const runs = new Map<ProfileForm, ReadingRun[]>(fleets.map((f) => [f.form, []]));
    for (let run = 1; run <= options.runs; run += 1) {
      for (const fleet of run % 2 === 1 ? fleets : [...fleets].reverse()) {
        const result = await runReadings(options.endpoint, fleet, String(run));
        runs.get(fleet.form)!.push(result);
        log(
          `  ${String(fleetSize).padStart(6)} printers  ${fleet.form.padEnd(8)} run ${run}: ${result.readings} readings (${perPrinter} per printer), ` +
            `${(result.measured.total / result.readings).toFixed(4)} requests/reading (${result.measuredByTable.history} to history), ` +
            `${(result.readings / result.seconds).toFixed(0)} readings/s, events ${result.primingEvents + result.events}/${fleet.expectedEvents} (priming included), failures ${result.failures}; priming ${result.primingSeconds.toFixed(0)} s`,
        );
      }
    }
    for (const fleet of fleets) rows.push(summarise(runs.get(fleet.form)!, fleet));
  }
  return rows;
}
