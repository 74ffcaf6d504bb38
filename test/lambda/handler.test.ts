import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putOriginalProfile } from '../support/profiles.ts';
import { startDetectorHarness, type DetectorHarness } from '../support/detector-harness.ts';
import { INVALID_PAYLOADS } from '../support/invalid-payloads.ts';
import { runModel } from '../support/model.ts';
import { soakSize } from '../support/soak.ts';

let h: DetectorHarness;
beforeEach(async () => {
  h = await startDetectorHarness();
  await putOriginalProfile(h.admin, h.tableName, 'Printer1', 20, 80, 10);
  await putOriginalProfile(h.admin, h.tableName, 'Printer2', 30, 90, 6);
});
afterEach(async () => {
  await h.close();
});

const reading = (PrinterId: string, value: number, extra: { seq?: number; timestamp?: number } = {}) => ({
  PrinterId,
  data: { value },
  ...extra,
});

/** An SDK error as the service would send it. */
function serviceError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'server', $metadata: {} });
}

describe('handler on the embedded DynamoDB, with profiles written by the original put-item commands', () => {
  it('counts windows and events exactly as the original, and publishes each event', async () => {
    const values = [85, 85, 85, 85, 85, 50, 95, 95, 95, 95, 95, 95, 10, 10, 10, 10, 10, 10, 95];
    for (const v of values) await h.invoke(reading('Printer2', v));
    const expected = runModel(
      { Printer2: { lower: 30, upper: 90, window: 6 } },
      values.map((value) => ({ printerId: 'Printer2', value })),
    );
    const item = await h.item('Printer2');
    expect(item).toMatchObject({
      OutOfBoundsCount: expected.printers['Printer2']!.outOfBoundsCount,
      EventCount: expected.printers['Printer2']!.eventCount,
      Thresholds: { Lower: 30, Upper: 90 },
      Window: 6,
    });
    expect(expected.printers['Printer2']!.eventCount).toBe(2);
    expect(h.published.map((e) => [e.PrinterId, e.events])).toEqual([
      ['Printer2', 1],
      ['Printer2', 2],
    ]);
    expect(h.published[0]).toMatchObject({ window: 6, thresholds: { Lower: 30, Upper: 90 }, value: 95 });
    expect(item?.['PendingEvents']).toBeUndefined();
  });

  it('never deletes user attributes and adds its bookkeeping', async () => {
    await h.admin.send(
      new (await import('@aws-sdk/client-dynamodb')).UpdateItemCommand({
        TableName: h.tableName,
        Key: { PrinterId: { S: 'Printer1' } },
        UpdateExpression: 'SET Site = :s',
        ExpressionAttributeValues: { ':s': { S: 'Hall B' } },
      }),
    );
    for (let i = 0; i < 10; i++) await h.invoke(reading('Printer1', 99, { seq: i + 1, timestamp: 1_763_700_000_000 + i }));
    expect(await h.item('Printer1')).toMatchObject({
      Site: 'Hall B',
      EventCount: 1,
      OutOfBoundsCount: 0,
      LastSeq: 10,
      LastValue: 99,
      LastTimestamp: 1_763_700_000_009,
      RecentRequests: expect.arrayContaining([expect.any(String)]),
      RequestEntries: expect.any(Object),
    });
  });

  it('creates no item for a printer without a profile, and logs it as unknown', async () => {
    const result = await h.invoke(reading('Ghost', 500));
    expect(result.outcome).toBe('unknown-printer');
    expect(await h.item('Ghost')).toBeUndefined();
    expect(h.logs.records().filter((r) => r['level'] === 'WARN')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('without a profile'), printerId: 'Ghost' }),
    ]);
  });

  it('takes a profile change while readings flow into account at the next reading', async () => {
    for (let i = 0; i < 5; i++) await h.invoke(reading('Printer1', 85));
    await putOriginalProfile(h.admin, h.tableName, 'Printer1', 20, 90, 3); // 85 is now in bounds, window 3
    await h.invoke(reading('Printer1', 85));
    expect(await h.item('Printer1')).toMatchObject({ OutOfBoundsCount: 0, EventCount: 0, Window: 3 });
    for (let i = 0; i < 3; i++) await h.invoke(reading('Printer1', 95));
    expect(await h.item('Printer1')).toMatchObject({ OutOfBoundsCount: 0, EventCount: 1 });
  });
});

