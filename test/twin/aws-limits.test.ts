/**
 * AWS's service limits, as the twin enforces them (`contract/aws-limits.ts`):
 * each at the limit and one byte past it. AWS IoT Core carries a PUBLISH of
 * exactly 128 KB (a batch that size is applied) and rejects a larger one,
 * disconnecting the client, so nothing reaches the rule; the SNS stand-in
 * takes a message of exactly 256 KB and refuses a larger one; the largest
 * notification the product can make stays far below SNS's limit; the
 * embedded DynamoDB and Kinesis keep AWS's item and record limits.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { AWS_LIMITS, DETECT_TOPIC, MAX_PRINTER_ID_LENGTH, type ProfileInput } from '../../contract/index.ts';
import { connect, disconnect, newConnection } from '../../emitter/connection.ts';
import { notificationOf } from '../../lambda/core/outbox.ts';
import { LOCAL_AWS } from '../../twin/dynamodb.ts';
import { KinesisClient } from '../../twin/kinesis-client.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

const PROFILE = { PrinterId: 'Big', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 } as ProfileInput;

/** A batch of one out-of-bounds reading, padded with JSON whitespace to exactly `bytes`. */
function batchOf(bytes: number): string {
  const json = JSON.stringify({ PrinterId: 'Big', readings: [{ data: { value: 95 }, seq: 1 }] });
  return json + ' '.repeat(bytes - Buffer.byteLength(json));
}

/** Publishes `payload` at QoS 1 over a fresh connection: whether the broker acknowledged it, and whether it disconnected us. */
async function publish(url: string, payload: string): Promise<{ acked: boolean; interrupted: boolean }> {
  const connection = newConnection({ endpoint: url }, 5_000);
  let interrupted = false;
  connection.on('error', () => {});
  connection.on('interrupt', () => {
    interrupted = true;
  });
  await connect(connection, { endpoint: url });
  const interruption = once(connection, 'interrupt').then(() => false);
  const acked = await Promise.race([
    connection.publish(DETECT_TOPIC, payload, 1, false).then(
      () => true,
      () => false,
    ),
    interruption,
  ]);
  await disconnect(connection);
  return { acked, interrupted };
}

describe('AWS IoT Core payload limit', () => {
  it('a batch of exactly 128 KB is carried and applied; one byte more is rejected, the client disconnected, nothing counted', async () => {
    twin = await startTwin({ profiles: [PROFILE], logFile: false, sweepSeconds: 0 });
    const over = await publish(twin.mqttUrl, batchOf(AWS_LIMITS.iotMessageBytes + 1));
    expect(over).toEqual({ acked: false, interrupted: true });
    const atLimit = await publish(twin.mqttUrl, batchOf(AWS_LIMITS.iotMessageBytes));
    expect(atLimit.acked).toBe(true);
    await twin.waitUntilProcessed(1, { timeoutMs: 30_000 });
    expect(twin.stats()).toMatchObject({ received: 1, processed: 1, ruleErrors: 0 });
    expect(twin.stats().outcomes.event).toBe(1);
  });
});

describe('SNS message limit', () => {
  it('the stand-in takes a message of exactly 256 KB and refuses one byte more, as SNS does', async () => {
    twin = await startTwin({ logFile: false, sweepSeconds: 0 });
    const sns = new SNSClient({ ...LOCAL_AWS, endpoint: twin.iotDataEndpoint });
    try {
      // A JSON message (the stand-in reads notifications as JSON), padded to exactly `bytes`.
      const message = (bytes: number) => {
        const bare = JSON.stringify({ PrinterId: 'P', pad: '' });
        return JSON.stringify({ PrinterId: 'P', pad: 'x'.repeat(bytes - Buffer.byteLength(bare)) });
      };
      const send = (bytes: number) =>
        sns.send(
          new PublishCommand({
            TopicArn: ['arn', 'aws', 'sns', LOCAL_AWS.region, '0'.repeat(12), 'printer-anomaly-alarms'].join(':'),
            Message: message(bytes),
          }),
        );
      await expect(send(AWS_LIMITS.snsMessageBytes)).resolves.toMatchObject({ MessageId: expect.any(String) });
      await expect(send(AWS_LIMITS.snsMessageBytes + 1)).rejects.toThrow(/Message too long/);
    } finally {
      sns.destroy();
    }
  });

  it('the largest notification the product makes (longest id in 4-byte characters, a long note) is far below it', () => {
    const printerId = '\u{1F5A8}'.repeat(MAX_PRINTER_ID_LENGTH);
    const payload = {
      PrinterId: printerId,
      From: 'NORMAL',
      To: 'ACTIVE',
      Cause: 'threshold',
      Severity: 'critical',
      By: `arn:aws:sts::${'1'.repeat(12)}:assumed-role/${'r'.repeat(64)}/${'s'.repeat(64)}`,
      Note: 'n'.repeat(16 * 1024),
      At: '2026-12-07T00:00:00.000Z',
    };
    const notification = notificationOf({ kind: 'transition', payload } as Parameters<typeof notificationOf>[0]);
    expect(notification).toBeDefined();
    const bytes = Buffer.byteLength(JSON.stringify(notification!.Message)) + Buffer.byteLength(notification!.Subject);
    expect(bytes).toBeLessThan(AWS_LIMITS.snsMessageBytes / 8);
  });
});

describe('DynamoDB item limit', () => {
  it('the twin stores an item of exactly 400 KB and refuses one byte more, as DynamoDB does', async () => {
    twin = await startTwin({ logFile: false, sweepSeconds: 0 });
    // An item's size is its attribute names' and values' UTF-8 lengths together.
    const item = (bytes: number) => ({
      PrinterId: { S: 'X' },
      Pad: { S: 'x'.repeat(bytes - 'PrinterId'.length - 'X'.length - 'Pad'.length) },
    });
    const put = (bytes: number) => twin!.dynamoDb.send(new PutItemCommand({ TableName: twin!.tableName, Item: item(bytes) }));
    await expect(put(AWS_LIMITS.dynamoDbItemBytes)).resolves.toBeDefined();
    await expect(put(AWS_LIMITS.dynamoDbItemBytes + 1)).rejects.toThrow(/Item size has exceeded the maximum allowed size/);
  });
});

describe('Kinesis record limits', () => {
  it('the twin takes a record of exactly 1 MB and 500 records in one PutRecords, and refuses more, as Kinesis does', async () => {
    twin = await startTwin({ ingest: 'stream', logFile: false, sweepSeconds: 0 });
    const kinesis = new KinesisClient(twin.kinesisEndpoint!);
    try {
      const record = (dataBytes: number) => ({ Data: Buffer.alloc(dataBytes, 'x').toString('base64'), PartitionKey: 'k' });
      const put = (records: object[]) => kinesis.call('PutRecords', { StreamName: twin!.streamName, Records: records });
      // The limit counts the data and the partition key together.
      await expect(put([record(AWS_LIMITS.kinesisRecordBytes - 1)])).resolves.toMatchObject({ FailedRecordCount: 0 });
      await expect(put([record(AWS_LIMITS.kinesisRecordBytes)])).rejects.toThrow();
      const many = (n: number) => Array.from({ length: n }, () => record(10));
      await expect(put(many(AWS_LIMITS.kinesisPutRecordsEntries))).resolves.toMatchObject({ FailedRecordCount: 0 });
      await expect(put(many(AWS_LIMITS.kinesisPutRecordsEntries + 1))).rejects.toThrow();
    } finally {
      kinesis.destroy();
    }
  });
});
