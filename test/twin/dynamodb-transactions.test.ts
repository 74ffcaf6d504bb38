/**
 * The embedded DynamoDB's `TransactWriteItems` (`twin/dynamodb-transactions.ts`):
 * all items written, or none when the conditional one fails; capacity doubled.
 */
import {
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEventsTable, ensureProfilesTable, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';

let dynamo: EmbeddedDynamoDb;
let client: DynamoDBClient;
const PROFILES = 'tx-profiles';
const EVENTS = 'tx-events';

beforeAll(async () => {
  dynamo = await startDynamoDb();
  client = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(client, PROFILES);
  await ensureEventsTable(client, EVENTS);
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

const key = (id: string) => ({ PrinterId: { S: id } });

async function events(id: string, keys: number): Promise<number> {
  let found = 0;
  for (let k = 0; k < keys; k += 1) {
    const { Item } = await client.send(new GetItemCommand({ TableName: EVENTS, Key: { PrinterId: { S: id }, Key: { S: `k${k}` } } }));
    if (Item) found += 1;
  }
  return found;
}

/** One guarded counter update and `puts` history items, as the detector writes them. */
const transaction = (id: string, expected: number, puts: number) =>
  new TransactWriteItemsCommand({
    ReturnConsumedCapacity: 'TOTAL',
    TransactItems: [
      {
        Update: {
          TableName: PROFILES,
          Key: key(id),
          UpdateExpression: 'SET #c = :next',
          ConditionExpression: '#c = :was',
          ExpressionAttributeNames: { '#c': 'EventCount' },
          ExpressionAttributeValues: { ':was': { N: String(expected) }, ':next': { N: String(expected + 1) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...Array.from({ length: puts }, (_, k) => ({
        Put: { TableName: EVENTS, Item: { PrinterId: { S: id }, Key: { S: `k${k}` }, N: { N: String(expected) } } },
      })),
    ],
  });

describe("the twin's TransactWriteItems", () => {
  it('writes every item when the condition holds, and none when it fails', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), async (stored, puts, holds) => {
        const id = `P${run++}`;
        await client.send(new PutItemCommand({ TableName: PROFILES, Item: { ...key(id), EventCount: { N: String(stored) } } }));
        const expected = holds ? stored : stored + 1;
        if (holds) {
          const result = await client.send(transaction(id, expected, puts));
          const units = Object.fromEntries((result.ConsumedCapacity ?? []).map((c) => [c.TableName, c.CapacityUnits]));
          expect(units).toEqual({ [PROFILES]: 2, [EVENTS]: 2 * puts });
        } else {
          const failure = await client.send(transaction(id, expected, puts)).catch((error: unknown) => error);
          expect(failure).toBeInstanceOf(TransactionCanceledException);
          const reasons = (failure as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
          expect(reasons).toEqual(['ConditionalCheckFailed', ...Array.from({ length: puts }, () => 'None')]);
        }
        const { Item } = await client.send(new GetItemCommand({ TableName: PROFILES, Key: key(id) }));
        expect(Item?.['EventCount']?.N).toBe(String(holds ? stored + 1 : stored));
        expect(await events(id, puts)).toBe(holds ? puts : 0);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a transaction with two conditional items (it could not undo the first)', async () => {
    const update = transaction('Q', 0, 0).input.TransactItems![0]!;
    await expect(client.send(new TransactWriteItemsCommand({ TransactItems: [update, update] }))).rejects.toThrow(
      /at most one conditional/,
    );
  });
});
