/**
 * A faithful model of the original design's access pattern, for comparison:
 * for every reading, GetItem the profile, apply the window rule in memory,
 * write the counters back with an unconditional UpdateItem (a read-modify-write
 * that can lose updates), publish an event when one is due, and Scan the whole
 * table (every page), as the original function did on every message.
 *
 * Only the access pattern matters here; the detection rule is the one of
 * `docs/design.md` ("Detection").
 */
import { GetItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ReadingPayload } from '../contract/index.ts';
import { detect } from '../lambda/core/detector.ts';
import { originalRules } from '../lambda/core/rules.ts';
import { initialState } from '../lambda/core/step.ts';

export interface OriginalDependencies {
  readonly dynamoDb: DynamoDBClient;
  readonly iotData: IoTDataPlaneClient;
  readonly tableName: string;
  readonly predictionTopic: string;
}

/** What the original function did with one message; resolves to whether it published an event. */
export function createOriginalHandler(deps: OriginalDependencies) {
  const { dynamoDb, iotData, tableName, predictionTopic } = deps;
  return async function originalHandler(reading: ReadingPayload): Promise<boolean> {
    const key = { PrinterId: { S: reading.PrinterId } };
    const { Item } = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: key }));
    if (!Item) return false;
    const profile = unmarshall(Item) as {
      Thresholds: { Lower: number; Upper: number };
      Window: number;
      OutOfBoundsCount: number;
      EventCount: number;
    };
    // The window rule is the detector's (`detect()`); the original had no seq or timestamp ordering.
    const verdict = detect(
      initialState(reading.PrinterId, originalRules(profile.Thresholds.Lower, profile.Thresholds.Upper, profile.Window), {
        outOfBoundsCount: profile.OutOfBoundsCount,
        eventCount: profile.EventCount,
      }),
      { printerId: reading.PrinterId, metrics: reading.data },
      Date.now(),
    );
    if (!verdict.applied) return false; // never: without seq or timestamp every reading applies
    const { event } = verdict;
    const { outOfBoundsCount: outOfBounds, eventCount: events } = verdict.next;
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET OutOfBoundsCount = :oob, EventCount = :ec',
        ExpressionAttributeValues: { ':oob': { N: String(outOfBounds) }, ':ec': { N: String(events) } },
      }),
    );
    if (event) {
      await iotData.send(
        new PublishCommand({
          topic: predictionTopic,
          qos: 1,
          payload: Buffer.from(JSON.stringify({ PrinterId: reading.PrinterId, events })),
        }),
      );
    }
    // The original read the whole table on every message.
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamoDb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return event;
  };
}
