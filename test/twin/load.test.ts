/**
 * Load on the twin: several emitters at once, hundreds of printers,
 * tens of thousands of readings with seq, sent one per message, in batched
 * messages of 10 (`npm run emit -- --batch 10`), and through the Kinesis
 * stream (`ingest: 'stream'`). The final state equals the independent
 * model's; nothing is lost or doubled; memory stays bounded.
 * `npm test` runs the batched messages; `npm run soak` (SOAK=1) runs every
 * way, ten times bigger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchReadings } from '../../emitter/batch.ts';
import { replay, type ReplaySummary } from '../../emitter/replay.ts';
import { PREDICTION_TOPIC } from '../../contract/index.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import type { IngestMode } from '../../contract/index.ts';
import { allItems } from '../support/twin.ts';
import { countsOf, makeFleet, partitionByPrinter, sampleRss } from '../support/fleet.ts';
import { soakCases, soakSize } from '../support/soak.ts';

const CLIENTS = soakSize(4, 8);
const PRINTERS = soakSize(500, 5_000);
const READINGS = soakSize(20_000, 200_000);
/** Longest the twin may take to process everything (about 500 readings/s on 2 cores, one per message). */
const PROCESSING_TIMEOUT_MS = soakSize(240_000, 1_800_000);
/** Peak resident memory allowed for the whole process (test, twin, workers, emitters). */
const RSS_LIMIT_MIB = soakSize(1_024, 2_048);

const fleet = makeFleet(PRINTERS, READINGS, 7);

// The readings in batched messages in `npm test` (one per message and the stream carry the every-mode fleet's load
// in modes.test.ts, smaller); all three ways here under `npm run soak`.
describe.each(
  soakCases<[IngestMode, number]>([
    ['direct', 10],
    ['direct', 1],
    ['stream', 10],
  ]),
)(
  `load on the twin (%s ingest, up to %i readings per message): ${CLIENTS} emitters, ${PRINTERS} printers, ${READINGS} readings with seq`,
  (ingest, batch) => {
    // Each printer's readings on one client, in order; with batches, each printer's messages of up to `batch` readings.
    const groups = partitionByPrinter(fleet.readings, CLIENTS).map((group) => (batch === 1 ? group : [...batchReadings(group, batch)]));
    const messages = groups.reduce((n, group) => n + group.length, 0);
    let twin: Twin;
    let events: TopicSubscription;
    let summaries: ReplaySummary[];
    let peakRssMib: number;

    beforeAll(async () => {
      twin = await startTwin({ profiles: fleet.profiles, logFile: false, ingest });
      events = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
    });
    afterAll(async () => {
      await events?.close();
      await twin?.close();
    });

    it(
      'takes every reading from every client, acknowledged',
      async () => {
        const rss = sampleRss();
        summaries = await Promise.all(groups.map((group, i) => replay(group, { endpoint: twin.mqttUrl, qos: 1, clientId: `load-${i}` })));
        await twin.waitUntilProcessed(messages, { timeoutMs: PROCESSING_TIMEOUT_MS });
        await events.waitFor(fleet.expected.events.length, 30_000);
        peakRssMib = rss.stop();
        const seconds = Math.max(...summaries.map((s) => s.seconds));
        console.info(
          `load (${ingest}, batch ${batch}): ${READINGS} readings in ${messages} messages in ${seconds.toFixed(1)} s from ${CLIENTS} clients; peak RSS ${peakRssMib} MiB`,
        );
        expect(summaries.map((s) => s.acked)).toEqual(groups.map((g) => g.length));
        expect(summaries.reduce((n, s) => n + s.readingsAcked, 0)).toBe(READINGS);
        expect(summaries.every((s) => s.failed === 0)).toBe(true);
      },
      PROCESSING_TIMEOUT_MS + 60_000,
    );

    it('ends in the state the independent model computes: nothing lost, nothing doubled', async () => {
      const stored = countsOf(await allItems(twin.dynamoDb, twin.tableName));
      expect(Object.keys(stored)).toHaveLength(PRINTERS);
      expect(stored).toEqual(fleet.expected.printers);
      const stats = twin.stats();
      expect(stats.processed).toBe(messages);
      expect(stats.outcomes.duplicate + stats.outcomes.late + stats.outcomes.redelivered).toBe(0);
      expect(stats.deadLettered).toBe(0);
    });

    it('published each anomaly event exactly once on anom/pred', () => {
      const received = events.messages.map((m) => JSON.parse(m.payload) as { PrinterId: string; events: number });
      const key = (e: { PrinterId: string; events: number }) => `${e.PrinterId}#${e.events}`;
      expect(received.map(key).sort()).toEqual(fleet.expected.events.map(key).sort());
      expect(fleet.expected.events.length).toBeGreaterThan(PRINTERS / 10);
    });

    it(`keeps memory bounded (peak RSS under ${RSS_LIMIT_MIB} MiB)`, () => {
      expect(peakRssMib).toBeLessThan(RSS_LIMIT_MIB);
    });
  },
);
