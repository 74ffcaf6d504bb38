/**
 * Hostile payloads over MQTT on a running twin (the deployable bundle), direct
 * and stream ingest: no payload a device can publish (under IoT's 128 KB)
 * takes the twin down, whatever its nesting depth or shape. A deeply nested
 * payload is invalid, never retried and never dead-lettered; the twin keeps
 * handling readings. Then streams of messages from every hostile class
 * (`test/support/hostile-messages.ts`): state exact against the model.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestMode } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { hostileMessage, nested } from '../support/hostile-messages.ts';
import { runModel } from '../support/model.ts';
import { publishRaw } from '../support/twin.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 12);
const STREAMS = Number(process.env['FUZZ_RUNS'] ?? 25);

/** Where the nesting sits: the whole payload, `data`, a metric, an extra field, or a batch element. */
const PLACES = {
  whole: (deep: string) => deep,
  data: (deep: string) => `{"PrinterId":"D1","data":${deep}}`,
  metric: (deep: string) => `{"PrinterId":"D1","data":{"value":${deep}}}`,
  extra: (deep: string) => `{"PrinterId":"D1","data":{"value":50},"x":${deep}}`,
  batch: (deep: string) => `{"PrinterId":"D1","readings":[{"data":{"value":50}},${deep}]}`,
} as const;

/** A nested payload within IoT's 128 KB: any depth up to what fits, any shape, any place. */
const deepPayload = fc
  .record({
    shape: fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
    place: fc.constantFrom(...(Object.keys(PLACES) as (keyof typeof PLACES)[])),
    depth: fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.constant(60_000), fc.integer({ min: 20_000, max: 60_000 })),
  })
  .map(({ shape, place, depth }) => {
    // Objects take 6 bytes a level: keep the payload under IoT's 128 KB.
    const fits = shape === 'array' ? depth : Math.min(depth, shape === 'object' ? 20_000 : 30_000);
    return PLACES[place](nested(fits, shape, '1'));
  });

let printers = 0;

for (const ingest of ['direct', 'stream'] as IngestMode[]) {
  describe(`deeply nested payloads over MQTT (${ingest} ingest)`, () => {
    let twin: Twin;
    beforeAll(async () => {
      twin = await startTwin({ logFile: false, ingest, sweepSeconds: 0 });
      await twin.seed([{ PrinterId: 'D1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }]);
    });
    afterAll(async () => {
      await twin?.close();
    });

    it('the named example: 60,000 nested arrays (120 KB) is refused, and the twin stays up', async () => {
      const payload = nested(60_000, 'array', '1');
      expect(Buffer.byteLength(payload)).toBeLessThan(128 * 1024);
      await publishRaw(twin.mqttUrl, [payload, '{"PrinterId":"D1","data":{"value":95}}']);
      await twin.waitUntilProcessed(2, { timeoutMs: 20_000 });
      await twin.waitForIdle({ timeoutMs: 20_000 });
      expect(twin.deadLetters()).toEqual([]);
      expect(twin.stats()).toMatchObject({ retries: 0, functionErrors: 0, deadLettered: 0 });
      expect((await twin.fleet.printer('D1'))?.state).toMatchObject({ EventCount: 1, LastValue: 95 });
    });

    it('any depth, shape and place: never dead-lettered, the twin keeps counting', async () => {
      let tried = 0;
      let events = 1;
      await fc.assert(
        fc.asyncProperty(deepPayload, async (payload) => {
          tried++;
          events++;
          await publishRaw(twin.mqttUrl, [payload, '{"PrinterId":"D1","data":{"value":95}}']);
          await twin.waitUntilProcessed(2 + 2 * tried, { timeoutMs: 20_000 });
          await twin.waitForIdle({ timeoutMs: 20_000 });
          expect(twin.deadLetters()).toEqual([]);
          expect(twin.stats()).toMatchObject({ retries: 0, functionErrors: 0, deadLettered: 0 });
          const state = (await twin.fleet.printer('D1'))?.state as { EventCount: number };
          // A nested batch element is skipped; its valid neighbour (50) is in bounds.
          expect(state.EventCount).toBe(events);
        }),
        { numRuns: RUNS },
      );
      console.log(`deeply nested payloads (${ingest}): ${tried} tried`);
    });

    it('streams of hostile messages: nothing retried or dead-lettered, state exact against the model', async () => {
      let published = 0;
      let messages = 0;
      const run = fc
        .record({ lower: fc.integer({ min: -10, max: 0 }), upper: fc.integer({ min: 0, max: 10 }), window: fc.integer({ min: 1, max: 4 }) })
        .chain((bounds) => {
          const id = `T${ingest}${++printers}`;
          return fc.record({
            id: fc.constant(id),
            bounds: fc.constant(bounds),
            sent: fc.array(hostileMessage(id), { minLength: 1, maxLength: 8 }),
          });
        });
      const before = twin.stats().received;
      await fc.assert(
        fc.asyncProperty(run, async ({ id, bounds, sent }) => {
          await twin.seed([{ PrinterId: id, Thresholds: { Lower: bounds.lower, Upper: bounds.upper }, Window: bounds.window }]);
          await publishRaw(
            twin.mqttUrl,
            sent.map((m) => m.text),
          );
          published += sent.length;
          messages += sent.length;
          await twin.waitUntilProcessed(before + published, { timeoutMs: 30_000 });
          await twin.waitForIdle({ timeoutMs: 30_000 });
          expect(twin.deadLetters()).toEqual([]);
          expect(twin.stats()).toMatchObject({ retries: 0, functionErrors: 0, deadLettered: 0 });
          const applied = sent.flatMap((m) => m.applies);
          const model = runModel(
            { [id]: bounds },
            applied.map((value) => ({ printerId: id, value })),
          );
          const state = (await twin.fleet.printer(id))?.state as Record<string, unknown>;
          expect({ oob: state['OutOfBoundsCount'] ?? 0, events: state['EventCount'] ?? 0, last: state['LastValue'] }).toEqual({
            oob: model.printers[id]!.outOfBoundsCount,
            events: model.printers[id]!.eventCount,
            last: applied.at(-1),
          });
        }),
        { numRuns: STREAMS },
      );
      console.log(`ingest fuzz (twin, ${ingest}): ${STREAMS} streams, ${messages} messages tried`);
    });
  });
}
