/**
 * Property-based end-to-end fuzzing of the ingest path on the handler
 * against the embedded DynamoDB, direct and stream: streams of messages drawn
 * from every hostile class (`test/support/hostile-messages.ts`) for a
 * profiled printer. Whatever arrives, nothing throws (so nothing is retried
 * or dead-lettered, and no stream record fails), refused messages change
 * nothing, and the printer's counters, events and last value are exactly the
 * independent model's over the values that had to be applied.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDetectorHarness, type DetectorHarness } from '../support/detector-harness.ts';
import { hostileMessage } from '../support/hostile-messages.ts';
import { runModel } from '../support/model.ts';
import { putOriginalProfile } from '../support/profiles.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 120);

let h: DetectorHarness;
beforeAll(async () => {
  h = await startDetectorHarness();
});
afterAll(async () => {
  await h.close();
});

let printers = 0;
let sequence = 0;

describe('fuzzing the ingest path: hostile message streams, exact against the model', () => {
  it('direct and stream, as text or as the parsed event: never throws, never fails a record, state exact', async () => {
    let messages = 0;
    const run = fc
      .record({
        lower: fc.integer({ min: -10, max: 0 }),
        upper: fc.integer({ min: 0, max: 10 }),
        window: fc.integer({ min: 1, max: 4 }),
        stream: fc.boolean(),
        asObject: fc.boolean(),
        id: fc.constantFrom('F', 'F-é-💥', 'F\u202e', 'F '.repeat(40)),
      })
      .chain((setup) => {
        const id = `${setup.id}${++printers}`;
        return fc.record({ setup: fc.constant({ ...setup, id }), messages: fc.array(hostileMessage(id), { minLength: 1, maxLength: 10 }) });
      });
    await fc.assert(
      fc.asyncProperty(run, async ({ setup, messages: sent }) => {
        const { id, lower, upper, window } = setup;
        await putOriginalProfile(h.admin, h.tableName, id, lower, upper, window);
        const publishedBefore = h.published.length;
        for (const message of sent) {
          messages++;
          const payload = setup.asObject && message.kind !== 'deep whole' ? JSON.parse(message.text) : message.text;
          if (setup.stream) {
            const result = await h.invokeStream([{ sequence: String(++sequence).padStart(20, '0'), data: message.text }]);
            expect(result.batchItemFailures).toEqual([]);
          } else {
            const result = await h.invoke(payload);
            if (message.applies.length === 0 && message.kind !== 'batch') expect(result.outcome).toBe('invalid');
          }
        }
        const applied = sent.flatMap((m) => m.applies);
        const model = runModel(
          { [id]: { lower, upper, window } },
          applied.map((value) => ({ printerId: id, value })),
        );
        const item = await h.item(id);
        expect({ oob: item?.['OutOfBoundsCount'], events: item?.['EventCount'] }).toEqual({
          oob: model.printers[id]!.outOfBoundsCount,
          events: model.printers[id]!.eventCount,
        });
        if (applied.length > 0) expect(Number(item?.['LastValue'])).toBe(applied.at(-1));
        else expect(item?.['LastValue']).toBeUndefined();
        const published = h.published.slice(publishedBefore).filter((e) => e.PrinterId === id);
        expect(published.map((e) => e.events)).toEqual(model.events.map((e) => e.events));
      }),
      { numRuns: RUNS },
    );
    console.log(`ingest fuzz (handler): ${RUNS} streams, ${messages} messages tried`);
    expect(h.logs.records().filter((r) => r['level'] === 'ERROR')).toEqual([]);
  });
});
