/**
 * The first figure of `docs/performance.md`: DynamoDB work per reading against fleet size,
 * our handler next to the original's access pattern, on the same embedded
 * DynamoDB with the same readings.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoDbClient, createHandler } from '../lambda/app.ts';
import { PREDICTION_TOPIC, SERVICE_NAME, type ReadingPayload } from '../contract/index.ts';
import { LOCAL_AWS, localDynamoDbClient } from '../twin/dynamodb.ts';
import { startIotDataServer } from '../twin/iot-data-server.ts';
import { countingClient, createTable, dropTable, processCpuMs, type RequestCounts } from './dynamodb.ts';
import { createBareUpdateHandler } from './bare-update.ts';
import { createOriginalHandler } from './original.ts';
import { withMutedStdout } from './output.ts';
import { median, round } from './stats.ts';
import { HANDLER_CPU } from './targets.ts';
import { batchWrite, generateWorkload, profileItem, type Workload } from './workload.ts';

/** `bare-update`: one bare UpdateItem per reading, same client (the handler-cost baseline, `bare-update.ts`). */
export type Design = 'ours' | 'original' | 'bare-update';

/** Fleets this large use `largeRuns`. */
export const LARGE_FLEET = 10_000;

export interface PerReadingRun {
  readonly design: Design;
  readonly fleetSize: number;
  readonly readings: number;
  readonly seconds: number;
  readonly readingsPerSecond: number;
  readonly requests: RequestCounts;
  readonly requestsPerReading: number;
  readonly itemsReadPerReading: number;
  readonly readCapacityUnitsPerReading: number;
  readonly writeCapacityUnitsPerReading: number;
  /** Anomaly events published to the prediction topic. */
  readonly eventsPublished: number;
  /** Events the detector (`detect()`) produces for these readings. */
  readonly eventsExpected: number;
  /** Handler invocations that threw. */
  readonly failures: number;
  /** CPU time per reading of the bench process (handler + SDK) and of the DynamoDB process. */
  readonly cpuMsPerReading: { readonly handler: number; readonly dynamoDb: number | undefined };
  /** Bytes of log and metric lines the handler wrote (CloudWatch Logs ingestion). */
  readonly logBytesPerReading: number;
  readonly outcomes: Record<string, number>;
}

export interface PerReadingConfig {
  /** DynamoDB endpoint (the bench's dynalite). */
  readonly endpoint: string;
  readonly design: Design;
  /** The fleet (its profiles are seeded) and its readings. */
  readonly workload: Workload;
  /** Process only the first `maxReadings` of the workload (bounds the original's Scans). */
  readonly maxReadings?: number;
  /** Invocations in flight; readings of one printer are always processed in order, one at a time. @default 16 */
  readonly concurrency?: number;
  readonly runLabel?: string;
  /** Process id of the DynamoDB server, to measure its CPU time (Linux only). */
  readonly dynamoDbPid?: number;
}

