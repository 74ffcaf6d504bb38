/**
 * A worker thread that issues UpdateItem requests back to back on one
 * connection for a given time: the embedded DynamoDB's own write rate, the
 * local limit the twin's end-to-end throughput is compared with.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

export interface UpdateLoopInput {
  readonly endpoint: string;
  readonly tableName: string;
  readonly printerIds: readonly string[];
  readonly warmUpMs: number;
  readonly durationMs: number;
  readonly seed: number;
}

export interface UpdateLoopOutput {
  readonly updates: number;
  readonly seconds: number;
}

const input = workerData as UpdateLoopInput;
// The detector's client settings (`createDynamoDbClient` in lambda/app.ts), so that the raw rate is not
// held back by per-request SDK work that the function avoids.
const client = new DynamoDBClient({
  endpoint: input.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  cacheMiddleware: true,
});
client.middlewareStack.remove('loggerMiddleware');

let i = input.seed;
async function update(): Promise<void> {
  i += 7919;
  const id = input.printerIds[i % input.printerIds.length]!;
  // The same shape as the handler's write: conditional on the item, counters and bookkeeping set.
  await client.send(
    new UpdateItemCommand({
      TableName: input.tableName,
      Key: { PrinterId: { S: id } },
      UpdateExpression: 'SET LastValue = :v, LastSeenAt = :t, OutOfBoundsCount = :z',
      ConditionExpression: 'attribute_exists(PrinterId)',
      ExpressionAttributeValues: { ':v': { N: String(i % 100) }, ':t': { S: new Date().toISOString() }, ':z': { N: '0' } },
      ReturnValues: 'ALL_NEW',
    }),
  );
}

const warmUntil = performance.now() + input.warmUpMs;
while (performance.now() < warmUntil) await update();
parentPort!.postMessage({ measuring: true });
let updates = 0;
const started = performance.now();
const until = started + input.durationMs;
while (performance.now() < until) {
  await update();
  updates += 1;
}
const output: UpdateLoopOutput = { updates, seconds: (performance.now() - started) / 1000 };
client.destroy();
parentPort!.postMessage(output);
