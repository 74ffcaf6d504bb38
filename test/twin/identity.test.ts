/**
 * Device identity mode `thing` on the twin, end to end (`docs/deploy.md`,
 * "Device identity"): the rule adds the connection's client id, and the function
 * counts a reading only when its sender is that printer's thing, or a gateway
 * thing that lists the printer; anything else is dropped, logged and counted.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECT_TOPIC, SENDER_FIELD } from '../../contract/index.ts';
import { replay } from '../../emitter/replay.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { reading } from '../support/twin.ts';

const profile = (PrinterId: string) => ({ PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1 });
let twin: Twin;
const logs: string[] = [];

beforeAll(async () => {
  twin = await startTwin({
    logFile: false,
    deviceIdentity: 'thing',
    things: { Gateway1: { printers: 'Printer2,Printer3' }, Printer1: {} },
    profiles: ['Printer1', 'Printer2', 'Printer3', 'Printer4'].map(profile),
    onLog: (line) => logs.push(line),
  });
});
afterAll(() => twin?.close());

/** Sends readings as the device `clientId` (the emitter, device SDK, QoS 1) and waits until the twin handled them. */
async function sendAs(clientId: string, readings: object[]): Promise<void> {
  const before = twin.stats().received;
  const summary = await replay(readings, { endpoint: twin.mqttUrl, qos: 1, clientId });
  expect(summary.acked).toBe(readings.length);
  await twin.waitUntilProcessed(before + readings.length, { timeoutMs: 20_000 });
}

async function eventCount(id: string): Promise<number> {
  const { Item } = await twin.dynamoDb.send(
    new GetItemCommand({ TableName: twin.tableName, Key: { PrinterId: { S: id } }, ConsistentRead: true }),
  );
  return Number(Item?.['EventCount']?.N ?? 0);
}

describe('device identity mode thing', () => {
  it('counts a reading its own thing sends', async () => {
    await sendAs('Printer1', [reading('Printer1', 95)]);
    expect(await eventCount('Printer1')).toBe(1);
  });

  it('drops, logs and counts a reading a thing sends for another printer, changing nothing', async () => {
    const foreignBefore = twin.stats().outcomes['foreign-printer'];
    await sendAs('Printer1', [reading('Printer4', 95)]);
    expect(await eventCount('Printer4')).toBe(0);
    expect(twin.stats().outcomes['foreign-printer']).toBe(foreignBefore + 1);
    await twin.flushLogs();
    const warning = logs
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['printerId'] === 'Printer4' && l['level'] === 'WARN');
    expect(warning).toMatchObject({
      message: 'reading from a sender that may not report for this printer dropped',
      reason: 'client Printer1 may not report for printer Printer4 (it is neither that thing nor a gateway listing it)',
    });
    expect(logs.some((l) => l.includes('"ForeignPrinterReadings":1'))).toBe(true);
  });

  it('counts readings a gateway thing sends for the printers its attribute lists, and only those', async () => {
    await sendAs('Gateway1', [reading('Printer2', 95), reading('Printer3', 95), reading('Printer4', 95)]);
    expect([await eventCount('Printer2'), await eventCount('Printer3'), await eventCount('Printer4')]).toEqual([1, 1, 0]);
  });

  it('refuses, in the rule, a payload that claims a sender itself', async () => {
    const received = twin.stats().received;
    await replay([{ ...reading('Printer4', 95), [SENDER_FIELD]: 'Printer4' }], { endpoint: twin.mqttUrl, qos: 1, clientId: 'Printer1' });
    // The rule's WHERE skips it: the function is never invoked. A later message shows the skipped one was seen and dropped.
    await sendAs('Printer1', [reading('Printer1', 50)]);
    expect(twin.stats().received).toBe(received + 1);
    expect(await eventCount('Printer4')).toBe(0);
  });

  it('refuses a reading with no sender at all (published by the broker itself, not a device)', async () => {
    const before = twin.stats();
    await new Promise<void>((resolve, reject) =>
      twin.broker.publish(
        {
          cmd: 'publish',
          topic: DETECT_TOPIC,
          payload: Buffer.from(JSON.stringify(reading('Printer4', 95))),
          qos: 1,
          retain: false,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    await twin.waitUntilProcessed(before.received + 1, { timeoutMs: 20_000 });
    expect(twin.stats().outcomes['foreign-printer']).toBe(before.outcomes['foreign-printer'] + 1);
    expect(await eventCount('Printer4')).toBe(0);
  });
});
