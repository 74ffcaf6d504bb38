/**
 * The guarantees of single readings, batches and stream ingest, for every
 * detection mode at once: a mixed fleet (`test/support/mode-fleet.ts`) of
 * consecutive, m-of-n, duration, adaptive and multi-metric printers, original
 * profiles inheriting from the fleet defaults and printers those defaults
 * enrol, on the embedded DynamoDB. Whatever the delivery (in order,
 * duplicated, redelivered, with DynamoDB or publish failures retried), the
 * final counts are the independent model's and every event it counts is
 * published with the model's content.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { coin, driveStream, dynamoDbFaults, eachPrinterInOrder, invokeWithRetries, serviceError } from '../support/mode-delivery.ts';
import {
  batchesOf,
  byPrinter,
  eventKey,
  eventsPerKind,
  expectFor,
  MODE_KINDS,
  type ModeExpectation,
  type ModeKind,
  makeModeFleet,
  printerCounts,
} from '../support/mode-fleet.ts';

/** The function's clock: readings carry their own timestamps, so arrival only stamps what was written. */
const NOW = new Date('2026-11-21T10:00:00.000Z');

const fleet = makeModeFleet({ perKind: 2, readingsPerPrinter: 24, seed: 17 });

let h: DetectorHarness;
beforeEach(async () => {
  h = await startDetectorHarness({ processor: { now: () => NOW } });
  await seedProfiles(h.admin, h.tableName, fleet.seed);
});
afterEach(async () => {
  await h.close();
});

/** The stored state against the model: counts of every printer, nothing left pending, the defaults untouched. */
async function expectModelState(expected: ModeExpectation) {
  const items = await h.allItems();
  expect(printerCounts(items)).toEqual(expected.printers);
  expect(items.filter((item) => item['PendingEvents'] !== undefined).map((item) => item['PrinterId'])).toEqual([]);
  const defaults = items.find((item) => item['PrinterId'] === '*');
  expect(defaults).toMatchObject({ OutOfBoundsCount: 0, EventCount: 0 });
  expect(defaults?.['LastSeq']).toBeUndefined();
}

/** Every published event is one the model counts, with its content; `exactlyOnce`: each is published once. */
function expectPublished(expected: ModeExpectation, options: { exactlyOnce: boolean }) {
  const keys = h.published.map(eventKey);
  if (options.exactlyOnce) expect([...keys].sort()).toEqual(expected.events.map(eventKey).sort());
  else expect([...new Set(keys)].sort()).toEqual(expected.events.map(eventKey).sort());
  const byKey = new Map(expected.events.map((e) => [eventKey(e), e]));
  for (const event of h.published) expect(event).toMatchObject(byKey.get(eventKey(event))!);
}

