/**
 * Stream ingest (`docs/deploy.md`, "Stream ingest") on the embedded DynamoDB:
 * the batch handler groups Kinesis records by printer, folds each printer's
 * readings in shard order into one guarded write, reports as failed only the
 * first record of a printer whose write failed, and recognises records Lambda
 * delivers again by the printer's recorded stream position.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { runModel } from '../support/model.ts';
import { putOriginalProfile } from '../support/profiles.ts';

let h: DetectorHarness;
beforeEach(async () => {
  h = await startDetectorHarness();
  for (const id of ['P1', 'P2', 'P3']) await putOriginalProfile(h.admin, h.tableName, id, 20, 80, 3);
});
afterEach(async () => {
  await h.close();
});

const reading = (PrinterId: string, value: number, extra: Record<string, unknown> = {}) => ({ PrinterId, data: { value }, ...extra });
/** Sequence numbers as Kinesis gives them: increasing decimal strings (here of growing length too). */
const seq = (n: number) => String(49_000_000_000 + n);
const records = (payloads: unknown[], from = 0) => payloads.map((data, i) => ({ sequence: seq(from + i), data }));

function serviceError(name: string): Error {
  return Object.assign(new Error(name), { name, $fault: 'server', $metadata: {} });
}

async function counts(id: string) {
  const item = await h.item(id);
  return { OutOfBoundsCount: item?.['OutOfBoundsCount'], EventCount: item?.['EventCount'] };
}

describe('stream ingest', () => {
  it('folds each printer into one write, in shard order, matching the model', async () => {
    const payloads = [
      reading('P1', 95),
      reading('P2', 95),
      { PrinterId: 'P1', readings: [{ data: { value: 95 } }, { data: { value: 95 } }] },
      reading('P2', 50),
      reading('P1', 95),
      reading('P3', 10),
    ];
    h.resetRequests();
    const result = await h.invokeStream(records(payloads));
    expect(result.batchItemFailures).toEqual([]);
    expect(result.printers).toBe(3);
    expect(h.requests.get('UpdateItemCommand')).toBe(3);
    const flat = [
      ['P1', 95],
      ['P2', 95],
      ['P1', 95],
      ['P1', 95],
      ['P2', 50],
      ['P1', 95],
      ['P3', 10],
    ] as const;
    const model = runModel(
      { P1: { lower: 20, upper: 80, window: 3 }, P2: { lower: 20, upper: 80, window: 3 }, P3: { lower: 20, upper: 80, window: 3 } },
      flat.map(([printerId, value]) => ({ printerId, value })),
    );
    for (const id of ['P1', 'P2', 'P3']) {
      expect(await counts(id)).toEqual({
        OutOfBoundsCount: model.printers[id]!.outOfBoundsCount,
        EventCount: model.printers[id]!.eventCount,
      });
    }
    expect(h.published.map((e) => [e.PrinterId, e.events])).toEqual(model.events.map((e) => [e.PrinterId, e.events]));
  });

  it("skips records delivered again (after a partial failure or a retry) by the printer's stream position, without seq", async () => {
    const batch = records([reading('P1', 95), reading('P1', 95), reading('P2', 95)]);
    await h.invokeStream(batch);
    const before = [await counts('P1'), await counts('P2')];
    const again = await h.invokeStream([...batch, ...records([reading('P1', 95)], 3)]);
    expect(again.batchItemFailures).toEqual([]);
    expect([await counts('P1'), await counts('P2')]).toEqual([{ OutOfBoundsCount: 0, EventCount: 1 }, before[1]]);
    expect(again.results.find((r) => r.printerId === 'P1')?.readings).toEqual({ redelivered: 2, event: 1 });
    expect(again.results.find((r) => r.printerId === 'P2')?.readings).toEqual({ redelivered: 1 });
  });

  it("reports as failed only the failed printer's first record; the retry from there counts everything once", async () => {
    const batch = records([reading('P1', 95), reading('P2', 95), reading('P1', 95), reading('P2', 95), reading('P1', 95)]);
    // P2's write fails (throttled); P1's goes through.
    let failures = 1;
    h.setFault((command) => {
      if (command !== 'UpdateItemCommand' || failures === 0) return undefined;
      const throttled = h.requests.get('UpdateItemCommand') === 2;
      if (throttled) failures -= 1;
      return throttled ? serviceError('ProvisionedThroughputExceededException') : undefined;
    });
    const first = await h.invokeStream(batch);
    const failedPrinter = first.results.length === 1 ? (first.results[0]!.printerId === 'P1' ? 'P2' : 'P1') : undefined;
    expect(failedPrinter).toBeDefined();
    const failedFirst = batch.find((r) => (r.data as { PrinterId: string }).PrinterId === failedPrinter)!.sequence;
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: failedFirst }]);
    // Lambda retries from the lowest reported record: everything after it comes again.
    await h.invokeStream(batch.filter((r) => BigInt(r.sequence) >= BigInt(failedFirst)));
    expect(await counts('P1')).toEqual({ OutOfBoundsCount: 0, EventCount: 1 });
    expect(await counts('P2')).toEqual({ OutOfBoundsCount: 2, EventCount: 0 });
    // P1's records came again after P2's: its event may be published again (at least once), never counted again.
    expect([...new Set(h.published.map((e) => `${e.PrinterId}#${e.events}`))]).toEqual(['P1#1']);
  });

  it('drops a bad record (logged and counted) without failing it, and applies the others', async () => {
    const result = await h.invokeStream(
      records(['not json', reading('P1', 95), { PrinterId: 'P1', readings: 'x' }, { PrinterId: 'P1', data: { value: 'hot' } }]),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(await counts('P1')).toEqual({ OutOfBoundsCount: 1, EventCount: 0 });
    const reasons = h.logs
      .records()
      .filter((l) => l['message'] === 'invalid reading dropped')
      .map((l) => l['reason']);
    expect(reasons).toEqual(['payload is not JSON', 'readings must be an array, got string', 'data.value must be a number, got string']);
  });

  it('keeps the events of a write whose publish failed, and a redelivery of its records republishes them', async () => {
    h.setPublishFault(() => serviceError('ServiceUnavailableException'));
    const batch = records([reading('P1', 95), reading('P1', 95), reading('P1', 95)]);
    const first = await h.invokeStream(batch);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: batch[0]!.sequence }]);
    expect(await counts('P1')).toEqual({ OutOfBoundsCount: 0, EventCount: 1 });
    h.setPublishFault(undefined);
    const again = await h.invokeStream(batch);
    expect(again.batchItemFailures).toEqual([]);
    expect(await counts('P1')).toEqual({ OutOfBoundsCount: 0, EventCount: 1 });
    expect(h.published.map((e) => e.events)).toEqual([1]);
  });
});
