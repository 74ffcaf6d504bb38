/**
 * A write that goes through but whose response is lost, while other readings
 * of the same printer land before Lambda's retry (same request id): the retry
 * is recognised by the request ids the item keeps (`docs/design.md`,
 * "Guarantees"), so nothing is counted twice, whatever landed in between
 * (up to the bound), for single readings without `seq`, batches and stream
 * records. The steps are awaited one after the other: the interleaving is
 * fixed, not left to timing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECENT_REQUEST_IDS, RECENT_REQUEST_IDS } from '../../contract/index.ts';
import { requestTag } from '../../lambda/core/request-tag.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { runModel } from '../support/model.ts';
import { putOriginalProfile } from '../support/profiles.ts';

const PROFILE = { lower: 20, upper: 80, window: 3 };
let h: DetectorHarness;
let printer = 0;
beforeAll(async () => {
  h = await startDetectorHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.setFault(undefined);
});

function serviceError(name: string): Error {
  return Object.assign(new Error(name), { name, $fault: 'server', $metadata: {} });
}

/** The next UpdateItem goes through, but its response is lost. */
function loseNextResponse(): void {
  let lost = 1;
  h.setFault((command, phase) =>
    command === 'UpdateItemCommand' && phase === 'after' && lost-- > 0 ? serviceError('TimeoutError') : undefined,
  );
}

/** A fresh printer (its own item), so that each generated case starts from zero. */
async function freshPrinter(): Promise<string> {
  printer += 1;
  const id = `Lost${printer}`;
  await putOriginalProfile(h.admin, h.tableName, id, PROFILE.lower, PROFILE.upper, PROFILE.window);
  return id;
}

async function counts(id: string) {
  const item = await h.item(id);
  return { outOfBoundsCount: item?.['OutOfBoundsCount'] ?? 0, eventCount: item?.['EventCount'] ?? 0 };
}

/** A value in the band or out of it (no `seq`, no `timestamp`: nothing but the request id identifies the reading). */
const value = fc.oneof(fc.integer({ min: 20, max: 80 }), fc.integer({ min: 81, max: 120 }), fc.integer({ min: -20, max: 19 }));
/** One message's values: a single reading (one value) or a batch. */
const message = fc.oneof(
  value.map((v) => ({ kind: 'single' as const, values: [v] })),
  fc.array(value, { minLength: 1, maxLength: 5 }).map((values) => ({ kind: 'batch' as const, values })),
);
type Message = { kind: 'single' | 'batch'; values: number[] };

function payload(id: string, m: Message): unknown {
  return m.kind === 'single'
    ? { PrinterId: id, data: { value: m.values[0] } }
    : { PrinterId: id, readings: m.values.map((v) => ({ data: { value: v } })) };
}

describe('a lost response, other readings, then the retry', () => {
  it(`single readings and batches: the retry is redelivered and counts nothing again, with up to ${RECENT_REQUEST_IDS - 1} messages in between`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { maxLength: 4 }),
        message,
        fc.array(message, { minLength: 1, maxLength: RECENT_REQUEST_IDS - 1 }),
        async (before, lost, between) => {
          const id = await freshPrinter();
          for (const m of before) await h.invoke(payload(id, m));
          loseNextResponse();
          await expect(h.invoke(payload(id, lost), 'req-lost')).rejects.toMatchObject({ name: 'ProfileStoreError' });
          for (const m of between) await h.invoke(payload(id, m));
          const published = h.published.length;
          const retry = await h.invoke(payload(id, lost), 'req-lost');
          expect(retry).toMatchObject({ outcome: 'redelivered', readings: { redelivered: lost.values.length } });

          const all = [...before, lost, ...between].flatMap((m) => m.values);
          const model = runModel(
            { [id]: PROFILE },
            all.map((v) => ({ printerId: id, value: v })),
          );
          expect(await counts(id)).toEqual(model.printers[id]);
          // The retry delivers its own write's events (lost with the response), and only those: each event once.
          const eventsOf = (vs: number[]) =>
            runModel(
              { P: PROFILE },
              vs.map((v) => ({ printerId: 'P', value: v })),
            ).events.length;
          const first = eventsOf(before.flatMap((m) => m.values));
          const own = eventsOf([...before, lost].flatMap((m) => m.values));
          const again = h.published.slice(published).filter((e) => e.PrinterId === id);
          expect(again.map((e) => e.events)).toEqual(Array.from({ length: own - first }, (_, i) => first + i + 1));
          const mine = h.published.filter((e) => e.PrinterId === id).map((e) => e.events);
          expect(mine.toSorted((a, b) => a - b)).toEqual(model.events.map((e) => e.events));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a retry after a reading that only moved the count (the cheapest write) is recognised', async () => {
    const id = await freshPrinter();
    loseNextResponse();
    await expect(h.invoke({ PrinterId: id, data: { value: 95 } }, 'req-a')).rejects.toMatchObject({ name: 'ProfileStoreError' });
    await h.invoke({ PrinterId: id, data: { value: 95 } }, 'req-b');
    await expect(h.invoke({ PrinterId: id, data: { value: 95 } }, 'req-a')).resolves.toMatchObject({ outcome: 'redelivered' });
    expect(await counts(id)).toEqual({ outOfBoundsCount: 2, eventCount: 0 });
  });

  it(`keeps at most ${MAX_RECENT_REQUEST_IDS} request ids on the item, and always the latest ${RECENT_REQUEST_IDS}`, async () => {
    const id = await freshPrinter();
    const ids = Array.from({ length: 3 * MAX_RECENT_REQUEST_IDS }, (_, i) => `req-${i}`);
    for (const [i, requestId] of ids.entries()) {
      await h.invoke({ PrinterId: id, data: { value: i % 5 === 4 ? 50 : 95 } }, requestId);
      const kept = (await h.item(id))?.['RecentRequests'] as string[];
      expect(kept.length).toBeLessThanOrEqual(MAX_RECENT_REQUEST_IDS);
      const latest = ids.slice(Math.max(0, i + 1 - RECENT_REQUEST_IDS), i + 1).map(requestTag);
      expect(kept.slice(-latest.length)).toEqual(latest);
    }
  });

  it('stream records: a retried batch of records after other records landed is skipped by shard position', async () => {
    const id = await freshPrinter();
    const record = (n: number, v: number) => ({ sequence: String(49_000_000_000 + n), data: { PrinterId: id, data: { value: v } } });
    loseNextResponse();
    const first = [record(1, 95), record(2, 95)];
    await expect(h.invokeStream(first, 'req-stream')).resolves.toMatchObject({
      batchItemFailures: [{ itemIdentifier: expect.any(String) }],
    });
    await h.invokeStream([record(3, 95)], 'req-next');
    const retry = await h.invokeStream(first, 'req-stream');
    expect(retry.batchItemFailures).toEqual([]);
    expect(await counts(id)).toEqual({ outOfBoundsCount: 0, eventCount: 1 });
    expect(h.published.filter((e) => e.PrinterId === id).map((e) => e.events)).toEqual([1]);
  });
});
