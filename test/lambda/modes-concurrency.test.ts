/**
 * No lost updates in any detection mode, and the fleet defaults under
 * concurrency, on the embedded DynamoDB. Only plain consecutive readings may
 * take the commuting counter write; every other mode writes its whole state
 * guarded by the exact state and revision it was computed from, so that is
 * what concurrent invocations of one printer exercise here. Expectations come
 * from the independent model (`test/support/mode-fleet.ts`).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambda/app.ts';
import { PREDICTION_TOPIC } from '../../contract/index.ts';
import { localDynamoDbClient } from '../../twin/dynamodb.ts';
import { captureTelemetry } from '../support/capture.ts';
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { topPrinters } from '../../lambda/adapters/ranking-query.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { eachPrinterInOrder, invokeWithRetries } from '../support/mode-delivery.ts';
import {
  byPrinter,
  eventKey,
  expectFor,
  MODE_KINDS,
  type ModeKind,
  type ModeReading,
  makeModeFleet,
  printerCounts,
} from '../support/mode-fleet.ts';

const NOW = new Date('2026-11-21T10:00:00.000Z');
/**
 * Concurrent readings per printer: 100 for the m-of-n printer, fewer for the
 * others, since the embedded DynamoDB answers a conflict with a second
 * request (DynamoDB returns the item with the failed condition).
 */
const CONCURRENT = (kind: ModeKind) => (kind === 'm-of-n' ? 100 : 20);
/**
 * Identical readings without seq all apply, each a full write in most modes:
 * n writers for one item cost about n^2/2 guarded attempts, so fewer of them.
 */
const IDENTICAL = 8;

/** One printer of each kind, 100 readings each (all of them, or the first ones, sent at once). */
const fleet = makeModeFleet({ perKind: 1, readingsPerPrinter: 100, seed: 3 });
const printerOf = (kind: ModeKind) => [...fleet.kinds].find(([, k]) => k === kind)![0];

let h: DetectorHarness;
beforeEach(async () => {
  // The function's own jittered backoff between guarded-write attempts, as deployed.
  h = await startDetectorHarness({ processor: { now: () => NOW, backoff: undefined } });
  await seedProfiles(h.admin, h.tableName, fleet.seed);
});
afterEach(async () => {
  await h.close();
});

async function counts(id: string) {
  const item = await h.item(id);
  return item && { outOfBoundsCount: item['OutOfBoundsCount'], eventCount: item['EventCount'] };
}

/** Data out of bounds for every kind's profile. */
const OUT_OF_BOUNDS: Record<ModeKind, Record<string, number>> = {
  consecutive: { value: 95 },
  inherited: { value: 5 },
  'm-of-n': { value: 95 },
  duration: { temp: 250 },
  adaptive: { value: 150 },
  metrics: { temp: 250, humidity: 10 },
  enrolled: { value: 95 },
};

