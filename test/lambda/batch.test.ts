/**
 * Batched readings (`docs/emitter.md`, "Batched readings") on the embedded DynamoDB: a
 * batch of one printer's readings is applied in array order exactly as if
 * published one by one, with one guarded write, and keeps every guarantee of
 * single readings (ordering, duplicates, retries, concurrency).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BATCH_READINGS } from '../../contract/index.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { runModel } from '../support/model.ts';
import { putOriginalProfile } from '../support/profiles.ts';

let h: DetectorHarness;
beforeEach(async () => {
  h = await startDetectorHarness();
  await putOriginalProfile(h.admin, h.tableName, 'Printer1', 20, 80, 3);
});
afterEach(async () => {
  await h.close();
});

type Element = { data: { value: number }; seq?: number; timestamp?: number };
const batch = (PrinterId: string, readings: unknown[]) => ({ PrinterId, readings });
const element = (value: number, extra: { seq?: number; timestamp?: number } = {}): Element => ({ data: { value }, ...extra });
const PROFILE = { Printer1: { lower: 20, upper: 80, window: 3 } };

function serviceError(name: string): Error {
  return Object.assign(new Error(name), { name, $fault: 'server', $metadata: {} });
}

async function counts(id = 'Printer1') {
  const item = await h.item(id);
  return { OutOfBoundsCount: item?.['OutOfBoundsCount'], EventCount: item?.['EventCount'] };
}

describe('a batch is applied as if its readings were published one by one', () => {
  it('matches the model for random batches, with one UpdateItem per batch once the printer is known', async () => {
    let run = 0;
    const batchesOf = fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(batchesOf, async (batches) => {
        // A printer of its own per run: the container's state cache starts cold for it.
        run += 1;
        const id = `Run${run}`;
        await putOriginalProfile(h.admin, h.tableName, id, 20, 80, 3);
        h.published.length = 0;
        h.resetRequests();
        for (const values of batches)
          await h.invoke(
            batch(
              id,
              values.map((v) => element(v)),
            ),
          );
        const model = runModel(
          { [id]: PROFILE.Printer1 },
          batches.flat().map((value) => ({ printerId: id, value })),
        );
        expect(await counts(id)).toEqual({
          OutOfBoundsCount: model.printers[id]!.outOfBoundsCount,
          EventCount: model.printers[id]!.eventCount,
        });
        expect(h.published.map((e) => e.events)).toEqual(model.events.map((e) => e.events));
        expect(h.requests.get('UpdateItemCommand')).toBe(batches.length);
        // One read of the printer (with the fleet defaults in the same request), then none.
        expect((h.requests.get('GetItemCommand') ?? 0) + (h.requests.get('BatchGetItemCommand') ?? 0)).toBe(1);
      }),
      { numRuns: 25 },
    );
  });

  it('counts several events in one batch and publishes each, in order', async () => {
    const result = await h.invoke(
      batch(
        'Printer1',
        [95, 95, 95, 95, 95, 95, 50].map((v) => element(v)),
      ),
    );
    expect(result).toMatchObject({ outcome: 'event', readings: { event: 2, 'out-of-bounds': 4, 'in-bounds': 1 }, published: 2 });
    expect(h.published.map((e) => e.events)).toEqual([1, 2]);
    expect(await counts()).toEqual({ OutOfBoundsCount: 0, EventCount: 2 });
    expect((await h.item('Printer1'))?.['PendingEvents']).toBeUndefined();
  });
});

describe('bad input in batches', () => {
  it('skips a bad element, reports it like an invalid reading, and applies the others', async () => {
    const result = await h.invoke(
      batch('Printer1', [
        element(95),
        { data: { value: 'hot' } },
        element(95),
        { PrinterId: 'Printer9', data: { value: 95 } },
        element(95),
      ]),
    );
    expect(result).toMatchObject({ outcome: 'event', readings: { invalid: 2, 'out-of-bounds': 2, event: 1 } });
    expect(await counts()).toEqual({ OutOfBoundsCount: 0, EventCount: 1 });
    const warnings = h.logs.records().filter((l) => l['message'] === 'invalid reading dropped');
    expect(warnings.map((w) => w['reason'])).toEqual([
      'readings[1]: data.value must be a number, got string',
      "readings[3] must not carry a PrinterId: the message's applies",
    ]);
    expect(h.logs.metrics().some((m) => m['InvalidReadings'] === 2 && m['Readings'] === 5)).toBe(true);
  });

  it.each([
    ['readings that is not an array', batch('Printer1', 'many' as unknown as unknown[]), 'readings must be an array, got string'],
    ['no readings', batch('Printer1', []), `readings must hold 1 to ${MAX_BATCH_READINGS} elements, got 0`],
    [
      'too many readings',
      batch(
        'Printer1',
        Array.from({ length: MAX_BATCH_READINGS + 1 }, () => element(50)),
      ),
      `readings must hold 1 to ${MAX_BATCH_READINGS} elements, got ${MAX_BATCH_READINGS + 1}`,
    ],
    [
      'over 128 KB',
      JSON.stringify(batch('Printer1', [{ data: { value: 1, pad: 'x'.repeat(132_000) } }])),
      /^payload is \d+ bytes, over the 131072-byte limit$/,
    ],
  ])('refuses a message with %s as a whole, changing nothing', async (_what, payload, reason) => {
    const before = await h.item('Printer1');
    const result = await h.invoke(payload);
    expect(result.outcome).toBe('invalid');
    expect(h.logs.records().find((l) => l['message'] === 'invalid reading dropped')?.['reason']).toMatch(reason);
    expect(await h.item('Printer1')).toEqual(before);
    expect(h.requests.get('UpdateItemCommand') ?? 0).toBe(0);
  });

  it('keeps the single-reading limit of 8 KB for a message that is not a batch', async () => {
    const result = await h.invoke(JSON.stringify({ PrinterId: 'Printer1', data: { value: 1, pad: 'x'.repeat(9000) } }));
    expect(result.outcome).toBe('invalid');
    expect(h.logs.records().find((l) => l['message'] === 'invalid reading dropped')?.['reason']).toMatch(/over the 8192-byte limit/);
  });
});

describe('ordering, duplicates and retries', () => {
  it('skips seq duplicates within a batch and across batches; a resent batch counts nothing', async () => {
    const first = batch('Printer1', [element(95, { seq: 1 }), element(95, { seq: 2 }), element(95, { seq: 2 }), element(95, { seq: 3 })]);
    expect(await h.invoke(first)).toMatchObject({ readings: { 'out-of-bounds': 2, event: 1, duplicate: 1 } });
    const after = await h.item('Printer1');
    expect(await h.invoke(first)).toMatchObject({ outcome: 'duplicate', readings: { duplicate: 1, late: 3 } });
    expect(await h.item('Printer1')).toEqual(after);
    expect(h.published.map((e) => e.events)).toEqual([1]);
  });

  it('counts each batch once when two batches of one printer are in flight at once (no lost update)', async () => {
    const a = batch(
      'Printer1',
      [95, 95, 95, 95].map((v) => element(v)),
    );
    const b = batch(
      'Printer1',
      [95, 95, 50, 95, 95].map((v) => element(v)),
    );
    await Promise.all([h.invoke(a), h.invoke(b)]);
    const values = (x: typeof a) => (x.readings as Element[]).map((r) => ({ printerId: 'Printer1', value: r.data.value }));
    const orders = [runModel(PROFILE, [...values(a), ...values(b)]), runModel(PROFILE, [...values(b), ...values(a)])];
    const final = await counts();
    expect(
      orders.map((m) => ({ OutOfBoundsCount: m.printers['Printer1']!.outOfBoundsCount, EventCount: m.printers['Printer1']!.eventCount })),
    ).toContainEqual(final);
    expect(new Set(h.published.map((e) => e.events)).size).toBe(h.published.length);
  });

  it("recognises a retry whose write went through but whose response was lost, and republishes that write's events", async () => {
    let lost = 1;
    h.setFault((command, phase) =>
      command === 'UpdateItemCommand' && phase === 'after' && lost-- > 0 ? serviceError('TimeoutError') : undefined,
    );
    const message = batch(
      'Printer1',
      [95, 95, 95, 95, 95, 95].map((v) => element(v)),
    );
    await expect(h.invoke(message, 'req-batch')).rejects.toThrow();
    expect(h.published).toEqual([]);
    await expect(h.invoke(message, 'req-batch')).resolves.toMatchObject({
      outcome: 'redelivered',
      readings: { redelivered: 6 },
      published: 2,
    });
    expect(await counts()).toEqual({ OutOfBoundsCount: 0, EventCount: 2 });
    expect(h.published.map((e) => e.events)).toEqual([1, 2]);
  });

  it('keeps the events of a batch whose publish failed, fails the invocation, and its retry publishes them once', async () => {
    h.setPublishFault(() => serviceError('ServiceUnavailableException'));
    const message = batch(
      'Printer1',
      [95, 95, 95, 95, 95, 95].map((v) => element(v)),
    );
    await expect(h.invoke(message, 'req-pub')).rejects.toMatchObject({ name: 'DeliveryError' });
    expect(await counts()).toEqual({ OutOfBoundsCount: 0, EventCount: 2 });
    expect((await h.item('Printer1'))?.['PendingEvents']).toBeInstanceOf(Set);
    h.setPublishFault(undefined);
    await expect(h.invoke(message, 'req-pub')).resolves.toMatchObject({ outcome: 'redelivered', published: 2 });
    expect(await counts()).toEqual({ OutOfBoundsCount: 0, EventCount: 2 });
    expect(h.published.map((e) => e.events)).toEqual([1, 2]);
    expect((await h.item('Printer1'))?.['PendingEvents']).toBeUndefined();
  });

  it('a later batch without events does not let a retry of it republish older events', async () => {
    await h.invoke(
      batch(
        'Printer1',
        [95, 95, 95].map((v) => element(v)),
      ),
      'req-1',
    );
    await h.invoke(
      batch(
        'Printer1',
        [50].map((v) => element(v)),
      ),
      'req-2',
    );
    h.published.length = 0;
    await expect(
      h.invoke(
        batch(
          'Printer1',
          [50].map((v) => element(v)),
        ),
        'req-2',
      ),
    ).resolves.toMatchObject({ outcome: 'redelivered', published: 0 });
    expect(h.published).toEqual([]);
  });

  it('creates nothing for a printer without a profile, and counts every reading of the batch as unknown', async () => {
    const result = await h.invoke(batch('Nobody', [element(95), element(95)]));
    expect(result).toMatchObject({ outcome: 'unknown-printer', readings: { 'unknown-printer': 2 } });
    expect(await h.item('Nobody')).toBeUndefined();
  });
});