describe('the mixed fleet, every mode', () => {
  it('has printers of every kind, and anomaly events in each', () => {
    expect(new Set(fleet.kinds.values())).toEqual(new Set(MODE_KINDS));
    const perKind = eventsPerKind(fleet, fleet.expected.events);
    for (const kind of MODE_KINDS) expect(perKind[kind], kind).toBeGreaterThan(0);
  });

  it("single readings, each printer's in order and printers at once: the model's counts, each event published once with its content", async () => {
    const outcomes = new Map<string, number>();
    await eachPrinterInOrder(fleet.readings, async (r) => {
      const { outcome } = await h.invoke(r);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
    await expectModelState(fleet.expected);
    expectPublished(fleet.expected, { exactlyOnce: true });
    // The enrolled printers were created by their first valid reading; readings without a monitored metric were refused.
    const enrolled = [...fleet.kinds].filter(([, kind]) => kind === 'enrolled').map(([id]) => id);
    expect(Object.keys(fleet.expected.printers).filter((id) => enrolled.includes(id))).toEqual(expect.arrayContaining(enrolled));
    expect(enrolled.length).toBeGreaterThan(0);
    expect(outcomes.get('invalid')).toBeGreaterThan(0);
    expect(outcomes.get('unknown-printer')).toBeUndefined();
  });

  it('every reading sent twice at once by the device, and invocations redelivered by Lambda after they succeeded: nothing counts twice', async () => {
    let duplicates = 0;
    let redelivered = 0;
    await eachPrinterInOrder(fleet.readings, async (r) => {
      const first = randomUUID();
      const [a, b] = await Promise.all([h.invoke(r, first), h.invoke(r)]);
      if (a.outcome === 'duplicate' || b.outcome === 'duplicate') duplicates += 1;
      // Every invocation that counted an event, and every third one besides, comes again with its request id.
      if (a.outcome !== 'event' && r.seq % 3 !== 0) return;
      const again = await h.invoke(r, first);
      expect(['redelivered', 'duplicate', 'invalid']).toContain(again.outcome);
      if (again.outcome === 'redelivered') redelivered += 1;
    });
    expect(redelivered).toBeGreaterThan(0);
    await expectModelState(fleet.expected);
    // A redelivery republishes what its write counted (at least once); a device's duplicate publishes nothing.
    expectPublished(fleet.expected, { exactlyOnce: false });
    expect(duplicates).toBeGreaterThan(fleet.readings.length / 2);
  });

  it('DynamoDB requests fail at random (throttled, or the response lost after the write) and Lambda retries each failed invocation', async () => {
    const faults = dynamoDbFaults(17, 0.15);
    h.setFault(faults.fault);
    let retried = 0;
    await eachPrinterInOrder(fleet.readings, async (r) => {
      const { failures } = await invokeWithRetries(h, r);
      retried += failures;
    });
    h.setFault(undefined);
    expect(faults.injected.before).toBeGreaterThan(20);
    expect(faults.injected.after).toBeGreaterThan(20);
    expect(retried).toBe(faults.injected.before + faults.injected.after);
    await expectModelState(fleet.expected);
    expectPublished(fleet.expected, { exactlyOnce: false });
  });

  it('publishes fail at random: each counted event stays pending until a retry or a later reading publishes it', async () => {
    const fails = coin(23, 0.3);
    let failedPublishes = 0;
    h.setPublishFault(() => {
      if (!fails()) return undefined;
      failedPublishes += 1;
      return serviceError('ServiceUnavailableException');
    });
    await eachPrinterInOrder(fleet.readings, async (r) => {
      await invokeWithRetries(h, r);
    });
    h.setPublishFault(undefined);
    expect(failedPublishes).toBeGreaterThan(10);
    await expectModelState(fleet.expected);
    expectPublished(fleet.expected, { exactlyOnce: false });
  });
});

describe('one printer of each kind, an event at a time', () => {
  /** A printer of `kind`, its readings, and the place of its first event-completing reading. */
  function firstEvent(kind: ModeKind) {
    for (const [id, readings] of byPrinter(fleet.readings)) {
      if (fleet.kinds.get(id) !== kind) continue;
      const events = expectFor(fleet, readings).events;
      if (events.length === 0) continue;
      const at = readings.findIndex((_, i) => expectFor(fleet, readings.slice(0, i + 1)).events.length === 1);
      return { id, readings, at };
    }
    throw new Error(`no ${kind} printer has an event`);
  }

  async function counts(id: string) {
    const item = await h.item(id);
    return { outOfBoundsCount: item?.['OutOfBoundsCount'], eventCount: item?.['EventCount'] };
  }

  it.each(MODE_KINDS)(
    '%s: the write that counts an event loses its response; the retry (same request id) publishes it, counted once',
    async (kind) => {
      const { id, readings, at } = firstEvent(kind);
      for (const r of readings.slice(0, at)) await h.invoke(r);
      let lost = 1;
      h.setFault((command, phase) =>
        command === 'UpdateItemCommand' && phase === 'after' && lost-- > 0 ? serviceError('TimeoutError') : undefined,
      );
      await expect(h.invoke(readings[at], 'req-lost')).rejects.toMatchObject({ name: 'ProfileStoreError' });
      const model = expectFor(fleet, readings.slice(0, at + 1));
      expect(await counts(id)).toEqual(model.printers[id]);
      expect(h.published).toEqual([]);
      await expect(h.invoke(readings[at], 'req-lost')).resolves.toMatchObject({ outcome: 'redelivered', published: 1 });
      expect(await counts(id)).toEqual(model.printers[id]);
      expect(h.published.map(eventKey)).toEqual([`${id}#1`]);
      expect(h.published[0]).toMatchObject(model.events[0]!);
    },
  );

  it.each(MODE_KINDS)(
    '%s, without seq: the event-counting write loses its response, the next reading lands, then the retry comes: redelivered, counted once, its event published',
    async (kind) => {
      const { id, readings: withSeq, at } = firstEvent(kind);
      const readings = withSeq.map(({ seq: _seq, ...reading }) => reading);
      for (const r of readings.slice(0, at)) await h.invoke(r);
      let lost = 1;
      h.setFault((command, phase) =>
        command === 'UpdateItemCommand' && phase === 'after' && lost-- > 0 ? serviceError('TimeoutError') : undefined,
      );
      await expect(h.invoke(readings[at], 'req-lost')).rejects.toMatchObject({ name: 'ProfileStoreError' });
      // The barrier: the retry comes only once the next reading of the same printer has been applied.
      await h.invoke(readings[at + 1], 'req-next');
      await expect(h.invoke(readings[at], 'req-lost')).resolves.toMatchObject({ outcome: 'redelivered', published: 1 });
      const model = expectFor(fleet, readings.slice(0, at + 2));
      expect(await counts(id)).toEqual(model.printers[id]);
      expect(h.published.map(eventKey).sort()).toEqual(model.events.map(eventKey).sort());
    },
  );

  it.each(MODE_KINDS)('%s: a publish failure keeps the counted event pending; the next reading publishes it', async (kind) => {
    const { id, readings, at } = firstEvent(kind);
    for (const r of readings.slice(0, at)) await h.invoke(r);
    h.setPublishFault(() => serviceError('ServiceUnavailableException'));
    await expect(h.invoke(readings[at])).rejects.toMatchObject({ name: 'DeliveryError' });
    const model = expectFor(fleet, readings.slice(0, at + 1));
    expect(await counts(id)).toEqual(model.printers[id]);
    expect((await h.item(id))?.['PendingEvents']).toBeInstanceOf(Set);
    h.setPublishFault(undefined);
    // A different reading, not a retry.
    await h.invoke(readings[at + 1]);
    expect(h.published.map(eventKey)).toEqual([`${id}#1`]);
    expect(h.published[0]).toMatchObject(model.events[0]!);
    expect((await h.item(id))?.['PendingEvents']).toBeUndefined();
    expect(await counts(id)).toEqual(expectFor(fleet, readings.slice(0, at + 2)).printers[id]);
  });
});

describe('batches and stream ingest, every mode', () => {
  it('batches of up to 10, each sent twice at once, with DynamoDB and publish failures retried: the model, nothing doubled', async () => {
    const faults = dynamoDbFaults(29, 0.1);
    const fails = coin(31, 0.2);
    h.setFault(faults.fault);
    h.setPublishFault(() => (fails() ? serviceError('ServiceUnavailableException') : undefined));
    const batches = batchesOf(fleet.readings, 10);
    await eachPrinterInOrder(batches, async (batch) => {
      await Promise.all([invokeWithRetries(h, batch), invokeWithRetries(h, batch)]);
    });
    h.setFault(undefined);
    h.setPublishFault(undefined);
    expect(faults.injected.before + faults.injected.after).toBeGreaterThan(10);
    await expectModelState(fleet.expected);
    expectPublished(fleet.expected, { exactlyOnce: false });
  });

  it('stream ingest, batches delivered again and retried after partial failures (DynamoDB and publish): the model, nothing doubled', async () => {
    const faults = dynamoDbFaults(37, 0.06);
    const fails = coin(41, 0.1);
    h.setFault(faults.fault);
    h.setPublishFault(() => (fails() ? serviceError('ServiceUnavailableException') : undefined));
    // Single readings and batches of 4 on one shard, in the fleet's order.
    const messages = [...fleet.readings.slice(0, 200), ...batchesOf(fleet.readings.slice(200), 4)];
    const order = new Map(fleet.readings.map((r, i) => [`${r.PrinterId}#${r.seq}`, i]));
    const first = (m: (typeof messages)[number]) =>
      'readings' in m ? order.get(`${m.PrinterId}#${m.readings[0]!.seq}`)! : order.get(`${m.PrinterId}#${m.seq}`)!;
    messages.sort((a, b) => first(a) - first(b));
    const run = await driveStream(h, messages, { batchSize: 40, again: coin(43, 0.3) });
    h.setFault(undefined);
    h.setPublishFault(undefined);
    expect(run.partialFailures).toBeGreaterThan(0);
    expect(run.redeliveries).toBeGreaterThan(0);
    await expectModelState(fleet.expected);
    expectPublished(fleet.expected, { exactlyOnce: false });
  });
});