describe('concurrent invocations for one printer never lose an update, in every mode', () => {
  // One printer of each kind, all at once: each kind's checks name it.
  it('concurrent readings with seq (100 for the m-of-n printer): each state is the model of the readings applied, in seq order; each event is published once', async () => {
    const outcomes = await Promise.all(
      MODE_KINDS.map(async (kind) => {
        const readings = byPrinter(fleet.readings).get(printerOf(kind))!.slice(0, CONCURRENT(kind));
        return { kind, results: await Promise.all(readings.map(async (r) => ({ r, ...(await invokeWithRetries(h, r)) }))) };
      }),
    );
    for (const { kind, results } of outcomes) {
      const id = printerOf(kind);
      const applied = results.filter(({ result }) => ['in-bounds', 'out-of-bounds', 'event'].includes(result.outcome)).map(({ r }) => r);
      const skipped = results.filter(({ result }) => ['duplicate', 'late', 'invalid'].includes(result.outcome));
      expect(applied.length + skipped.length, kind).toBe(CONCURRENT(kind));
      expect(applied.length, kind).toBeGreaterThan(0);
      const model = expectFor(
        fleet,
        [...applied].sort((a, b) => a.seq - b.seq),
      );
      expect(await counts(id), kind).toEqual(model.printers[id]);
      expect((await h.item(id))?.['LastSeq'], kind).toBe(Math.max(...applied.map((r) => r.seq)));
      const published = h.published.filter((e) => e.PrinterId === id);
      expect(published.map(eventKey).sort(), kind).toEqual(model.events.map(eventKey).sort());
    }
  });

  it(`${IDENTICAL} concurrent identical out-of-bounds readings without seq for each printer all count`, async () => {
    // The same timestamp for all (equal is never late): the duration run never lasts, every reading adds to it.
    const timestamp = fleet.readings[0]!.timestamp;
    // A printer of its own for the enrolled kind: its first readings race to create it.
    const readings = MODE_KINDS.map((kind) => ({
      kind,
      reading: { PrinterId: kind === 'enrolled' ? 'Racing-01' : printerOf(kind), data: OUT_OF_BOUNDS[kind], timestamp },
    }));
    const results = await Promise.all(
      readings.map(({ reading }) => Promise.all(Array.from({ length: IDENTICAL }, () => invokeWithRetries(h, reading)))),
    );
    readings.forEach(({ kind }, i) => {
      expect(
        results[i]!.filter(({ result }) => ['out-of-bounds', 'event'].includes(result.outcome)),
        kind,
      ).toHaveLength(IDENTICAL);
    });
    for (const { kind, reading } of readings) {
      const id = reading.PrinterId;
      const model = expectFor(
        fleet,
        Array.from({ length: IDENTICAL }, () => reading),
      );
      expect(model.printers[id]!.outOfBoundsCount + model.printers[id]!.eventCount, kind).toBeGreaterThan(0);
      expect(await counts(id), kind).toEqual(model.printers[id]);
      const numbers = h.published.filter((e) => e.PrinterId === id).map((e) => e.events);
      expect(
        numbers.sort((a, b) => a - b),
        kind,
      ).toEqual(model.events.map((e) => e.events));
    }
  });
});

