/**
 * The three ingest paths side by side, in one run on the same embedded
 * DynamoDB: single readings (one invocation and one write each), batched
 * messages of 10 readings (one invocation and one write per message), and
 * stream ingest (one invocation per batch of up to 500 Kinesis records, one
 * write per printer per batch), against the raw UpdateItem rate of the same
 * server and the original design's pattern. The same handlers as deployed
 * (`createHandler`, `createStreamHandler`), counted by SDK middleware.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { DescribeTableCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { PREDICTION_TOPIC, type ReadingPayload, SERVICE_NAME } from '../contract/index.ts';
import { createDynamoDbClient, createHandler } from '../lambda/app.ts';
import { createStreamHandler } from '../lambda/stream-app.ts';
import { LOCAL_AWS, localDynamoDbClient } from '../twin/dynamodb.ts';
import { startIotDataServer } from '../twin/iot-data-server.ts';
import { countingClient, createTable, dropTable } from './dynamodb.ts';
import { createOriginalHandler } from './original.ts';
import { withMutedStdout } from './output.ts';
import { median, round } from './stats.ts';
import { batchWrite, generateWorkload, profileItem, type Workload } from './workload.ts';

export type IngestPath = 'single' | 'batched' | 'stream' | 'original';

export interface IngestRun {
  readonly path: IngestPath;
  readonly fleetSize: number;
  readonly readings: number;
  readonly invocations: number;
  readonly requests: number;
  readonly requestsPerReading: number;
  readonly invocationsPerReading: number;
  readonly readingsPerSecond: number;
  /** Stream: readings per printer per batch of records (k). */
  readonly readingsPerPrinterPerBatch?: number;
  readonly eventsPublished: number;
  readonly eventsExpected: number;
}

export interface IngestResult {
  readonly batchSize: number;
  readonly streamBatchSize: number;
  readonly runs: number;
  /** UpdateItem calls per second on distinct items, 16 at a time, with the detector's client: the write-path ceiling. */
  readonly rawUpdateItemsPerSecond: number;
  /** Medians per path and fleet size. */
  readonly rows: readonly IngestRun[];
}

const WORKERS = 16;

interface Setup {
  readonly tableName: string;
  readonly counting: ReturnType<typeof countingClient>;
  readonly iotData: IoTDataPlaneClient;
  readonly published: () => number;
  close(): Promise<void>;
}

async function setUp(endpoint: string, workload: Workload, label: string): Promise<Setup> {
  const tableName = `bench-ingest-${label}-${randomUUID().slice(0, 8)}`;
  const admin = localDynamoDbClient(endpoint);
  await createTable(admin, tableName);
  await batchWrite(admin, tableName, workload.profiles.map(profileItem));
  let published = 0;
  const server = await startIotDataServer(({ topic }) => {
    if (topic === PREDICTION_TOPIC) published += 1;
  });
  const iotData = new IoTDataPlaneClient({ ...LOCAL_AWS, endpoint: server.endpoint });
  const counting = countingClient(endpoint, { create: createDynamoDbClient });
  // Warm the clients: a cold container's first requests are init cost, not per-reading work.
  await counting.client.send(new DescribeTableCommand({ TableName: tableName }));
  await iotData.send(new PublishCommand({ topic: 'bench/warm-up', qos: 1, payload: Buffer.from('{}') }));
  counting.reset();
  return {
    tableName,
    counting,
    iotData,
    published: () => published,
    close: async () => {
      counting.client.destroy();
      iotData.destroy();
      await server.close();
      await dropTable(admin, tableName);
      admin.destroy();
    },
  };
}

/** Messages of up to `size` consecutive readings of one printer, interleaved across printers. */
export function batchedMessages(readings: readonly ReadingPayload[], size: number): object[] {
  const byPrinter = new Map<string, ReadingPayload[]>();
  for (const reading of readings) byPrinter.set(reading.PrinterId, [...(byPrinter.get(reading.PrinterId) ?? []), reading]);
  const chunks = [...byPrinter.entries()].map(([PrinterId, list]) => {
    const messages: object[] = [];
    for (let i = 0; i < list.length; i += size) {
      messages.push({ PrinterId, readings: list.slice(i, i + size).map(({ PrinterId: _id, ...element }) => element) });
    }
    return messages;
  });
  const out: object[] = [];
  for (let round = 0; chunks.some((c) => round < c.length); round += 1) for (const c of chunks) if (round < c.length) out.push(c[round]!);
  return out;
}

