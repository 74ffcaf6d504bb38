/**
 * The twin's load and fault scenarios with a fleet in every detection mode
 * (`test/support/mode-fleet.ts`): consecutive, m-of-n, duration, adaptive and
 * multi-metric printers, original profiles inheriting from the fleet
 * defaults, and printers the defaults enrol. Readings with seq are sent one
 * per message, in batched messages of 10, and through the Kinesis stream;
 * DynamoDB goes away and comes back mid-replay; the broker connection drops
 * and the emitter resends. The final state is the independent model's, and
 * every event it counts arrives on `anom/pred` with the model's content.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type IngestMode, PREDICTION_TOPIC, type ReadingPayload } from '../../contract/index.ts';
import { batchReadings } from '../../emitter/batch.ts';
import { replay } from '../../emitter/replay.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { partitionByPrinter } from '../support/fleet.ts';
import { eventKey, eventsPerKind, MODE_KINDS, type ModeExpectation, makeModeFleet, printerCounts } from '../support/mode-fleet.ts';
import { startOutageProxy, type OutageProxy } from '../support/outage-proxy.ts';
import { soakCases } from '../support/soak.ts';
import { dynamoDbOutage, startTwinBehindProxy } from '../support/twin-faults.ts';
import { allItems } from '../support/twin.ts';

const fleet = makeModeFleet({ perKind: 2, readingsPerPrinter: 16, seed: 54 });
/** The emitter's messages: one reading each, or each printer's readings in batches of `size`. */
const messagesOf = (readings: typeof fleet.readings, size: number): object[] =>
  size === 1 ? [...readings] : [...batchReadings(readings as unknown as ReadingPayload[], size)];

let twin: Twin | undefined;
let proxy: OutageProxy | undefined;
let events: TopicSubscription | undefined;
afterEach(async () => {
  await events?.close();
  await twin?.close();
  await proxy?.close();
  events = undefined;
  twin = undefined;
  proxy = undefined;
});

/** The stored counts are the model's; every event it counts arrived (`exactlyOnce`: once) with its content. */
async function expectModel(t: Twin, subscription: TopicSubscription, expected: ModeExpectation, options: { exactlyOnce: boolean }) {
  const items = await allItems(t.dynamoDb, t.tableName);
  expect(printerCounts(items)).toEqual(expected.printers);
  expect(items.filter((item) => item['PendingEvents'] !== undefined).map((item) => item['PrinterId'])).toEqual([]);
  await subscription.waitFor(expected.events.length, 30_000);
  const received = subscription.messages.map((m) => JSON.parse(m.payload) as { PrinterId: string; events: number });
  const keys = received.map(eventKey).sort();
  const wanted = expected.events.map(eventKey).sort();
  expect(options.exactlyOnce ? keys : [...new Set(keys)]).toEqual(wanted);
  const byKey = new Map(expected.events.map((e) => [eventKey(e), e]));
  for (const event of received) expect(event).toMatchObject(byKey.get(eventKey(event))!);
}

it('the fleet has printers of every kind, with anomaly events in each', () => {
  const perKind = eventsPerKind(fleet, fleet.expected.events);
  for (const kind of MODE_KINDS) expect(perKind[kind], kind).toBeGreaterThan(0);
});

