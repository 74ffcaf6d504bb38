/**
 * The twin in stream mode (`ingest: 'stream'`), end to end on real servers:
 * readings over MQTT, the rule's PutRecord onto the embedded Kinesis, a
 * poller per shard, the stream function's bundle, the table. The final state
 * equals the independent model's, each event is published once, and a
 * printer's records are handled in order, also when a printer's writes fail
 * (partial batch failures) and when a poison record fails whole invocations
 * (bisection, retries, the on-failure destination). The AWS CLI reaches the
 * stream, and a state folder keeps the stream and where the poller is.
 */
import { execFile } from 'node:child_process';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ENV, LOCAL_STREAM_NAME, PREDICTION_TOPIC, type ReadingPayload } from '../../contract/index.ts';
import { batchReadings } from '../../emitter/batch.ts';
import { replay } from '../../emitter/replay.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import { type DeadLetterRecord, type HandledMessage, startTwin, type Twin, type TwinOptions } from '../../twin/twin.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { countsOf, type Fleet, makeFleet, partitionByPrinter } from '../support/fleet.ts';
import { allItems } from '../support/twin.ts';
import { KinesisClient } from '../../twin/kinesis-client.ts';

const run = promisify(execFile);
/** What the `aws kinesis` commands used here print. */
interface CliAnswer {
  readonly StreamDescription?: { readonly StreamName: string; readonly StreamStatus: string; readonly Shards: readonly object[] };
  readonly ShardId?: string;
  readonly ShardIterator?: string;
  readonly Records?: readonly { readonly Data: string }[];
}

/** `aws --version`, or undefined without the AWS CLI on the PATH. */
const AWS_CLI = await run('aws', ['--version']).then(
  ({ stdout, stderr }) => `${stdout}${stderr}`,
  () => undefined,
);
const dir = mkdtempSync(join(tmpdir(), 'twin-stream-'));
let twin: Twin | undefined;
let subscriber: TopicSubscription | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await subscriber?.close();
  await twin?.close();
  await proxy?.close();
  twin = undefined;
  subscriber = undefined;
  proxy = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startStreamTwin(options: TwinOptions): Promise<{ twin: Twin; handled: HandledMessage[] }> {
  twin = await startTwin({ logFile: false, ingest: 'stream', ...options });
  const handled: HandledMessage[] = [];
  twin.events.on('handled', (message) => handled.push(message));
  subscriber = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
  return { twin, handled };
}

/** Replays messages from 3 clients at once, each printer's on one client, in order; every one acknowledged. */
async function publish(t: Twin, messages: readonly { PrinterId: string }[]): Promise<void> {
  const groups = partitionByPrinter(messages, 3);
  const summaries = await Promise.all(groups.map((group, i) => replay(group, { endpoint: t.mqttUrl, qos: 1, clientId: `stream-${i}` })));
  expect(summaries.map((s) => s.acked)).toEqual(groups.map((g) => g.length));
}

/** Each printer sends its own readings, as its own thing (client id = PrinterId), all at once; every one acknowledged. */
async function publishAsPrinters(t: Twin, readings: readonly ReadingPayload[]): Promise<void> {
  const byPrinter = new Map<string, ReadingPayload[]>();
  for (const r of readings) byPrinter.set(r.PrinterId, [...(byPrinter.get(r.PrinterId) ?? []), r]);
  const groups = [...byPrinter.entries()];
  const summaries = await Promise.all(groups.map(([id, list]) => replay(list, { endpoint: t.mqttUrl, qos: 1, clientId: id })));
  expect(summaries.map((s) => s.acked)).toEqual(groups.map(([, list]) => list.length));
}

/** The seq of each handled record's (first) reading, per printer, in the order the records were handled. */
function handledSeqs(handled: readonly HandledMessage[]): Record<string, number[]> {
  const seqs: Record<string, number[]> = {};
  for (const { printerId, event } of handled) {
    const message = event as { seq?: number; readings?: { seq: number }[] };
    seqs[printerId!] = [...(seqs[printerId!] ?? []), message.readings?.[0]?.seq ?? message.seq!];
  }
  return seqs;
}

const isIncreasing = (list: readonly number[]) => list.every((value, i) => i === 0 || value > list[i - 1]!);