/** Kinesis events of up to `size` records, one reading per record, in order. */
function streamEvents(readings: readonly ReadingPayload[], size: number, from = 0): KinesisStreamEvent[] {
  const events: KinesisStreamEvent[] = [];
  for (let i = 0; i < readings.length; i += size) {
    events.push({
      Records: readings.slice(i, i + size).map((reading, j) => ({
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shard:${i + j}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'bench',
        awsRegion: LOCAL_AWS.region,
        eventSourceARN: 'bench',
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: reading.PrinterId,
          sequenceNumber: String(10_000_000_000 + from + i + j),
          data: Buffer.from(JSON.stringify(reading)).toString('base64'),
          approximateArrivalTimestamp: 0,
        },
      })),
    });
  }
  return events;
}

/** Runs `work` on `items` sharded by `key` (each shard in order), `WORKERS` shards at once; returns seconds. */
async function sharded<T>(items: readonly T[], key: (item: T) => string, work: (item: T) => Promise<unknown>): Promise<number> {
  const shards: T[][] = Array.from({ length: WORKERS }, () => []);
  const shardOf = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (!shardOf.has(k)) shardOf.set(k, shardOf.size % WORKERS);
    shards[shardOf.get(k)!]!.push(item);
  }
  const started = performance.now();
  await Promise.all(
    shards.map(async (shard) => {
      for (const item of shard) await work(item);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function runPath(
  endpoint: string,
  path: IngestPath,
  workload: Workload,
  options: { batchSize: number; streamBatchSize: number; maxReadings?: number },
): Promise<IngestRun> {
  const readings = workload.readings.slice(0, options.maxReadings ?? workload.readings.length);
  const setup = await setUp(endpoint, workload, path);
  const deps = {
    config: { tableName: setup.tableName, predictionTopic: PREDICTION_TOPIC },
    dynamoDb: setup.counting.client,
    iotData: setup.iotData,
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'INFO' }),
  };
  let invocations = 0;
  // The first half of the readings warms the container (every printer's state cached, as a container that has
  // run for a while has it); the second half is timed and counted. A cold container's one GetItem per printer
  // is measured by the per-reading section.
  const half = Math.floor(readings.length / 2);
  const warm = readings.slice(0, half);
  const timed = readings.slice(half);
  const { result: seconds } = await withMutedStdout(async () => {
    if (path === 'stream') {
      const handler = createStreamHandler(deps);
      const send = async (list: readonly ReadingPayload[], from: number) => {
        const started = performance.now();
        for (const event of streamEvents(list, options.streamBatchSize, from)) {
          invocations += 1;
          await handler(event, { awsRequestId: randomUUID() });
        }
        return (performance.now() - started) / 1000;
      };
      await send(warm, 0);
      setup.counting.reset();
      invocations = 0;
      return send(timed, half);
    }
    let handle: (message: object) => Promise<unknown>;
    if (path === 'original') {
      const original = createOriginalHandler({
        dynamoDb: setup.counting.client,
        iotData: setup.iotData,
        tableName: setup.tableName,
        predictionTopic: PREDICTION_TOPIC,
      });
      handle = (reading) => original(reading as ReadingPayload);
    } else {
      const handler = createHandler(deps);
      handle = (message) => handler(message, { awsRequestId: randomUUID() });
    }
    const messagesOf = (list: readonly ReadingPayload[]): readonly object[] =>
      path === 'batched' ? batchedMessages(list, options.batchSize) : list;
    const run = (list: readonly ReadingPayload[]) =>
      sharded(
        messagesOf(list),
        (m) => (m as { PrinterId: string }).PrinterId,
        async (message) => {
          invocations += 1;
          await handle(message);
        },
      );
    await run(warm);
    setup.counting.reset();
    invocations = 0;
    return run(timed);
  });
  const requests = setup.counting.counts().total;
  const n = timed.length;
  const run: IngestRun = {
    path,
    fleetSize: workload.profiles.length,
    readings: n,
    invocations,
    requests,
    requestsPerReading: requests / n,
    invocationsPerReading: invocations / n,
    readingsPerSecond: n / seconds,
    ...(path === 'stream' ? { readingsPerPrinterPerBatch: Math.max(1, options.streamBatchSize / workload.profiles.length) } : {}),
    eventsPublished: setup.published(),
    eventsExpected: workload.expectedEventsWithin(readings.length),
  };
  await setup.close();
  return run;
}

/** UpdateItem calls per second on distinct items, WORKERS at a time, with the detector's client settings. */
async function rawUpdateRate(endpoint: string, workload: Workload, count: number): Promise<number> {
  const setup = await setUp(endpoint, workload, 'raw');
  const ids = workload.profiles.map((p) => p.PrinterId);
  const items = Array.from({ length: count }, (_, i) => ids[i % ids.length]!);
  const seconds = await sharded(
    items,
    (id) => id,
    (id) =>
      setup.counting.client.send(
        new UpdateItemCommand({
          TableName: setup.tableName,
          Key: { PrinterId: { S: id } },
          UpdateExpression: 'SET #c = if_not_exists(#c, :z) + :one',
          ExpressionAttributeNames: { '#c': 'RawCount' },
          ExpressionAttributeValues: { ':z': { N: '0' }, ':one': { N: '1' } },
        }),
      ),
  );
  await setup.close();
  return count / seconds;
}

export interface IngestBenchOptions {
  readonly endpoint: string;
  readonly fleetSize: number;
  readonly readingsPerPrinter: number;
  /** Fleet size for stream ingest with several readings per printer per batch (k = streamBatchSize / this). */
  readonly smallFleetSize: number;
  readonly runs: number;
  readonly progress?: (line: string) => void;
}

/** Every path, `runs` runs each (paths alternating), medians per path and fleet size. */
export async function ingestBench(options: IngestBenchOptions): Promise<IngestResult> {
  const say = options.progress ?? (() => undefined);
  const batchSize = 10;
  const streamBatchSize = 500;
  const large = generateWorkload(options.fleetSize, options.readingsPerPrinter, 7);
  const small = generateWorkload(
    options.smallFleetSize,
    Math.ceil((options.fleetSize * options.readingsPerPrinter) / options.smallFleetSize),
    8,
  );
  const plan: [IngestPath, Workload, number | undefined][] = [
    ['single', large, undefined],
    ['batched', large, undefined],
    ['stream', large, undefined],
    ['stream', small, undefined],
    // The original scans the table on every reading: a sample is enough for its rate (half warms, half is timed).
    ['original', large, Math.min(large.readings.length, 2000)],
  ];
  await runPath(options.endpoint, 'single', generateWorkload(100, 5, 3), { batchSize, streamBatchSize }); // warm-up (JIT), discarded
  const runsByKey = new Map<string, IngestRun[]>();
  const raws: number[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    raws.push(await rawUpdateRate(options.endpoint, large, large.readings.length));
    for (const [path, workload, maxReadings] of plan) {
      const result = await runPath(options.endpoint, path, workload, {
        batchSize,
        streamBatchSize,
        ...(maxReadings ? { maxReadings } : {}),
      });
      const key = `${path}@${result.fleetSize}`;
      runsByKey.set(key, [...(runsByKey.get(key) ?? []), result]);
      say(
        `  ${key} run ${run + 1}: ${round(result.readingsPerSecond, 0)} readings/s, ${result.requestsPerReading.toFixed(3)} requests and ${result.invocationsPerReading.toFixed(3)} invocations per reading`,
      );
    }
  }
  const rows = [...runsByKey.values()].map((runs) => {
    const first = runs[0]!;
    const m = (pick: (r: IngestRun) => number) => median(runs.map(pick));
    return {
      ...first,
      requests: m((r) => r.requests),
      requestsPerReading: round(
        m((r) => r.requestsPerReading),
        4,
      ),
      invocationsPerReading: round(
        m((r) => r.invocationsPerReading),
        4,
      ),
      readingsPerSecond: round(
        m((r) => r.readingsPerSecond),
        1,
      ),
    };
  });
  return { batchSize, streamBatchSize, runs: options.runs, rawUpdateItemsPerSecond: round(median(raws), 1), rows };
}
