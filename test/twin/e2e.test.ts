/**
 * End to end on the local twin (random ports): the emitter replays a
 * generated data set through the embedded broker, the rule and the detector
 * function; the final table, `npm run ranked -- --json`, the events seen on
 * `anom/pred` and `npm run logs` are compared with the independent model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateReadings } from '../../emitter/generate.ts';
import { PREDICTION_TOPIC, type ProfileInput } from '../../contract/index.ts';
import { localDynamoDbClient } from '../../twin/dynamodb.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { runModel } from '../support/model.ts';
import { putOriginalProfile } from '../support/profiles.ts';
import { allItems, modelProfiles, publishReadings, reading, runCliProcess } from '../support/twin.ts';

const PROFILES = JSON.parse(readFileSync(new URL('../../data/printer_profiles.json', import.meta.url), 'utf8')) as ProfileInput[];

let dir: string;
let twin: Twin;
let subscriber: TopicSubscription;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twin-e2e-'));
  twin = await startTwin({ logFile: join(dir, 'detector.log'), concurrency: 4 });
  subscriber = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
});

afterAll(async () => {
  await subscriber?.close();
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local twin end to end', () => {
  // A generated replay, plus readings the function must refuse without changing anything.
  const generated = generateReadings({ profiles: PROFILES, readings: 1_200, seed: 'twin-e2e' });
  const refused = [reading('Ghost', 99), reading('Printer1', Number.NaN), { PrinterId: 'Printer2', data: { value: 'hot' } }];
  const readings: object[] = [...generated.slice(0, 600), ...refused, ...generated.slice(600)];

  // The model sees what the emitter sends: per-printer seq stamped in file order (--add-seq).
  const nextSeq = new Map<string, number>();
  const stamped = readings.map((r) => {
    const id = (r as { PrinterId: string }).PrinterId;
    const seq = (nextSeq.get(id) ?? 0) + 1;
    nextSeq.set(id, seq);
    return { ...(r as object), seq } as { PrinterId: string; data: { value: unknown }; seq: number };
  });
  const valid = stamped.filter((r) => typeof r.data.value === 'number' && Number.isFinite(r.data.value));
  const expected = runModel(
    modelProfiles(PROFILES),
    valid.map((r) => ({ printerId: r.PrinterId, value: r.data.value as number, seq: r.seq })),
  );
  const expectedRanking = PROFILES.map((p) => ({ PrinterId: p.PrinterId, EventCount: expected.printers[p.PrinterId]!.eventCount })).sort(
    (a, b) => b.EventCount - a.EventCount || (a.PrinterId < b.PrinterId ? -1 : 1),
  );

  it('processes a replay exactly as the model: table, ranked --json, anom/pred and the log', async () => {
    expect(expected.events.length).toBeGreaterThan(10); // the data set exercises events
    await twin.seed(PROFILES);

    await publishReadings(twin.mqttUrl, readings, { addSeq: true });
    await twin.waitUntilProcessed(readings.length, { timeoutMs: 60_000 });

    const stats = twin.stats();
    expect(stats).toMatchObject({ received: readings.length, processed: readings.length, deadLettered: 0, ruleErrors: 0 });
    expect(stats.outcomes['unknown-printer']).toBe(1);
    expect(stats.outcomes.invalid).toBe(2);
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(0);
    expect(stats.outcomes.event).toBe(expected.events.length);
    expect(stats.eventsPublished).toBe(expected.events.length);

    // The table: every profile's counters as the model computes them, and nothing else.
    const items = await allItems(twin.dynamoDb, twin.tableName);
    expect(items.map((item) => item['PrinterId']).sort()).toEqual(PROFILES.map((p) => p.PrinterId).sort());
    for (const item of items) {
      const model = expected.printers[item['PrinterId'] as string]!;
      expect({ id: item['PrinterId'], oob: item['OutOfBoundsCount'], events: item['EventCount'], pending: item['PendingEvents'] }).toEqual({
        id: item['PrinterId'],
        oob: model.outOfBoundsCount,
        events: model.eventCount,
        pending: undefined,
      });
    }

    // The events a device subscriber received on anom/pred: per printer, in order.
    await subscriber.waitFor(expected.events.length);
    const received = subscriber.messages.map((m) => JSON.parse(m.payload) as { PrinterId: string; events: number });
    expect(received).toHaveLength(expected.events.length);
    const perPrinter = (events: readonly { PrinterId: string; events: number }[]) => {
      const map: Record<string, number[]> = {};
      for (const e of events) map[e.PrinterId] = [...(map[e.PrinterId] ?? []), e.events];
      return map;
    };
    expect(perPrinter(received)).toEqual(perPrinter(expected.events));

    // `npm run ranked -- --json` against the twin's endpoint, as a user runs it.
    const ranked = await runCliProcess('cli/ranked.ts', ['--json', '--endpoint-url', twin.dynamoDbEndpoint]);
    expect(ranked).toMatchObject({ code: 0, stderr: '' });
    const rows = JSON.parse(ranked.stdout) as { PrinterId: string; EventCount: number }[];
    expect(rows.map(({ PrinterId, EventCount }) => ({ PrinterId, EventCount }))).toEqual(expectedRanking);
    const top = await runCliProcess('cli/ranked.ts', ['--json', '--top', '3', '--endpoint-url', twin.dynamoDbEndpoint]);
    expect((JSON.parse(top.stdout) as { PrinterId: string }[]).map((r) => r.PrinterId)).toEqual(
      expectedRanking.slice(0, 3).map((r) => r.PrinterId),
    );

    // `npm run logs` on the twin's log: one "anomaly event" record per event of the printer, and only that printer.
    const busiest = expectedRanking[0]!;
    const logs = await runCliProcess('cli/logs.ts', ['--log-file', twin.logFile!, '--printer', busiest.PrinterId]);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trim().split('\n');
    expect(lines.every((line) => line.includes(` ${busiest.PrinterId} `))).toBe(true);
    expect(lines.filter((line) => / anomaly event /.test(line))).toHaveLength(busiest.EventCount);
  });

  it("picks up profiles written with the original project's low-level put-item", async () => {
    // Written through the twin's endpoint, as `aws dynamodb put-item --endpoint-url ...` would.
    const client = localDynamoDbClient(twin.dynamoDbEndpoint);
    try {
      await putOriginalProfile(client, twin.tableName, 'Original1', 20, 80, 3);
    } finally {
      client.destroy();
    }
    const before = subscriber.messages.length;
    const values = [85, 90, 95, 50, 10, 10, 10, 81];
    await publishReadings(
      twin.mqttUrl,
      values.map((v) => reading('Original1', v)),
    );
    await twin.waitUntilProcessed(twin.stats().received);

    const model = runModel(
      { Original1: { lower: 20, upper: 80, window: 3 } },
      values.map((value) => ({ printerId: 'Original1', value })),
    );
    const item = (await allItems(twin.dynamoDb, twin.tableName)).find((i) => i['PrinterId'] === 'Original1');
    expect(item).toMatchObject({
      Thresholds: { Lower: 20, Upper: 80 },
      Window: 3,
      OutOfBoundsCount: model.printers['Original1']!.outOfBoundsCount,
      EventCount: model.printers['Original1']!.eventCount,
    });
    expect(model.events).toEqual([
      { PrinterId: 'Original1', events: 1 },
      { PrinterId: 'Original1', events: 2 },
    ]);
    await subscriber.waitFor(before + model.events.length);
    expect(subscriber.messages.slice(before).map((m) => JSON.parse(m.payload) as object)).toEqual([
      expect.objectContaining({ PrinterId: 'Original1', events: 1, window: 3, thresholds: { Lower: 20, Upper: 80 } }),
      expect.objectContaining({ PrinterId: 'Original1', events: 2 }),
    ]);
  });
});