/** Events seen on anom/pred, as `PrinterId#events` keys, sorted. */
function eventKeys(events: readonly { PrinterId: string; events: number }[]): string[] {
  return events.map((e) => `${e.PrinterId}#${e.events}`).sort();
}

/**
 * The table is the model's, and anom/pred carried the model's events: each
 * once, or (`atLeastOnce`, after redeliveries, which republish a printer's
 * latest event as `docs/design.md` "Guarantees" says) each at least once
 * and nothing else, as a consumer de-duplicating on (PrinterId, events) sees them.
 */
async function expectModel(t: Twin, fleet: Fleet, { atLeastOnce = false } = {}): Promise<void> {
  expect(countsOf(await allItems(t.dynamoDb, t.tableName))).toEqual(fleet.expected.printers);
  await subscriber!.waitFor(fleet.expected.events.length, 10_000);
  const seen = eventKeys(subscriber!.messages.map((m) => JSON.parse(m.payload) as { PrinterId: string; events: number }));
  expect(atLeastOnce ? [...new Set(seen)] : seen).toEqual(eventKeys(fleet.expected.events));
}

describe('the twin in stream mode', () => {
  it('readings and batches go through Kinesis to the stream function: the table is the model, each event once, each printer in order', async () => {
    const fleet = makeFleet(30, 1_500, 21);
    const { twin: t, handled } = await startStreamTwin({ profiles: fleet.profiles });
    expect(t).toMatchObject({ ingest: 'stream', streamName: LOCAL_STREAM_NAME, functionName: 'printer-anomaly-detector-stream-local' });
    expect(t.kinesisEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Half single readings, then the rest in batched messages of up to 10: per printer, still in seq order.
    const half = fleet.readings.length / 2;
    const messages = [...fleet.readings.slice(0, half), ...batchReadings(fleet.readings.slice(half), 10)];
    await publish(t, messages);
    await t.waitUntilProcessed(messages.length, { timeoutMs: 60_000 });

    const stats = t.stats();
    expect(stats).toMatchObject({
      received: messages.length,
      processed: messages.length,
      deadLettered: 0,
      ruleErrors: 0,
      functionErrors: 0,
    });
    expect(stats.outcomes.duplicate + stats.outcomes.late + stats.outcomes.redelivered).toBe(0);
    expect(stats.outcomes.event).toBe(fleet.expected.events.length);
    expect(stats.eventsPublished).toBe(fleet.expected.events.length);
    // Batches of records, at most one invocation per shard at a time.
    expect(stats.invocations).toBeLessThan(messages.length / 2);
    expect(stats.maxConcurrentInvocations).toBeLessThanOrEqual(2);
    await expectModel(t, fleet);
    const seqs = handledSeqs(handled);
    expect(Object.keys(seqs)).toHaveLength(30);
    for (const list of Object.values(seqs)) expect(isIncreasing(list)).toBe(true);
  });

  it('a printer whose writes fail: partial batch failures retry it from its first failed record; nothing lost, doubled or reordered', async () => {
    const fleet = makeFleet(12, 900, 22);
    const failing = fleet.profiles[0]!.PrinterId;
    let refusals = 0;
    // The function's DynamoDB answers 500 for this printer's item, 9 times (the SDK tries each request 3 times).
    proxy = await startFaultProxy(({ body }) =>
      body.includes(`"PrinterId":{"S":"${failing}"}`) && refusals++ < 9 ? { status: 500, type: 'InternalServerError' } : undefined,
    );
    const { twin: t, handled } = await startStreamTwin({
      profiles: fleet.profiles,
      environment: { [ENV.dynamoDbEndpoint]: proxy.endpoint },
    });
    proxy.target = t.dynamoDbEndpoint;
    await publish(t, fleet.readings);
    await t.waitUntilProcessed(fleet.readings.length, { timeoutMs: 60_000 });

    const stats = t.stats();
    expect(proxy.failed).toBe(9);
    // Retried from the failed record: what came after it in the batch is delivered again, and skipped by the function.
    expect(stats.retries).toBeGreaterThanOrEqual(2);
    expect(stats.outcomes.redelivered).toBeGreaterThan(0);
    expect(stats).toMatchObject({ processed: fleet.readings.length, functionErrors: 0, deadLettered: 0 });
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(0);
    await expectModel(t, fleet, { atLeastOnce: true });
    for (const list of Object.values(handledSeqs(handled))) expect(isIncreasing(list)).toBe(true);
    expect(handledSeqs(handled)[failing]).toHaveLength(fleet.readings.filter((r) => r.PrinterId === failing).length);
  });

  it('a poison record fails whole invocations: bisected until alone, retried, then dead-lettered in the on-failure shape; the rest is applied in order', async () => {
    // Device identity mode thing: a gateway's reading needs the thing registry, which fails for this one gateway.
    const fleet = makeFleet(8, 400, 23);
    const victim = fleet.profiles[2]!.PrinterId;
    proxy = await startFaultProxy(({ path }) =>
      path.startsWith('/things/PoisonGateway') ? { status: 500, type: 'InternalFailureException' } : undefined,
    );
    const deadLetterFile = join(dir, 'poison-dead-letter.jsonl');
    const { twin: t, handled } = await startStreamTwin({
      profiles: fleet.profiles,
      deviceIdentity: 'thing',
      environment: { [ENV.iotEndpoint]: proxy.endpoint },
      streamBatchSize: 16,
      streamRetryAttempts: 5,
      deadLetterFile,
    });
    proxy.target = t.iotDataEndpoint;
    // Every printer sends as itself; the poison comes from the gateway between the victim's first and second halves.
    const half = fleet.readings.length / 2;
    await publishAsPrinters(t, fleet.readings.slice(0, half));
    const poison = { PrinterId: victim, data: { value: 99 }, seq: 1_000_000 };
    expect((await replay([poison], { endpoint: t.mqttUrl, qos: 1, clientId: 'PoisonGateway' })).acked).toBe(1);
    await publishAsPrinters(t, fleet.readings.slice(half));
    const total = fleet.readings.length + 1;
    await t.waitUntilProcessed(total, { timeoutMs: 60_000 });

    const stats = t.stats();
    expect(stats).toMatchObject({ received: total, processed: fleet.readings.length, deadLettered: 1 });
    expect(stats.functionErrors).toBeGreaterThanOrEqual(6);
    const [record] = t.deadLetters();
    expect(t.deadLetters()).toHaveLength(1);
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      KinesisBatchInfo: { batchSize: 1, streamArn: expect.stringMatching(/:stream\/PrinterReadings$/) },
    });
    // As Lambda sends it: the batch's place in the stream, not its records; they are read back from the stream.
    expect(record).not.toHaveProperty('requestPayload');
    const info = record!.KinesisBatchInfo!;
    expect(info.startSequenceNumber).toBe(info.endSequenceNumber);
    const kinesis = new KinesisClient(t.kinesisEndpoint!);
    const iterator = await kinesis.getShardIterator(LOCAL_STREAM_NAME, info.shardId, 'AT_SEQUENCE_NUMBER', info.startSequenceNumber);
    const {
      Records: [poisonRecord],
    } = await kinesis.getRecords(iterator, 1);
    kinesis.destroy();
    expect(poisonRecord!.PartitionKey).toBe(victim);
    expect(JSON.parse(Buffer.from(poisonRecord!.Data, 'base64').toString())).toEqual({
      ...poison,
      senderClientId: 'PoisonGateway',
    });
    expect(
      readFileSync(deadLetterFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([record]);

    // The victim's own readings, before and after the poison, all applied in order: the model of the fleet without the poison.
    await expectModel(t, fleet);
    const victimSeqs = handledSeqs(handled.filter((h) => h.status === 'processed'))[victim]!;
    expect(victimSeqs).toEqual(fleet.readings.filter((r) => r.PrinterId === victim).map((r) => r.seq));
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(0);
  });

  it('serves the AWS CLI: describe-stream, put-record (processed as a rule-written record), get-records', async () => {
    // The AWS CLI comes with this machine's Python, as cfn-lint does (`docs/guarantees.md`, "Running the tests").
    expect(AWS_CLI, 'the AWS CLI (aws) must be on the PATH').toBeDefined();
    const { twin: t, handled } = await startStreamTwin({
      profiles: [{ PrinterId: 'Printer9', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }],
    });
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_PAGER: '' };
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
    Object.assign(env, { AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials') });
    const aws = async (...args: string[]) => {
      const { stdout } = await run(
        'aws',
        ['kinesis', ...args, '--endpoint-url', t.kinesisEndpoint!, '--region', 'us-east-1', '--output', 'json'],
        { env },
      );
      return JSON.parse(stdout) as CliAnswer;
    };
    const { StreamDescription } = await aws('describe-stream', '--stream-name', LOCAL_STREAM_NAME);
    expect(StreamDescription).toMatchObject({ StreamName: LOCAL_STREAM_NAME, StreamStatus: 'ACTIVE' });
    expect(StreamDescription?.Shards).toHaveLength(2);

    const payload = JSON.stringify({ PrinterId: 'Printer9', data: { value: 95 }, seq: 1 });
    // AWS CLI v2 reads blobs as base64 unless told otherwise; v1 takes the text as it is.
    const binary = AWS_CLI?.startsWith('aws-cli/2') ? ['--cli-binary-format', 'raw-in-base64-out'] : [];
    // A record others put is not one the twin received: it is counted when the poller takes it.
    const taken = new Promise((resolve) => t.events.once('handled', resolve));
    const put = await aws('put-record', '--stream-name', LOCAL_STREAM_NAME, '--partition-key', 'Printer9', '--data', payload, ...binary);
    await taken;
    await subscriber!.waitFor(1, 10_000);
    expect(handled).toEqual([expect.objectContaining({ printerId: 'Printer9', status: 'processed', event: JSON.parse(payload) })]);
    expect(countsOf(await allItems(t.dynamoDb, t.tableName))).toEqual({ Printer9: { outOfBoundsCount: 0, eventCount: 1 } });

    const { ShardIterator } = await aws(
      'get-shard-iterator',
      '--stream-name',
      LOCAL_STREAM_NAME,
      '--shard-id',
      put.ShardId!,
      '--shard-iterator-type',
      'TRIM_HORIZON',
    );
    const { Records } = await aws('get-records', '--shard-iterator', ShardIterator!);
    expect(Records?.map((r) => Buffer.from(r.Data, 'base64').toString())).toEqual([payload]);
  });

  it("a state folder keeps the stream and each shard's checkpoint: a restart takes up after the last record done", async () => {
    const stateDir = join(dir, 'state');
    const fleet = makeFleet(6, 300, 24);
    const half = fleet.readings.length / 2;
    const first = await startStreamTwin({ profiles: fleet.profiles, stateDir });
    await publish(first.twin, fleet.readings.slice(0, half));
    await first.twin.waitUntilProcessed(half, { timeoutMs: 30_000 });
    await subscriber!.close();
    await first.twin.close();
    expect(existsSync(join(stateDir, 'stream-checkpoints.json'))).toBe(true);

    const second = await startStreamTwin({ stateDir });
    await publish(second.twin, fleet.readings.slice(half));
    await second.twin.waitUntilProcessed(half, { timeoutMs: 30_000 });
    // Only the new records: none of the first run's is delivered again.
    expect(second.twin.stats()).toMatchObject({ received: half, processed: half, deadLettered: 0 });
    expect(second.twin.stats().outcomes.redelivered).toBe(0);
    expect(countsOf(await allItems(second.twin.dynamoDb, second.twin.tableName))).toEqual(fleet.expected.printers);
  });

  it('closed while records wait in its in-memory stream: the drain dead-letters them as TwinClosed, none dropped', async () => {
    // The function's DynamoDB never answers: its invocations hang until the twin closes.
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const deadLettered: DeadLetterRecord[] = [];
      const { twin: t } = await startStreamTwin({
        profiles: [{ PrinterId: 'P1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }],
        environment: { [ENV.dynamoDbEndpoint]: `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}` },
        functionTimeoutMs: 60_000,
      });
      t.events.on('dead-letter', (record) => deadLettered.push(record));
      const invoked = new Promise((resolve) => t.events.once('invoking', resolve));
      await publish(
        t,
        [1, 2, 3, 4, 5].map((seq) => ({ PrinterId: 'P1', data: { value: 90 + seq }, seq })),
      );
      await invoked;
      await subscriber?.close();
      subscriber = undefined;
      await t.close({ drainTimeoutMs: 100 });

      expect(t.stats()).toMatchObject({ received: 5, done: 5, processed: 0, deadLettered: 5 });
      expect(deadLettered.every((record) => record.requestContext.condition === 'TwinClosed')).toBe(true);
      const records = deadLettered.flatMap((record) => (record.requestPayload as { Records: { kinesis: { data: string } }[] }).Records);
      const seqs = records.map((record) => (JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString()) as { seq: number }).seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });
});
