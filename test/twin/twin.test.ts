/**
 * The twin's delivery model (ordering, retries, dead letters), its state
 * folder, and how it refuses what it cannot take.
 */
import { DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DETECT_TOPIC } from '../../contract/index.ts';
import { startTwin, TwinStartError, type DeadLetterRecord, type InvocationRecord, type Twin, type TwinOptions } from '../../twin/twin.ts';
import { runModel } from '../support/model.ts';
import { publishReadings, reading } from '../support/twin.ts';

const profile = (PrinterId: string, Lower: number, Upper: number, Window: number) => ({ PrinterId, Thresholds: { Lower, Upper }, Window });

const twins: Twin[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const twin of twins.splice(0)) await twin.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function twinWith(options: TwinOptions = {}): Promise<Twin> {
  const twin = await startTwin({ ...(options.stateDir ? {} : { logFile: false }), retryDelaysMs: [20, 20], ...options });
  twins.push(twin);
  return twin;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'twin-'));
  dirs.push(dir);
  return dir;
}

/** Publishes in-process on the broker, as the rule sees any client's publish. */
function publishRaw(twin: Twin, payload: string | object): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.broker.publish(
      {
        cmd: 'publish',
        topic: DETECT_TOPIC,
        payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
        qos: 1,
        retain: false,
        dup: false,
      },
      (error) => (error ? reject(error) : resolve()),
    ),
  );
}

async function item(twin: Twin, id: string) {
  const { Item } = await twin.dynamoDb.send(
    new GetItemCommand({ TableName: twin.tableName, Key: { PrinterId: { S: id } }, ConsistentRead: true }),
  );
  return Item;
}