describe('concurrency: no lost updates', () => {
  // Every write but one conflicts and retries, so the work grows with the square of the readings: 200 under soak.
  const concurrent = soakSize(50, 200);
  const events = Math.floor(concurrent / 7);
  it(`${concurrent} concurrent out-of-bounds readings with Window 7 end with EventCount ${events}, OutOfBoundsCount ${concurrent % 7}, ${events} distinct events`, async () => {
    await putOriginalProfile(h.admin, h.tableName, 'Hot', 20, 80, 7);
    const results = await Promise.all(Array.from({ length: concurrent }, () => h.invoke(reading('Hot', 99))));
    expect(results.filter((r) => r.outcome === 'event')).toHaveLength(events);
    expect(await h.item('Hot')).toMatchObject({ EventCount: events, OutOfBoundsCount: concurrent % 7 });
    const numbers = h.published
      .filter((e) => e.PrinterId === 'Hot')
      .map((e) => e.events)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: events }, (_, i) => i + 1));
  });

  it('readings delivered twice, concurrently, with seq give the same state as once', async () => {
    const values = [95, 95, 50, 95, 95, 95, 95, 95, 95, 10, 10, 10, 10, 10, 10, 10];
    const stream = values.map((v, i) => reading('Printer2', v, { seq: i + 1 }));
    for (const r of stream) {
      const [a, b] = await Promise.all([h.invoke(r), h.invoke(r)]);
      expect([a.outcome, b.outcome]).toContain('duplicate');
    }
    const expected = runModel(
      { Printer2: { lower: 30, upper: 90, window: 6 } },
      stream.map((r) => ({ printerId: 'Printer2', value: r.data.value, seq: r.seq })),
    );
    expect(await h.item('Printer2')).toMatchObject({
      EventCount: expected.printers['Printer2']!.eventCount,
      OutOfBoundsCount: expected.printers['Printer2']!.outOfBoundsCount,
      LastSeq: values.length,
    });
    expect(h.published.map((e) => e.events)).toEqual(expected.events.map((e) => e.events));
  });

  it('skips an older seq as late, and an older timestamp without seq as late, changing nothing', async () => {
    await h.invoke(reading('Printer1', 95, { seq: 10 }));
    const before = await h.item('Printer1');
    expect((await h.invoke(reading('Printer1', 95, { seq: 9 }))).outcome).toBe('late');
    expect((await h.invoke(reading('Printer1', 95, { seq: 10 }))).outcome).toBe('duplicate');
    expect(await h.item('Printer1')).toEqual(before);
    // A device's duplicate or late reading is counted apart from a Lambda redelivery.
    expect(h.logs.metrics().filter((m) => m['DuplicateOrLateReadings'] === 1)).toHaveLength(2);
    expect(h.logs.metrics().some((m) => 'RedeliveredInvocations' in m)).toBe(false);

    await h.invoke(reading('Printer2', 95, { timestamp: 2_000 }));
    const before2 = await h.item('Printer2');
    expect((await h.invoke(reading('Printer2', 95, { timestamp: 1_999 }))).outcome).toBe('late');
    expect(await h.item('Printer2')).toEqual(before2);
    expect((await h.invoke(reading('Printer2', 95, { timestamp: 2_000 }))).outcome).toBe('out-of-bounds');
  });
});

describe('bad input: never throws, never changes state, one WARN with the reason', () => {
  it.each(INVALID_PAYLOADS)('%s', async (_name, payload, reason) => {
    const before = await h.allItems();
    h.logs.clear();
    const result = await h.invoke(payload);
    expect(result.outcome).toBe('invalid');
    expect(await h.allItems()).toEqual(before);
    const warnings = h.logs.records().filter((r) => r['level'] === 'WARN');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!['reason'])).toMatch(reason);
    expect(h.logs.metrics().some((m) => m['InvalidReadings'] === 1)).toBe(true);
    expect(h.totalRequests()).toBe(0);
  });

  it.each([
    ['Window 0', { Window: { N: '0' } }],
    ['Window fractional', { Window: { N: '2.5' } }],
    ['Window a string', { Window: { S: '10' } }],
    ['Lower above Upper', { Thresholds: { M: { Lower: { N: '90' }, Upper: { N: '10' } } } }],
    ['thresholds missing', { Thresholds: { NULL: true } }],
  ])('a bad profile (%s) is a configuration error for that printer only', async (_name, override) => {
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const { originalProfileItem } = await import('../support/profiles.ts');
    await h.admin.send(new PutItemCommand({ TableName: h.tableName, Item: { ...originalProfileItem('Broken', 20, 80, 5), ...override } }));
    const before = await h.item('Broken');
    const result = await h.invoke(reading('Broken', 50));
    expect(result.outcome).toBe('bad-profile');
    expect(await h.item('Broken')).toEqual(before);
    expect(h.logs.records().some((r) => r['level'] === 'ERROR' && r['printerId'] === 'Broken')).toBe(true);
    expect((await h.invoke(reading('Printer1', 95))).outcome).toBe('out-of-bounds');
  });
});

