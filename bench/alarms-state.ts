/**
 * The alarms section's state figure: how large a printer's item grows in
 * each window mode, with every alarm option on, after thousands of readings
 * through the detector (`createHandler`), history and notifications
 * included. Every write returns the item it leaves (`ALL_NEW`): the bench
 * sizes that item after each reading, as DynamoDB sizes items ({@link itemBytes}),
 * without a request of its own.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { Logger } from '@aws-lambda-powertools/logger';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ATTR, PREDICTION_TOPIC, SERVICE_NAME } from '../contract/index.ts';
import { generateFleet } from '../emitter/generate.ts';
import { createDynamoDbClient, createHandler } from '../lambda/app.ts';
import { SnsNotifier } from '../lambda/adapters/sns-notifier.ts';
import { USER_ATTRIBUTES } from '../lambda/core/rules.ts';
import { LOCAL_AWS } from '../twin/dynamodb.ts';
import { startIotDataServer } from '../twin/iot-data-server.ts';
import { STATE_PROFILES } from './alarms-profiles.ts';
import { attributeBytes, indexWriteUnits, type Item, itemBytes, writeUnits } from './item-size.ts';
import { round } from './stats.ts';
import { withMutedStdout } from './output.ts';
import { batchWrite, ANOMALY_RATE } from './workload.ts';

/** The topic notifications go to, on the local SNS stub: a placeholder account (the repository holds no real one). */
export const BENCH_TOPIC_ARN = `arn:aws:sns:us-east-1:${'0'.repeat(12)}:bench-alarms`;

/**
 * The detector's SNS notifier on the local stub, with the bench's local
 * credentials and region (`createHandler` takes the SNS client's from the
 * environment).
 */
export function localNotifier(endpoint: string): SnsNotifier {
  return new SnsNotifier(BENCH_TOPIC_ARN, { ...LOCAL_AWS, endpoint });
}

/** Where an item's bytes go. */
export const ITEM_PARTS = ['profile', 'memory', 'alarm', 'recent', 'outbox', 'counters'] as const;
export type ItemPart = (typeof ITEM_PARTS)[number];

const PART_OF: Readonly<Record<string, ItemPart>> = {
  ...Object.fromEntries(USER_ATTRIBUTES.map((a) => [a, 'profile' as const])),
  [ATTR.memory]: 'memory',
  ...Object.fromEntries(
    [ATTR.alarm, ATTR.alarmPartition, ATTR.alarmKey, ATTR.silenceAt, ATTR.duePartition, ATTR.dueAt].map((a) => [a, 'alarm' as const]),
  ),
  [ATTR.recent]: 'recent',
  ...Object.fromEntries(
    [ATTR.lastEvent, ATTR.lastEventRequestId, ATTR.recentRequests, ATTR.requestEntries, ATTR.pendingEvents].map((a) => [
      a,
      'outbox' as const,
    ]),
  ),
};

/** An item's bytes per part: the user's profile, the window mode's memory, the alarm with its index keys and deadlines, the recent values, the outbox, and counters and the rest of the bookkeeping. */
export function itemParts(item: Item): Record<ItemPart, number> {
  const parts = Object.fromEntries(ITEM_PARTS.map((p) => [p, 0])) as Record<ItemPart, number>;
  for (const [name, value] of Object.entries(item)) parts[PART_OF[name] ?? 'counters'] += Buffer.byteLength(name) + attributeBytes(value);
  return parts;
}

/** The item after some readings. */
export interface StateSample {
  readonly readings: number;
  readonly bytes: number;
  readonly parts: Record<ItemPart, number>;
  readonly alarmState: string;
  readonly eventCount: number;
}

export interface StateRow {
  readonly mode: string;
  readonly printerId: string;
  readonly readings: number;
  /** The item at 1,000, 5,000 and 10,000 readings (those the run reached). */
  readonly at: readonly StateSample[];
  /**
   * The largest item in the middle and in the last third of the run; the
   * first third lets what fills up fill (an m-of-n window, the recent
   * values, adaptive warm-up).
   */
  readonly largestMiddle: StateSample;
  readonly largestLast: StateSample;
  /** Write units per reading over the run, as DynamoDB bills them: the profile's UpdateItem, its index entries, history items with their index. */
  readonly writeUnitsPerReading: Readonly<Units>;
  /** The last third never held an item larger than the middle third's largest, give or take {@link VARIETY_SLACK}. */
  readonly bounded: boolean;
}

/**
 * What the item's size varies by without growing: the alarm's state (an
 * activation is kept while ACTIVE), how many outbox entries the last write
 * left, a counter gaining a digit. A state that grew with the readings would
 * exceed it over a third of the run.
 */
export const VARIETY_SLACK = 0.1;

function sample(item: Item, readings: number): StateSample {
  return {
    readings,
    bytes: itemBytes(item),
    parts: itemParts(item),
    alarmState: item[ATTR.alarm]?.M?.['State']?.S ?? 'NORMAL',
    eventCount: Number(item[ATTR.eventCount]?.N ?? 0),
  };
}