describe('delivery model', () => {
  it('keeps each printer in arrival order while printers run concurrently', async () => {
    const printers = ['A', 'B', 'C', 'D', 'E', 'F'];
    const twin = await twinWith({ concurrency: 4, profiles: printers.map((id) => profile(id, 20, 80, 2)) });
    const running = new Set<string>();
    const overlaps: string[] = [];
    const order: Record<string, number[]> = {};
    twin.events.on('invoking', ({ printerId }) => {
      if (running.has(printerId!)) overlaps.push(printerId!);
      running.add(printerId!);
    });
    twin.events.on('invocation', ({ printerId }) => running.delete(printerId!));
    twin.events.on('handled', ({ printerId, event }) => {
      order[printerId!] = [...(order[printerId!] ?? []), (event as { seq: number }).seq];
    });

    const perPrinter = 30;
    const readings = Array.from({ length: perPrinter * printers.length }, (_, i) =>
      reading(printers[i % printers.length]!, i % 3 === 0 ? 90 : 50),
    );
    await publishReadings(twin.mqttUrl, readings, { addSeq: true });
    await twin.waitUntilProcessed(readings.length, { timeoutMs: 60_000 });

    const stats = twin.stats();
    expect(stats.maxConcurrentInvocations).toBeGreaterThan(1);
    expect(overlaps).toEqual([]);
    const inOrder = Array.from({ length: perPrinter }, (_, i) => i + 1);
    for (const id of printers) expect(order[id]).toEqual(inOrder);
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(0);
  });

  it('retries a failed invocation with the same request id, then dead-letters it', async () => {
    const stateDir = tempDir();
    const twin = await twinWith({ stateDir, profiles: [profile('P1', 20, 80, 3)] });
    const attempts: InvocationRecord[] = [];
    twin.events.on('invocation', (record) => attempts.push(record));
    // A real fault: the function's table is gone, so every attempt throws.
    await twin.dynamoDb.send(new DeleteTableCommand({ TableName: twin.tableName }));

    const payload = reading('P1', 95, { seq: 1 });
    await publishRaw(twin, payload);
    await twin.waitForIdle({ timeoutMs: 30_000 });

    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    const requestId = attempts[0]!.requestId;
    expect(attempts.every((a) => a.requestId === requestId)).toBe(true);
    expect(twin.stats()).toMatchObject({ received: 1, processed: 0, invocations: 3, retries: 2, functionErrors: 3, deadLettered: 1 });

    const records = readFileSync(join(stateDir, 'dead-letter.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DeadLetterRecord);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestContext: { requestId, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: payload,
      responsePayload: { errorType: 'ProfileStoreError' },
    });
    expect(twin.deadLetters()).toEqual(records);

    // The function's log, as CloudWatch shows it: each attempt logged under the same request id.
    const log = readFileSync(join(stateDir, 'detector.log'), 'utf8').split('\n');
    expect(log.filter((line) => line.startsWith(`START RequestId: ${requestId} `))).toHaveLength(3);
    expect(log.filter((line) => line.includes(`\t${requestId}\tERROR\tInvoke Error`))).toHaveLength(3);
    const handlerErrors = log.filter(
      (line) => line.startsWith('{') && (JSON.parse(line) as { level?: string }).level === 'ERROR' && line.includes(requestId),
    );
    expect(handlerErrors.length).toBeGreaterThanOrEqual(3);
  });

  it('a retry after a failed publish reuses the request id: the event is published once and counted once', async () => {
    const twin = await twinWith({ profiles: [profile('P1', 20, 80, 1)] });
    const published: string[] = [];
    twin.broker.subscribe(
      'anom/pred',
      (packet, done) => {
        published.push(packet.payload.toString());
        done();
      },
      () => undefined,
    );
    // A fault the function cannot tell from IoT Core being unavailable: the broker refuses
    // the event's publish during the first attempt only.
    const publish = twin.broker.publish.bind(twin.broker);
    twin.broker.publish = (packet, callback) =>
      packet.topic === 'anom/pred' ? callback(new Error('broker unavailable')) : publish(packet, callback);
    const attempts: InvocationRecord[] = [];
    twin.events.on('invocation', (record) => {
      attempts.push(record);
      twin.broker.publish = publish;
    });

    await publishRaw(twin, reading('P1', 95));
    await twin.waitForIdle({ timeoutMs: 30_000 });

    expect(attempts.map((a) => [a.attempt, a.ok, a.error?.errorType ?? a.result?.outcome])).toEqual([
      [1, false, 'DeliveryError'],
      [2, true, 'redelivered'], // recognised as already applied by its request id: only the publish is left
    ]);
    expect(attempts[1]!.requestId).toBe(attempts[0]!.requestId);
    expect(attempts[1]!.result?.eventsDelivered).toBe(1);
    expect((await item(twin, 'P1'))?.['EventCount']).toEqual({ N: '1' });
    expect(published.map((payload) => JSON.parse(payload) as object)).toEqual([expect.objectContaining({ PrinterId: 'P1', events: 1 })]);
    expect(twin.stats()).toMatchObject({ retries: 1, deadLettered: 0, eventsPublished: 1 });
  });

  it('stops an invocation at the function timeout, replaces its environment, and retries', async () => {
    // 1 ms: no invocation can finish (each runs in a fresh environment, whose first call to DynamoDB is slow).
    const twin = await twinWith({ profiles: [profile('P1', 20, 80, 3)], functionTimeoutMs: 1 });
    const attempts: InvocationRecord[] = [];
    twin.events.on('invocation', (record) => attempts.push(record));
    await publishRaw(twin, reading('P1', 95));
    await twin.waitForIdle({ timeoutMs: 30_000 });
    expect(attempts.map((a) => a.error?.errorType)).toEqual(['Sandbox.Timedout', 'Sandbox.Timedout', 'Sandbox.Timedout']);
    expect(twin.deadLetters()).toEqual([
      expect.objectContaining({ responsePayload: expect.objectContaining({ errorType: 'Sandbox.Timedout' }) }),
    ]);
    expect(twin.stats().coldStarts).toBeGreaterThanOrEqual(3);
  });

  it("readings of unknown printers create no item; a non-JSON payload never reaches the function and goes to the rule's error action", async () => {
    const deadLetterFile = join(tempDir(), 'dead-letter.jsonl');
    const twin = await twinWith({ profiles: [profile('P1', 20, 80, 3)], deadLetterFile });
    await publishRaw(twin, reading('Ghost', 99));
    await publishRaw(twin, 'not json at all');
    await twin.waitForIdle({ timeoutMs: 30_000 });
    expect(await item(twin, 'Ghost')).toBeUndefined();
    expect(twin.stats()).toMatchObject({
      received: 2,
      done: 2,
      invocations: 1,
      ruleErrors: 1,
      outcomes: expect.objectContaining({ 'unknown-printer': 1 }),
    });
    // As AWS IoT's error action sends it to the dead-letter queue, the payload's bytes in base64.
    const [message] = twin.ruleErrors();
    expect(twin.ruleErrors()).toHaveLength(1);
    expect(message).toMatchObject({
      ruleName: expect.any(String),
      topic: DETECT_TOPIC,
      clientId: 'N/A',
      base64OriginalPayload: Buffer.from('not json at all').toString('base64'),
      failures: [
        {
          failedAction: 'LambdaAction',
          failedResource: expect.stringMatching(/^arn:aws:lambda:/),
          errorMessage: expect.stringMatching(/not JSON/),
        },
      ],
    });
    expect(
      readFileSync(deadLetterFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([message]);
  });
});

describe('state folder', () => {
  it('keeps counts, the log and the table across a restart', async () => {
    const stateDir = tempDir();
    const values = [90, 90, 90, 90, 90]; // window 3: one event, then 2 out of bounds
    const first = await startTwin({ stateDir, profiles: [profile('P1', 20, 80, 3)] });
    try {
      await publishReadings(
        first.mqttUrl,
        values.map((v) => reading('P1', v)),
      );
      await first.waitUntilProcessed(values.length, { timeoutMs: 30_000 });
    } finally {
      await first.close();
    }

    const second = await twinWith({ stateDir });
    const model = runModel(
      { P1: { lower: 20, upper: 80, window: 3 } },
      values.map((value) => ({ printerId: 'P1', value })),
    );
    expect(await item(second, 'P1')).toMatchObject({
      EventCount: { N: String(model.printers['P1']!.eventCount) },
      OutOfBoundsCount: { N: String(model.printers['P1']!.outOfBoundsCount) },
    });
    await publishReadings(second.mqttUrl, [reading('P1', 95)]);
    await second.waitUntilProcessed(1, { timeoutMs: 30_000 });
    expect(await item(second, 'P1')).toMatchObject({ EventCount: { N: '2' }, OutOfBoundsCount: { N: '0' } });

    // One log across both runs: the first run's events are still there.
    const log = readFileSync(join(stateDir, 'detector.log'), 'utf8');
    expect(log.match(/"message":"anomaly event"/g)).toHaveLength(2);
  });

  it('refuses a state folder another twin holds, and a port in use, with one line', async () => {
    const stateDir = tempDir();
    const twin = await twinWith({ stateDir });
    await expect(startTwin({ stateDir })).rejects.toThrow(new TwinStartError(`state folder ${twin.stateDir} is in use by another twin`));
    await expect(startTwin({ mqttPort: twin.mqttPort })).rejects.toThrow(
      new TwinStartError(`MQTT port ${twin.mqttPort} is already in use`),
    );
    await expect(startTwin({ dynamoDbPort: twin.dynamoDbPort })).rejects.toThrow(
      new TwinStartError(`DynamoDB port ${twin.dynamoDbPort} is already in use`),
    );
  });
});
