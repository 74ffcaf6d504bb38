/**
 * The handler-cost baseline of `docs/performance.md`: per reading, one bare
 * SDK UpdateItem on the printer's item and nothing else, sent through the
 * same client as the handler (`createDynamoDbClient` with the bench's request
 * counting), so that the CPU ratio measures what the handler adds around its
 * one write: parsing, the detector, logs and metrics.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReadingPayload } from '../contract/index.ts';

export function createBareUpdateHandler(deps: { readonly dynamoDb: DynamoDBClient; readonly tableName: string }) {
  const { dynamoDb, tableName } = deps;
  return async function bareUpdate(reading: ReadingPayload): Promise<void> {
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { PrinterId: { S: reading.PrinterId } },
        UpdateExpression: 'ADD BenchUpdates :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
  };
}
