/**
 * Load on the twin: several emitters at once, hundreds of printers,
 * tens of thousands of readings with seq. The final state equals the
 * independent model's; nothing is lost or doubled; memory stays bounded.
 * `npm run soak` runs the same test ten times bigger (SOAK=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay, type ReplaySummary } from '../../emitter/replay.ts';
import { PREDICTION_TOPIC } from '../../contract/index.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { allItems } from '../support/twin.ts';
import { countsOf, makeFleet, partitionByPrinter, sampleRss } from '../support/fleet.ts';

const SOAK = process.env['SOAK'] === '1';
const CLIENTS = SOAK ? 8 : 4;
const PRINTERS = SOAK ? 5_000 : 500;
const READINGS = SOAK ? 200_000 : 20_000;
/** Longest the twin may take to process everything (about 500 readings/s on 2 cores). */
const PROCESSING_TIMEOUT_MS = SOAK ? 1_800_000 : 240_000;
/** Peak resident memory allowed for the whole process (test, twin, workers, emitters). */
const RSS_LIMIT_MIB = SOAK ? 2_048 : 1_024;

const fleet = makeFleet(PRINTERS, READINGS, 7);
let twin: Twin;
let events: TopicSubscription;

beforeAll(async () => {
  twin = await startTwin({ profiles: fleet.profiles, logFile: false });
  events = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
});
afterAll(async () => {
  await events?.close();
  await twin?.close();
});

describe(`load on the twin: ${CLIENTS} emitters, ${PRINTERS} printers, ${READINGS} readings with seq`, () => {
  let summaries: ReplaySummary[];
  let peakRssMib: number;

  it(
    'takes every reading from every client, acknowledged',
    async () => {
      const rss = sampleRss();
      const groups = partitionByPrinter(fleet.readings, CLIENTS);
      summaries = await Promise.all(groups.map((group, i) => replay(group, { endpoint: twin.mqttUrl, qos: 1, clientId: `load-${i}` })));
      await twin.waitUntilProcessed(READINGS, { timeoutMs: PROCESSING_TIMEOUT_MS });
      await events.waitFor(fleet.expected.events.length, 30_000);
      peakRssMib = rss.stop();
      const seconds = Math.max(...summaries.map((s) => s.seconds));
      console.info(`load: ${READINGS} readings in ${seconds.toFixed(1)} s from ${CLIENTS} clients; peak RSS ${peakRssMib} MiB`);
      expect(summaries.map((s) => s.acked)).toEqual(groups.map((g) => g.length));
      expect(summaries.every((s) => s.failed === 0)).toBe(true);
    },
    PROCESSING_TIMEOUT_MS + 60_000,
  );

  it('ends in the state the independent model computes: nothing lost, nothing doubled', async () => {
    const stored = countsOf(await allItems(twin.dynamoDb, twin.tableName));
    expect(Object.keys(stored)).toHaveLength(PRINTERS);
    expect(stored).toEqual(fleet.expected.printers);
    const stats = twin.stats();
    expect(stats.processed).toBe(READINGS);
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(0);
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
});