/** One run: a fresh table seeded with the fleet, a fresh handler (a cold container), every reading once. */
export async function runPerReading(config: PerReadingConfig): Promise<PerReadingRun> {
  const { endpoint, design, workload } = config;
  const fleetSize = workload.profiles.length;
  const readings = workload.readings.slice(0, config.maxReadings ?? workload.readings.length);
  const tableName = `bench-${design}-${fleetSize}-${config.runLabel ?? randomUUID().slice(0, 8)}`;
  const admin = localDynamoDbClient(endpoint);
  await createTable(admin, tableName);
  await batchWrite(admin, tableName, workload.profiles.map(profileItem));

  let published = 0;
  const iotDataServer = await startIotDataServer(({ topic }) => {
    if (topic === PREDICTION_TOPIC) published += 1;
  });
  const iotData = new IoTDataPlaneClient({ ...LOCAL_AWS, endpoint: iotDataServer.endpoint });
  // Both designs get the detector's DynamoDB client settings (`createDynamoDbClient`, as deployed), so the
  // original is not slowed by a per-request overhead that ours avoids.
  const counting = countingClient(endpoint, { create: createDynamoDbClient });
  const outcomes: Record<string, number> = {};
  let failures = 0;

  let processReading: (reading: ReadingPayload) => Promise<void>;
  if (design === 'ours') {
    const handler = createHandler({
      config: { tableName, predictionTopic: PREDICTION_TOPIC },
      dynamoDb: counting.client,
      iotData,
      // Lambda's default log level: events and warnings are logged, as in production.
      logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'INFO' }),
    });
    processReading = async (reading) => {
      const result = await handler(reading, { awsRequestId: randomUUID() });
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    };
  } else if (design === 'bare-update') {
    const update = createBareUpdateHandler({ dynamoDb: counting.client, tableName });
    processReading = async (reading) => {
      await update(reading);
      outcomes['applied'] = (outcomes['applied'] ?? 0) + 1;
    };
  } else {
    const handler = createOriginalHandler({ dynamoDb: counting.client, iotData, tableName, predictionTopic: PREDICTION_TOPIC });
    processReading = async (reading) => {
      const event = await handler(reading);
      const outcome = event ? 'event' : 'applied';
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    };
  }

  // Warm the clients (connections, credentials, endpoint resolution): a cold
  // container's first requests are Lambda init cost, not per-reading work.
  await counting.client.send(new DescribeTableCommand({ TableName: tableName }));
  await iotData.send(new PublishCommand({ topic: 'bench/warm-up', qos: 1, payload: Buffer.from('{}') }));
  counting.reset();

  // Readings are sharded by printer: each worker owns some printers and processes their readings in order.
  const workers = Math.max(1, Math.min(config.concurrency ?? 16, fleetSize));
  const shards: ReadingPayload[][] = Array.from({ length: workers }, () => []);
  for (const [i, reading] of readings.entries()) shards[(i % fleetSize) % workers]!.push(reading);

  const { result: timing, bytes } = await withMutedStdout(async () => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const dbCpuStarted = processCpuMs(config.dynamoDbPid);
    await Promise.all(
      shards.map(async (shard) => {
        for (const reading of shard) {
          try {
            await processReading(reading);
          } catch {
            failures += 1;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const dbCpu = processCpuMs(config.dynamoDbPid);
    return {
      seconds,
      handlerCpuMs: (cpu.user + cpu.system) / 1000,
      dbCpuMs: dbCpu === undefined || dbCpuStarted === undefined ? undefined : dbCpu - dbCpuStarted,
    };
  });

  const requests = counting.counts();
  const n = readings.length;
  counting.client.destroy();
  iotData.destroy();
  await iotDataServer.close();
  await dropTable(admin, tableName);
  admin.destroy();
  return {
    design,
    fleetSize,
    readings: n,
    seconds: timing.seconds,
    readingsPerSecond: n / timing.seconds,
    requests,
    requestsPerReading: requests.total / n,
    itemsReadPerReading: requests.itemsRead / n,
    readCapacityUnitsPerReading: requests.readCapacityUnits / n,
    writeCapacityUnitsPerReading: requests.writeCapacityUnits / n,
    eventsPublished: published,
    eventsExpected: workload.expectedEventsWithin(n),
    failures,
    cpuMsPerReading: {
      handler: timing.handlerCpuMs / n,
      dynamoDb: timing.dbCpuMs === undefined ? undefined : timing.dbCpuMs / n,
    },
    logBytesPerReading: bytes / n,
    outcomes,
  };
}

/** Medians of one design at one fleet size. */
export interface DesignSummary {
  readonly readings: number;
  readonly readingsPerPrinter: number;
  readonly readingsPerSecond: number;
  readonly requestsPerReading: number;
  readonly requestsPerReadingByCommand: Record<string, number>;
  readonly itemsReadPerReading: number;
  readonly readCapacityUnitsPerReading: number;
  readonly writeCapacityUnitsPerReading: number;
  readonly eventsPerReading: number;
  readonly eventsPublished: number;
  readonly eventsExpected: number;
  readonly failures: number;
  readonly logBytesPerReading: number;
  readonly cpuMsPerReading: { readonly handler: number; readonly dynamoDb: number | null };
  readonly secondsPerRun: number;
}

export interface PerReadingRow {
  readonly fleetSize: number;
  readonly ours: DesignSummary;
  readonly original: DesignSummary;
  /** One bare UpdateItem per reading, same client, same run: at {@link HANDLER_CPU}'s fleet size only. */
  readonly bareUpdate: DesignSummary | null;
  /** ours / original, per figure. */
  readonly ratio: {
    readonly requestsPerReading: number;
    readonly itemsReadPerReading: number;
    readonly readingsPerSecond: number;
    /** Lowest and highest throughput ratio over the runs (run i of ours against run i of the original). */
    readonly readingsPerSecondRange: readonly [number, number];
    /** Original ÷ ours, CPU per reading of both processes together (bench + dynalite): machine-load independent. */
    readonly cpuPerReading: number | null;
    /** Ours ÷ the bare UpdateItem, CPU per reading of the bench process only (dynalite runs in its own process). */
    readonly cpuVsBareUpdate: number | null;
  };
}

export interface PerReadingResult {
  readonly section: 'per-reading';
  readonly runs: number;
  /** Runs at fleets of 10,000 printers or more (their runs are long). */
  readonly largeRuns: number;
  readonly readingsPerPrinter: number;
  readonly originalItemsScannedBudget: number;
  readonly concurrency: number;
  readonly rows: PerReadingRow[];
  readonly rawRuns: PerReadingRun[];
}

function summarise(runs: PerReadingRun[], fleetSize: number): DesignSummary {
  const m = (pick: (r: PerReadingRun) => number) => median(runs.map(pick));
  const md = (digits: number, pick: (r: PerReadingRun) => number) => round(m(pick), digits);
  const commands = new Set(runs.flatMap((r) => Object.keys(r.requests.byCommand)));
  const first = runs[0]!;
  return {
    readings: first.readings,
    readingsPerPrinter: round(first.readings / fleetSize, 2),
    readingsPerSecond: md(1, (r) => r.readingsPerSecond),
    requestsPerReading: md(4, (r) => r.requestsPerReading),
    requestsPerReadingByCommand: Object.fromEntries(
      [...commands].sort().map((c) => [c.replace(/Command$/, ''), md(4, (r) => (r.requests.byCommand[c] ?? 0) / r.readings)]),
    ),
    itemsReadPerReading: md(3, (r) => r.itemsReadPerReading),
    readCapacityUnitsPerReading: md(3, (r) => r.readCapacityUnitsPerReading),
    writeCapacityUnitsPerReading: md(3, (r) => r.writeCapacityUnitsPerReading),
    eventsPerReading: md(4, (r) => r.eventsPublished / r.readings),
    eventsPublished: m((r) => r.eventsPublished),
    eventsExpected: first.eventsExpected,
    failures: Math.max(...runs.map((r) => r.failures)),
    logBytesPerReading: md(1, (r) => r.logBytesPerReading),
    cpuMsPerReading: {
      handler: md(3, (r) => r.cpuMsPerReading.handler),
      dynamoDb: runs.every((r) => r.cpuMsPerReading.dynamoDb !== undefined) ? md(3, (r) => r.cpuMsPerReading.dynamoDb!) : null,
    },
    secondsPerRun: md(2, (r) => r.seconds),
  };
}

export interface PerReadingBenchOptions {
  readonly endpoint: string;
  readonly fleetSizes: readonly number[];
  readonly readingsPerPrinter: number;
  /** The original processes the first readings only, so that it scans at most this many items per run. */
  readonly originalItemsScannedBudget: number;
  readonly runs: number;
  /** Runs at fleets of 10,000 printers or more. @default runs */
  readonly largeRuns?: number;
  readonly concurrency?: number;
  readonly dynamoDbPid?: number;
  /** Fleet size at which the bare UpdateItem runs beside the designs. @default the handler-cost target's */
  readonly handlerCpuFleetSize?: number;
  /** A discarded warm-up run per design first (JIT). @default true */
  readonly warmUp?: boolean;
  readonly progress?: (line: string) => void;
}

/** All fleet sizes, both designs, `runs` runs each (alternating designs); medians per row. */
export async function perReadingBench(options: PerReadingBenchOptions): Promise<PerReadingResult> {
  const rows: PerReadingRow[] = [];
  const rawRuns: PerReadingRun[] = [];
  const concurrency = options.concurrency ?? 16;
  // Warm-up, discarded: JIT-compiles the handler, the SDK and the original model before anything is timed.
  const warmUp = generateWorkload(100, 10, 99);
  for (const design of options.warmUp === false ? [] : (['ours', 'bare-update', 'original'] as const)) {
    await runPerReading({
      endpoint: options.endpoint,
      design,
      workload: warmUp,
      concurrency,
      runLabel: 'warm-up',
      maxReadings: 500,
    });
  }
  for (const fleetSize of options.fleetSizes) {
    const workload = generateWorkload(fleetSize, options.readingsPerPrinter, fleetSize);
    const originalReadings = Math.min(
      workload.readings.length,
      Math.max(Math.min(fleetSize, 30), Math.floor(options.originalItemsScannedBudget / fleetSize)),
    );
    const byDesign: Record<Design, PerReadingRun[]> = { ours: [], original: [], 'bare-update': [] };
    const { ours, original } = byDesign;
    const runs = fleetSize >= LARGE_FLEET ? (options.largeRuns ?? options.runs) : options.runs;
    // At the handler-cost fleet size the bare UpdateItem runs too, between the two designs in every run (side by side).
    const withBare = fleetSize === (options.handlerCpuFleetSize ?? HANDLER_CPU.fleetSize);
    for (let run = 1; run <= runs; run += 1) {
      const order: Design[] = withBare ? ['ours', 'bare-update', 'original'] : ['ours', 'original'];
      for (const design of run % 2 === 1 ? order : [...order].reverse()) {
        const result = await runPerReading({
          endpoint: options.endpoint,
          design,
          workload,
          concurrency,
          runLabel: String(run),
          ...(options.dynamoDbPid === undefined ? {} : { dynamoDbPid: options.dynamoDbPid }),
          ...(design === 'original' ? { maxReadings: originalReadings } : {}),
        });
        byDesign[design].push(result);
        rawRuns.push(result);
        options.progress?.(
          `  ${String(fleetSize).padStart(6)} printers  ${design.padEnd(11)} run ${run}: ${result.readings} readings, ` +
            `${result.readingsPerSecond.toFixed(1)} readings/s, ${result.requestsPerReading.toFixed(4)} requests/reading, ` +
            `${result.itemsReadPerReading.toFixed(result.itemsReadPerReading < 10 ? 3 : 0)} items read/reading, ` +
            `${result.cpuMsPerReading.handler.toFixed(3)} ms CPU/reading (bench process)`,
        );
      }
    }
    const o = summarise(ours, fleetSize);
    const g = summarise(original, fleetSize);
    const bare = withBare ? summarise(byDesign['bare-update'], fleetSize) : null;
    rows.push({
      fleetSize,
      ours: o,
      original: g,
      bareUpdate: bare,
      ratio: {
        requestsPerReading: round(o.requestsPerReading / g.requestsPerReading, 3),
        itemsReadPerReading: round(o.itemsReadPerReading / g.itemsReadPerReading, 5),
        readingsPerSecond: round(o.readingsPerSecond / g.readingsPerSecond, 1),
        readingsPerSecondRange: (() => {
          const paired = ours.map((r, i) => r.readingsPerSecond / original[i]!.readingsPerSecond);
          return [round(Math.min(...paired), 1), round(Math.max(...paired), 1)] as const;
        })(),
        cpuPerReading:
          o.cpuMsPerReading.dynamoDb === null || g.cpuMsPerReading.dynamoDb === null
            ? null
            : round((g.cpuMsPerReading.handler + g.cpuMsPerReading.dynamoDb) / (o.cpuMsPerReading.handler + o.cpuMsPerReading.dynamoDb), 1),
        cpuVsBareUpdate: bare ? round(o.cpuMsPerReading.handler / bare.cpuMsPerReading.handler, 2) : null,
      },
    });
  }
  return {
    section: 'per-reading',
    runs: options.runs,
    largeRuns: options.largeRuns ?? options.runs,
    readingsPerPrinter: options.readingsPerPrinter,
    originalItemsScannedBudget: options.originalItemsScannedBudget,
    concurrency,
    rows,
    rawRuns,
  };
}
