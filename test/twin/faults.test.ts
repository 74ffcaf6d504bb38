/**
 * Faults on the twin (`docs/guarantees.md`, G14 and G15): the DynamoDB API goes away and comes back in
 * the middle of a replay (readings one per message, in batched messages of
 * 10, and through the Kinesis stream), and the broker connection drops in
 * the middle of a replay. Readings are retried or resent; the final state
 * equals the independent model's: none lost, none doubled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { batchReadings } from '../../emitter/batch.ts';
import { replay } from '../../emitter/replay.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import type { IngestMode } from '../../contract/index.ts';
import { allItems } from '../support/twin.ts';
import { countsOf, makeFleet } from '../support/fleet.ts';
import { startOutageProxy, type OutageProxy } from '../support/outage-proxy.ts';
import { soakCases } from '../support/soak.ts';
import { dynamoDbOutage, startTwinBehindProxy } from '../support/twin-faults.ts';

let twin: Twin | undefined;
let proxy: OutageProxy | undefined;
afterEach(async () => {
  await twin?.close();
  await proxy?.close();
  twin = undefined;
  proxy = undefined;
});

async function storedCounts(t: Twin) {
  return countsOf(await allItems(t.dynamoDb, t.tableName));
}

describe('faults on the twin', () => {
  // One reading per message in `npm test`; batches and the stream as well under `npm run soak` (modes.test.ts has the stream's in `npm test`).
  it.each(
    soakCases<[IngestMode, number]>([
      ['direct', 1],
      ['direct', 10],
      ['stream', 10],
    ]),
  )(
    'DynamoDB stops and comes back mid-replay (%s ingest, up to %i readings per message): readings are retried, none lost or doubled',
    async (ingest, batch) => {
      const fleet = makeFleet(40, 3_000, 11);
      const messages = batch === 1 ? fleet.readings : [...batchReadings(fleet.readings, batch)];
      // Stream batches small enough that the outage always finds records still to process.
      const started = await startTwinBehindProxy({ profiles: fleet.profiles, ingest, streamBatchSize: 50 });
      twin = started.twin;
      proxy = started.proxy;
      const outage = dynamoDbOutage(twin, proxy, Math.round(messages.length / 3));
      const summary = await replay(messages, { endpoint: twin.mqttUrl, qos: 1 });
      await outage;
      await twin.waitUntilProcessed(messages.length, { timeoutMs: 120_000 });

      expect(summary).toMatchObject({ acked: messages.length, readingsAcked: fleet.readings.length, failed: 0 });
      const stats = twin.stats();
      expect(proxy.dropped).toBeGreaterThan(0);
      expect(stats.retries).toBeGreaterThan(0); // the outage really failed invocations
      expect(stats.deadLettered).toBe(0);
      expect(stats.processed).toBe(messages.length);
      expect(await storedCounts(twin)).toEqual(fleet.expected.printers);
    },
  );

  it('the broker connection drops mid-replay: the emitter reconnects and resends unacknowledged publishes', async () => {
    const fleet = makeFleet(40, 3_000, 12);
    twin = await startTwin({ profiles: fleet.profiles, logFile: false });
    proxy = await startOutageProxy(twin.mqttPort);

    let cut = false;
    const summary = await replay(fleet.readings, {
      endpoint: `mqtt://127.0.0.1:${proxy.port}`,
      qos: 1,
      rate: 1_500,
      onProgress: (progress) => {
        if (!cut && progress.acked >= 1_000) {
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
    // A resent publish the broker had already taken is delivered twice: its copy is skipped by seq.
    expect(stats.processed).toBe(fleet.readings.length + stats.outcomes.duplicate);
    expect(stats.outcomes.late).toBe(0);
    expect(await storedCounts(twin)).toEqual(fleet.expected.printers);
  });
});