describe('load on the twin, every mode', () => {
  // One reading per message and the stream in `npm test` (load.test.ts has the batches); all three under `npm run soak`.
  it.each(
    soakCases<[IngestMode, number]>(
      [
        ['direct', 1],
        ['stream', 10],
        ['direct', 10],
      ],
      2,
    ),
  )('%s ingest, up to %i readings per message, from 2 emitters: the model, each event published once', async (ingest, batch) => {
    twin = await startTwin({ profiles: fleet.seed, logFile: false, ingest, sweepSeconds: 0 });
    events = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
    // Each printer's readings on one emitter, in order.
    const groups = partitionByPrinter(fleet.readings, 2).map((group) => messagesOf(group, batch));
    const messages = groups.reduce((n, group) => n + group.length, 0);
    const summaries = await Promise.all(
      groups.map((group, i) => replay(group, { endpoint: twin!.mqttUrl, qos: 1, clientId: `modes-${i}` })),
    );
    expect(summaries.map((s) => s.acked)).toEqual(groups.map((g) => g.length));
    await twin.waitUntilProcessed(messages, { timeoutMs: 120_000 });

    await expectModel(twin, events, fleet.expected, { exactlyOnce: true });
    const stats = twin.stats();
    expect(stats.processed).toBe(messages);
    expect(stats.outcomes.duplicate + stats.outcomes.late + stats.outcomes.redelivered).toBe(0);
    expect(stats.outcomes['unknown-printer']).toBe(0);
    expect(stats.deadLettered).toBe(0);
  });
});

describe('faults on the twin, every mode', () => {
  // The stream's outage in `npm test` (faults.test.ts has one reading per message); both under `npm run soak`.
  it.each(
    soakCases<[IngestMode, number]>([
      ['stream', 10],
      ['direct', 1],
    ]),
  )(
    'DynamoDB stops and comes back mid-replay (%s ingest, up to %i readings per message): retried, none lost or doubled',
    async (ingest, batch) => {
      const messages = messagesOf(fleet.readings, batch);
      const started = await startTwinBehindProxy({ profiles: fleet.seed, ingest, sweepSeconds: 0, streamBatchSize: 10 });
      twin = started.twin;
      proxy = started.proxy;
      events = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
      const outage = dynamoDbOutage(twin, proxy, Math.round(messages.length / 3));
      const summary = await replay(messages, { endpoint: twin.mqttUrl, qos: 1 });
      await outage;
      await twin.waitUntilProcessed(messages.length, { timeoutMs: 120_000 });

      expect(summary).toMatchObject({ acked: messages.length, readingsAcked: fleet.readings.length, failed: 0 });
      const stats = twin.stats();
      expect(proxy.dropped).toBeGreaterThan(0);
      expect(stats.retries).toBeGreaterThan(0);
      expect(stats.deadLettered).toBe(0);
      // A retry of an invocation whose events went out before the outage publishes them again: at least once.
      await expectModel(twin, events, fleet.expected, { exactlyOnce: false });
    },
  );

  it('the broker connection drops mid-replay: the emitter resends, and the copies the broker had taken are skipped by seq', async () => {
    twin = await startTwin({ profiles: fleet.seed, logFile: false, sweepSeconds: 0 });
    proxy = await startOutageProxy(twin.mqttPort);
    events = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
    let cut = false;
    const summary = await replay(fleet.readings, {
      endpoint: `mqtt://127.0.0.1:${proxy.port}`,
      qos: 1,
      rate: 400,
      onProgress: (progress) => {
        if (!cut && progress.acked >= fleet.readings.length / 3) {
          cut = true;
          // The broker's next PUBACK is lost with the connection: that publish is resent whatever the machine's speed.
          void proxy!.cutOnNextReply();
        }
      },
    });
    await twin.waitForIdle({ timeoutMs: 120_000 });

    expect(cut).toBe(true);
    expect(summary).toMatchObject({ sent: fleet.readings.length, acked: fleet.readings.length, failed: 0 });
    expect(summary.resent).toBeGreaterThan(0);
    const stats = twin.stats();
    expect(stats.outcomes.duplicate).toBeGreaterThan(0);
    expect(stats.processed).toBe(fleet.readings.length + stats.outcomes.duplicate);
    expect(stats.outcomes.late).toBe(0);
    // A resent copy that reaches another container before the first one's
    // delivery is seen publishes that write's events again: at least once,
    // and no more copies than there were resent readings.
    await expectModel(twin, events, fleet.expected, { exactlyOnce: false });
    expect(events.messages.length).toBeLessThanOrEqual(fleet.expected.events.length + stats.outcomes.duplicate);
  });
});