describe('faults: transient errors are thrown for a retry that counts once', () => {
  it('a DynamoDB failure on the first attempt throws; the retry counts once', async () => {
    let failures = 1;
    h.setFault((command, phase) =>
      command === 'UpdateItemCommand' && phase === 'before' && failures-- > 0 ? serviceError('ThrottlingException') : undefined,
    );
    const payload = reading('Printer1', 95);
    await expect(h.invoke(payload, 'req-1')).rejects.toMatchObject({ name: 'ProfileStoreError' });
    expect(await h.item('Printer1')).toMatchObject({ OutOfBoundsCount: 0 });
    await expect(h.invoke(payload, 'req-1')).resolves.toMatchObject({ outcome: 'out-of-bounds' });
    expect(await h.item('Printer1')).toMatchObject({ OutOfBoundsCount: 1 });
  });

  it('a write whose response is lost throws; with seq the retry is recognised and counts once', async () => {
    let failures = 1;
    h.setFault((command, phase) =>
      command === 'UpdateItemCommand' && phase === 'after' && failures-- > 0 ? serviceError('TimeoutError', 'socket hang up') : undefined,
    );
    const payload = reading('Printer1', 95, { seq: 1 });
    await expect(h.invoke(payload, 'req-2')).rejects.toThrow();
    expect(await h.item('Printer1')).toMatchObject({ OutOfBoundsCount: 1 }); // the write went through
    // Recognised by its request id as Lambda's redelivery, not counted as the device's duplicate.
    await expect(h.invoke(payload, 'req-2')).resolves.toMatchObject({ outcome: 'redelivered' });
    expect(await h.item('Printer1')).toMatchObject({ OutOfBoundsCount: 1 });
  });

  it('a publish failure keeps the counted event, throws, and the retry publishes it without counting twice', async () => {
    for (let i = 0; i < 5; i++) await h.invoke(reading('Printer2', 95));
    h.setPublishFault(() => serviceError('ServiceUnavailableException'));
    await expect(h.invoke(reading('Printer2', 95), 'req-event')).rejects.toMatchObject({ name: 'DeliveryError' });
    const pending = await h.item('Printer2');
    expect(pending).toMatchObject({ EventCount: 1, OutOfBoundsCount: 0 });
    expect(pending?.['PendingEvents']).toBeInstanceOf(Set);
    expect(h.published).toEqual([]);

    h.setPublishFault(undefined);
    await expect(h.invoke(reading('Printer2', 95), 'req-event')).resolves.toMatchObject({ outcome: 'redelivered', eventsDelivered: 1 });
    // A Lambda redelivery is counted apart from a device's duplicate readings.
    expect(h.logs.metrics().some((m) => m['RedeliveredInvocations'] === 1)).toBe(true);
    expect(h.logs.metrics().some((m) => 'DuplicateOrLateReadings' in m)).toBe(false);
    const after = await h.item('Printer2');
    expect(after).toMatchObject({ EventCount: 1, OutOfBoundsCount: 0 });
    expect(after?.['PendingEvents']).toBeUndefined();
    expect(h.published.map((e) => e.events)).toEqual([1]);
  });

  it('an event left pending is published by the next reading of that printer, even without a retry', async () => {
    for (let i = 0; i < 5; i++) await h.invoke(reading('Printer2', 95));
    h.setPublishFault(() => serviceError('ServiceUnavailableException'));
    await expect(h.invoke(reading('Printer2', 95))).rejects.toThrow();
    h.setPublishFault(undefined);
    const next = await h.invoke(reading('Printer2', 50)); // a different reading, not a retry
    expect(next).toMatchObject({ outcome: 'in-bounds', eventsDelivered: 1 });
    expect(h.published.map((e) => [e.PrinterId, e.events])).toEqual([['Printer2', 1]]);
    expect((await h.item('Printer2'))?.['PendingEvents']).toBeUndefined();
  });

  it('a retry of an event whose first attempt died before publishing republishes it', async () => {
    for (let i = 0; i < 5; i++) await h.invoke(reading('Printer2', 95));
    // The first attempt's write went through but its response was lost: nothing was published.
    let failures = 1;
    h.setFault((command, phase) =>
      command === 'UpdateItemCommand' && phase === 'after' && failures-- > 0 ? serviceError('TimeoutError') : undefined,
    );
    await expect(h.invoke(reading('Printer2', 95), 'req-lost')).rejects.toThrow();
    expect(h.published).toEqual([]);
    await expect(h.invoke(reading('Printer2', 95), 'req-lost')).resolves.toMatchObject({ outcome: 'redelivered', eventsDelivered: 1 });
    expect(await h.item('Printer2')).toMatchObject({ EventCount: 1, OutOfBoundsCount: 0 });
    expect(h.published.map((e) => e.events)).toEqual([1]);
  });

  it('an event whose invocation died before publishing is published when the device sends that reading again', async () => {
    await putOriginalProfile(h.admin, h.tableName, 'Resent', 20, 80, 2);
    await h.invoke(reading('Resent', 95, { seq: 1 }));
    let failures = 1;
    h.setFault((command, phase) =>
      command === 'UpdateItemCommand' && phase === 'after' && failures-- > 0 ? serviceError('TimeoutError') : undefined,
    );
    // Window 2: this write counts the event, but its invocation dies (and, say, Lambda gives up on it).
    await expect(h.invoke(reading('Resent', 95, { seq: 2 }), 'req-died')).rejects.toThrow();
    h.setFault(undefined);
    expect(h.published).toEqual([]);
    // The device sends it again, under a new request id: a duplicate, which delivers what its write counted.
    await expect(h.invoke(reading('Resent', 95, { seq: 2 }), 'req-resent')).resolves.toMatchObject({
      outcome: 'duplicate',
      eventsDelivered: 1,
    });
    // Once delivered, sending it again delivers nothing more.
    await expect(h.invoke(reading('Resent', 95, { seq: 2 }), 'req-again')).resolves.toMatchObject({
      outcome: 'duplicate',
      eventsDelivered: 0,
    });
    await h.invoke(reading('Resent', 50, { seq: 3 }));
    expect(h.published.map((e) => e.events)).toEqual([1]);
    expect(await h.item('Resent')).toMatchObject({ EventCount: 1, OutOfBoundsCount: 0 });
  });
});