describe('fleet defaults under concurrency', () => {
  it('two concurrent first readings of an unknown printer create one item, and both count', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `Newcomer-${i}`);
    await Promise.all(
      ids.flatMap((id) => [h.invoke({ PrinterId: id, data: { value: 95 } }), h.invoke({ PrinterId: id, data: { value: 96 } })]),
    );
    for (const id of ids) expect(await counts(id)).toEqual({ outOfBoundsCount: 2, eventCount: 0 });
    expect(h.requests.get('PutItemCommand')).toBeGreaterThanOrEqual(ids.length);

    // With seq, the later one may make the earlier one late: either way one item, in the model's state.
    const withSeq = ['Sequenced-1', 'Sequenced-2', 'Sequenced-3'];
    for (const id of withSeq) {
      const pair: ModeReading[] = [1, 2].map((seq) => ({ PrinterId: id, data: { value: 95 }, seq, timestamp: 1000 * seq }));
      const outcomes = await Promise.all(pair.map((r) => h.invoke(r)));
      const applied = pair.filter((_, i) => outcomes[i]!.outcome === 'out-of-bounds');
      expect(applied.length).toBeGreaterThan(0);
      expect(await counts(id)).toEqual(expectFor(fleet, applied).printers[id]);
      expect((await h.item(id))?.['LastSeq']).toBe(2);
    }
  });

  it("two containers race on a printer's first reading: the later enrolment finds the item and keeps the earlier reading's count", async () => {
    // Container A enrols only once B has read (no item yet); B enrols only once A has enrolled and written.
    const endpoint = await h.admin.config.endpoint!();
    const url = `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
    let bRead!: () => void;
    let aWrote!: () => void;
    const read = new Promise<void>((resolve) => {
      bRead = resolve;
    });
    const written = new Promise<void>((resolve) => {
      aWrote = resolve;
    });
    const container = (role: 'A' | 'B') => {
      const client: DynamoDBClient = localDynamoDbClient(url, { maxAttempts: 1 });
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'PutItemCommand') await (role === 'A' ? read : written);
          const result = await next(args);
          if (role === 'B' && context.commandName === 'BatchGetItemCommand') bRead();
          if (role === 'A' && context.commandName === 'UpdateItemCommand') aWrote();
          return result;
        },
        { step: 'initialize', name: `gate${role}` },
      );
      const telemetry = captureTelemetry();
      const handler = createHandler({
        config: { tableName: h.tableName, predictionTopic: PREDICTION_TOPIC },
        dynamoDb: client,
        iotData: () => {
          throw new Error('no event is expected');
        },
        logger: telemetry.logger,
        metrics: telemetry.metricsPublisher,
        processor: { now: () => NOW },
      });
      return { client, invoke: (payload: unknown, requestId: string) => handler(payload, { awsRequestId: requestId }) };
    };
    const a = container('A');
    const b = container('B');
    try {
      const outcomes = await Promise.all([
        b.invoke({ PrinterId: 'Latecomer', data: { value: 95 } }, 'req-b'),
        a.invoke({ PrinterId: 'Latecomer', data: { value: 96 } }, 'req-a'),
      ]);
      expect(outcomes.map((o) => o.outcome)).toEqual(['out-of-bounds', 'out-of-bounds']);
      expect(await counts('Latecomer')).toEqual({ outOfBoundsCount: 2, eventCount: 0 });
    } finally {
      a.client.destroy();
      b.client.destroy();
    }
  });

  it('invalid readings of an unknown printer create nothing', async () => {
    const before = await h.allItems();
    const invalid: [string, unknown][] = [
      ['a value that is a string', { PrinterId: 'Ghost', data: { value: 'hot' } }],
      ['no data', { PrinterId: 'Ghost' }],
      ['a malformed seq', { PrinterId: 'Ghost', data: { value: 95 }, seq: -1 }],
      ['a malformed timestamp', { PrinterId: 'Ghost', data: { value: 95 }, timestamp: 'yesterday' }],
      ['the reserved id', { PrinterId: '*', data: { value: 95 } }],
      ['a batch for the reserved id', { PrinterId: '*', readings: [{ data: { value: 95 } }] }],
    ];
    for (const [what, payload] of invalid) {
      expect((await h.invoke(payload)).outcome, what).toBe('invalid');
    }
    // Well formed, but invalid under the rules the defaults would give the printer (they judge data.value).
    const unjudgeable: [string, unknown][] = [
      ['none of the metrics the defaults monitor', { PrinterId: 'Ghost', data: { temp: 300 } }],
      ['a batch of readings the defaults cannot judge', { PrinterId: 'Ghost', readings: [{ data: { temp: 1 } }, { data: { temp: 2 } }] }],
    ];
    for (const [what, payload] of unjudgeable) {
      expect(['invalid', 'unknown-printer'], what).toContain((await h.invoke(payload)).outcome);
    }
    expect(await h.allItems()).toEqual(before);
    expect(h.requests.get('PutItemCommand') ?? 0).toBe(0);
  });

  it('the * item is never ranked, counted or alarmed, while the printers it enrols are', async () => {
    const readings = fleet.readings.filter((r) => r.seq <= 40);
    await eachPrinterInOrder(readings, async (r) => {
      await h.invoke(r);
    });
    const expected = expectFor(fleet, readings);
    const items = await h.allItems();
    expect(printerCounts(items)).toEqual(expected.printers);
    const star = items.find((item) => item['PrinterId'] === '*')!;
    for (const attribute of ['LastSeq', 'LastSeenAt', 'RankPartition', 'RankKey', 'Alarm', 'AlarmPartition', 'PendingEvents']) {
      expect(star[attribute], attribute).toBeUndefined();
    }
    expect(star).toMatchObject({ OutOfBoundsCount: 0, EventCount: 0, Enrol: true });

    const ranked = await topPrinters(h.admin, h.tableName, 100);
    const expectedRanking = Object.entries(expected.printers)
      .map(([PrinterId, c]) => ({ PrinterId, EventCount: c.eventCount }))
      .sort((a, b) => b.EventCount - a.EventCount || (a.PrinterId < b.PrinterId ? -1 : 1));
    expect(ranked.map(({ PrinterId, EventCount }) => ({ PrinterId, EventCount }))).toEqual(expectedRanking);
    expect(expectedRanking.some((p) => fleet.kinds.get(p.PrinterId) === 'enrolled' && p.EventCount > 0)).toBe(true);
  });
});
