/**
 * The sweep function's own log line: INFO with its counts when something was
 * due, DEBUG when nothing was (it runs every minute: an INFO line each time
 * would bury the ones that matter).
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { putOriginalProfile } from '../support/profiles.ts';

let h: DetectorHarness;
beforeEach(async () => {
  h = await startDetectorHarness();
  await putOriginalProfile(h.admin, h.tableName, 'P1', 20, 80, 3);
  await h.admin.send(
    new UpdateItemCommand({
      TableName: h.tableName,
      Key: { PrinterId: { S: 'P1' } },
      UpdateExpression: 'SET SilenceSeconds = :s',
      ExpressionAttributeValues: { ':s': { N: '60' } },
    }),
  );
});
afterEach(async () => {
  await h.close();
});

const sweepRecords = () => h.logs.records().filter((r) => r['message'] === 'sweep');

it('logs a sweep at INFO only when something was due, at DEBUG otherwise', async () => {
  h.logs.logger.setLogLevel('DEBUG');
  const start = Date.now();
  await h.invoke({ PrinterId: 'P1', data: { value: 50 } }); // silence falls due a minute after this reading
  h.logs.clear();

  await h.sweep(new Date(start));
  expect(sweepRecords()).toEqual([expect.objectContaining({ level: 'DEBUG', due: 0 })]);

  h.logs.clear();
  await h.sweep(new Date(start + 120_000));
  expect(sweepRecords()).toEqual([expect.objectContaining({ level: 'INFO', due: 1, transitions: 1 })]);
});