describe('DynamoDB requests per reading (counted by SDK middleware)', () => {
  it('at most 2 for any reading, 1 once the printer is known, never a Scan', async () => {
    const values = [50, 95, 95, 95, 95, 95, 95, 50, 10, 10, 10, 10, 10, 10, 95, 95, 95, 95, 95, 95];
    const perReading: number[] = [];
    for (const [i, v] of values.entries()) {
      h.resetRequests();
      await h.invoke(reading('Printer2', v, { seq: i + 1 }));
      perReading.push(h.totalRequests());
      expect(h.requests.get('ScanCommand') ?? 0).toBe(0);
      expect(h.requests.get('QueryCommand') ?? 0).toBe(0);
    }
    expect(perReading[0]).toBe(2); // first reading in this container: GetItem + UpdateItem
    expect(perReading.slice(1)).toEqual(values.slice(1).map(() => 1)); // events included
    expect((await h.item('Printer2'))?.['EventCount']).toBe(3);
  });

  it('at most 2 when a container first meets a printer with the reading that completes its window', async () => {
    await putOriginalProfile(h.admin, h.tableName, 'Once', 20, 80, 1);
    h.resetRequests();
    await expect(h.invoke(reading('Once', 99))).resolves.toMatchObject({ outcome: 'event', eventsDelivered: 1 });
    expect(h.totalRequests()).toBe(2);
  });
});