/** Write units per printer: the profile table, its indexes, and the history table with its index. */
interface Units {
  table: number;
  indexes: number;
  history: number;
}

/**
 * Watches the detector's writes: keeps the item each UpdateItem returns per
 * printer, and adds up what each write costs in write units, as DynamoDB
 * bills them (dynalite reports the table's share only).
 */
function watchWrites(client: DynamoDBClient, seeded: readonly Item[], eventsTableName: string) {
  const latest = new Map<string, Item>(seeded.map((item) => [item[ATTR.printerId]!.S!, item]));
  const units = new Map<string, Units>();
  const of = (id: string) => units.get(id) ?? units.set(id, { table: 0, indexes: 0, history: 0 }).get(id)!;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { TableName?: string; Item?: Item; RequestItems?: Record<string, { PutRequest?: { Item?: Item } }[]> };
      const item = (result.output as { Attributes?: Item }).Attributes;
      const id = item?.[ATTR.printerId]?.S;
      if (context.commandName === 'UpdateItemCommand' && item && id) {
        of(id).table += writeUnits(latest.get(id), item);
        of(id).indexes += indexWriteUnits(latest.get(id), item);
        latest.set(id, item);
      }
      // A history item is new, and its fleet-wide index projects every attribute: one write in the table, one in the index.
      if (context.commandName === 'BatchWriteItemCommand') {
        for (const request of input.RequestItems?.[eventsTableName] ?? []) {
          const recorded = request.PutRequest?.Item;
          const printer = recorded?.[ATTR.printerId]?.S;
          if (recorded && printer) of(printer).history += 2 * writeUnits(undefined, recorded);
        }
      }
      return result;
    },
    { step: 'initialize', name: 'benchWatchWrites' },
  );
  return { latest, units: (id: string) => of(id) };
}

const perReading = (units: Units, readings: number): Units => ({
  table: round(units.table / readings, 3),
  indexes: round(units.indexes / readings, 3),
  history: round(units.history / readings, 3),
});

const largest = (samples: readonly StateSample[]) => samples.reduce((a, b) => (b.bytes > a.bytes ? b : a));

/** Feeds `readingsPerPrinter` readings to each state printer (in order, the printers side by side) and sizes their items as they go. */
export async function stateBench(options: {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  readonly eventsTableName: string;
  readonly readingsPerPrinter: number;
}): Promise<StateRow[]> {
  const { client, tableName, readingsPerPrinter } = options;
  const profiles = STATE_PROFILES.map(({ mode: _mode, ...profile }) => profile);
  const seeded = profiles.map((p) => marshall({ ...p, OutOfBoundsCount: 0, EventCount: 0 }, { removeUndefinedValues: true }));
  await batchWrite(client, tableName, seeded);
  const { readings } = generateFleet({
    profiles,
    readings: profiles.length * readingsPerPrinter,
    seed: 'alarms-state',
    order: 'round-robin',
    anomalyRate: ANOMALY_RATE,
  });
  const server = await startIotDataServer(() => {}, { onNotify: () => {} });
  const iotData = new IoTDataPlaneClient({ ...LOCAL_AWS, endpoint: server.endpoint });
  const dynamoDb = createDynamoDbClient({ ...LOCAL_AWS, endpoint: options.endpoint });
  const writes = watchWrites(dynamoDb, seeded, options.eventsTableName);
  const handler = createHandler({
    config: {
      tableName,
      predictionTopic: PREDICTION_TOPIC,
      eventsTableName: options.eventsTableName,
    },
    dynamoDb,
    iotData,
    processor: { notifier: localNotifier(server.endpoint) },
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'INFO' }),
  });
  try {
    const { result } = await withMutedStdout(() =>
      Promise.all(
        STATE_PROFILES.map(async ({ mode, PrinterId }) => {
          const samples: StateSample[] = [];
          let n = 0;
          for (const reading of readings) {
            if (reading.PrinterId !== PrinterId) continue;
            await handler(reading, { awsRequestId: randomUUID() });
            n += 1;
            samples.push(sample(writes.latest.get(PrinterId) ?? {}, n));
          }
          const third = Math.floor(samples.length / 3);
          const middle = largest(samples.slice(third, 2 * third));
          const last = largest(samples.slice(2 * third));
          return {
            mode,
            printerId: PrinterId,
            readings: n,
            at: samples.filter((s) => [1000, 5000, 10_000].includes(s.readings)),
            largestMiddle: middle,
            largestLast: last,
            writeUnitsPerReading: perReading(writes.units(PrinterId), n),
            bounded: last.bytes <= middle.bytes * (1 + VARIETY_SLACK),
          };
        }),
      ),
    );
    return result;
  } finally {
    dynamoDb.destroy();
    iotData.destroy();
    await server.close();
  }
}
