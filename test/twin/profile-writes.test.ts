/**
 * Profile writes on a running twin: every writer (the writer `npm run profile
 * -- set` and `npm run calibrate -- --write` use, the API's PUT and PATCH)
 * judges the profile it leaves with the fleet defaults, changes nothing it was
 * not asked to, and re-derives the silence deadline, so that a removed
 * SilenceSeconds never raises a silent alarm. The clock is driven with
 * `twin.sweep(at)`. The fleet defaults are read by the functions once per 30 s
 * of real time: the silence test, which needs the detector and the sweep to
 * see `*` as it sets it, is the only one that sends readings or sweeps, and
 * runs first.
 */
import { PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProfileChanges, type ProfileChange } from '../../lambda/adapters/profile-writer.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device, ms } from '../support/alarms.ts';
import { apiClient, expectError, expectOk } from '../support/twin-api.ts';

let twin: Twin;
let device: Device;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  device = new Device(twin);
  call = apiClient(twin.httpUrl);
});

afterAll(async () => {
  await twin?.close();
});

async function stored(id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await twin.dynamoDb.send(
    new GetItemCommand({ TableName: twin.tableName, Key: { PrinterId: { S: id } }, ConsistentRead: true }),
  );
  return Item ? unmarshall(Item, { wrapNumbers: (text) => Number(text) }) : undefined;
}

const path = (id: string) => `/api/printers/${encodeURIComponent(id)}`;

describe('a removed SilenceSeconds', () => {
  it('raises no silent alarm, whether it is removed from the printer or from the fleet defaults', async () => {
    expectOk(await call('PUT', path('*'), { body: { SilenceSeconds: 60 } }), 201);
    const band = { Thresholds: { Lower: 20, Upper: 80 }, Window: 1 };
    expectOk(await call('PUT', path('Own'), { body: { ...band, SilenceSeconds: 120 } }), 201);
    expectOk(await call('PUT', path('Inherits'), { body: band }), 201);
    await device.send('Own', 50);
    await device.send('Inherits', 50);
    const arrival = ms((await twin.fleet.printer('Inherits'))!.state['LastSeenAt'] as string);
    expect(await stored('Own')).toHaveProperty('SilenceAt');
    expect(await stored('Inherits')).toHaveProperty('SilenceAt');

    // The user removes it: on * (no printer is written, so Inherits keeps its deadline), then on the printer (the write
    // re-derives its deadline with the defaults as they are now).
    expectOk(await call('PUT', path('*'), { body: {} }));
    expect(await stored('Inherits')).toHaveProperty('SilenceAt');
    expectOk(await call('PATCH', path('Own'), { body: { SilenceSeconds: null } }));
    expect(await stored('Own')).not.toHaveProperty('SilenceAt');

    const sweep = await twin.sweep(new Date(arrival + 10 * 60_000));
    expect(sweep).toMatchObject({ transitions: 0, failed: 0 });
    for (const id of ['Own', 'Inherits']) {
      expect((await twin.fleet.printer(id))!.alarm).toMatchObject({ State: 'NORMAL', Cause: null });
      // The deadline the rules no longer have was consumed, so the clock does not come back for it.
      expect(await stored(id)).not.toHaveProperty('SilenceAt');
      expect(await stored(id)).not.toHaveProperty('DueAt');
    }
    expect(twin.notifications()).toEqual([]);
  });
});

describe('writes judged with the fleet defaults', () => {
  it('PUT accepts a profile the detector runs with the defaults, and refuses what the defaults make invalid', async () => {
    expectOk(await call('PUT', path('*'), { body: { Thresholds: { Lower: 0, Upper: 100 }, Window: 3 } }));
    expect(expectOk(await call('PUT', path('MofN'), { body: { Mode: 'm-of-n', Of: 5 } }), 201)).toEqual({
      PrinterId: 'MofN',
      Mode: 'm-of-n',
      Of: 5,
    });
    expectError(await call('PUT', path('MofN'), { body: { Mode: 'm-of-n', Of: 2 } }), 400, /^Of \(2\) is below Window \(3\)$/);
    expectError(await call('PATCH', path('MofN'), { body: { Of: 2 } }), 400, /^Of \(2\) is below Window \(3\)$/);
    expect(await stored('MofN')).toMatchObject({ Mode: 'm-of-n', Of: 5 });
    // The API shows the settings the detector runs, as `npm run profile -- get` does (and the dashboard draws them).
    const detail = expectOk(await call('GET', path('MofN')));
    expect(detail.profile).toEqual({ PrinterId: 'MofN', Mode: 'm-of-n', Of: 5 });
    expect(detail.effective).toEqual({ PrinterId: 'MofN', Thresholds: { Lower: 0, Upper: 100 }, Window: 3, Mode: 'm-of-n', Of: 5 });
  });

  it('PUT replaces the user attributes; PATCH changes only what it names', async () => {
    const full = { Thresholds: { Lower: 20, Upper: 80 }, Window: 2, Severity: 'critical', Latch: true, RenotifyMinutes: 10 };
    expectOk(await call('PUT', path('Verbs'), { body: full }), 201);
    expect(expectOk(await call('PATCH', path('Verbs'), { body: { Window: 4, Latch: null } }))).toEqual({
      PrinterId: 'Verbs',
      ...full,
      Window: 4,
      Latch: undefined,
    });
    expect(expectOk(await call('PUT', path('Verbs'), { body: { Window: 5 } }))).toEqual({ PrinterId: 'Verbs', Window: 5 });
    expect(await stored('Verbs')).not.toHaveProperty('Severity');
  });
});

describe('concurrent writes', () => {
  it('lose nothing: merges racing on one printer each land, judged again against the item as the others left it', async () => {
    expectOk(await call('PUT', path('Raced'), { body: { Thresholds: { Lower: 0, Upper: 100 }, Window: 1 } }), 201);
    const changes: Record<string, unknown>[] = [
      { Severity: 'minor' },
      { Latch: true },
      { ClearAfter: 3 },
      { RenotifyMinutes: 15 },
      { Adaptive: { Sigma: 4 } },
      { SilenceSeconds: 900 },
    ];
    const results = await Promise.all(
      changes.map((set) => writeProfileChanges(twin.dynamoDb, twin.tableName, [{ kind: 'merge', printerId: 'Raced', set }])),
    );
    expect(results.flatMap((r) => r.refused)).toEqual([]);
    expect(await stored('Raced')).toMatchObject(Object.assign({ Rev: 1 + changes.length }, ...changes));
  });
});

/** The attributes a write moves on or re-derives itself; every other one it was not asked to change must stay. */
const WRITER_OWNED = new Set(['Rev', 'RankKey', 'RankPartition', 'SilenceAt', 'DueAt', 'DuePartition']);
const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
const FLEET_SILENCE_SECONDS = 300;
const LAST_SEEN = Date.parse('2026-11-20T10:00:00.000Z');

const bandArb = fc.record({ Lower: fc.integer({ min: -1000, max: 1000 }), width: fc.integer({ min: 10, max: 500 }) });
type BandSeed = { Lower: number; width: number };

/** Thresholds of either form, widened by `by` on each side (so a Clear written inside them still fits). */
function thresholds(form: 'original' | 'metrics', band: BandSeed, by = 0) {
  const original = { Lower: band.Lower - by, Upper: band.Lower + band.width + by };
  return form === 'original' ? original : { temp: original, fan: { Upper: original.Upper, Severity: 'minor' } };
}

/** A valid profile that uses every optional attribute. */
const fullProfileArb = fc
  .record({
    form: fc.constantFrom('original' as const, 'metrics' as const),
    band: bandArb,
    mode: fc.constantFrom('consecutive', 'm-of-n', 'duration'),
    window: fc.integer({ min: 1, max: 5 }),
    extraOf: fc.integer({ min: 0, max: 5 }),
    durationSeconds: fc.integer({ min: 1, max: 600 }),
    sigma: fc.integer({ min: 1, max: 5 }),
    severity: fc.constantFrom(...SEVERITIES),
    clearAfter: fc.integer({ min: 1, max: 4 }),
    latch: fc.boolean(),
    silenceSeconds: fc.integer({ min: 60, max: 3600 }),
    renotifyMinutes: fc.integer({ min: 5, max: 120 }),
  })
  .map((p) => {
    const inner = { Lower: p.band.Lower + 1, Upper: p.band.Lower + p.band.width - 1 };
    return {
      form: p.form,
      band: p.band,
      profile: {
        Thresholds: thresholds(p.form, p.band),
        Window: p.window,
        Mode: p.mode,
        ...(p.mode === 'm-of-n' ? { Of: p.window + p.extraOf } : {}),
        ...(p.mode === 'duration' ? { DurationSeconds: p.durationSeconds } : {}),
        Adaptive: { Sigma: p.sigma },
        Severity: p.severity,
        Clear: p.form === 'original' ? inner : { temp: inner },
        ClearAfter: p.clearAfter,
        Latch: p.latch,
        SilenceSeconds: p.silenceSeconds,
        RenotifyMinutes: p.renotifyMinutes,
      } as Record<string, unknown>,
    };
  });

/** What may be set to a new value without making the profile invalid, and what may be removed. */
const SETTABLE = ['Thresholds', 'Severity', 'ClearAfter', 'Latch', 'SilenceSeconds', 'RenotifyMinutes', 'Adaptive'] as const;
const UNSETTABLE = ['Severity', 'ClearAfter', 'Latch', 'SilenceSeconds', 'RenotifyMinutes', 'Adaptive', 'Clear'] as const;

const changeArb = fc.record({
  via: fc.constantFrom('profile set', 'calibrate --write', 'PATCH', 'PUT'),
  set: fc.subarray([...SETTABLE]),
  unset: fc.subarray([...UNSETTABLE]),
  widen: fc.integer({ min: 1, max: 50 }),
  severity: fc.constantFrom(...SEVERITIES),
  count: fc.integer({ min: 1, max: 9 }),
  latch: fc.boolean(),
  silenceSeconds: fc.integer({ min: 60, max: 3600 }),
  renotifyMinutes: fc.integer({ min: 5, max: 120 }),
});

let printers = 0;

describe('property: configuration writes never lose an attribute they were not asked to change', () => {
  it('over profile set, calibrate --write, PATCH and PUT, on printers using every optional attribute', async () => {
    expect([200, 201]).toContain((await call('PUT', path('*'), { body: { SilenceSeconds: FLEET_SILENCE_SECONDS } })).status);
    const tried = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fullProfileArb, changeArb, async (full, c) => {
        const id = `Prop-${++printers}`;
        const before = {
          PrinterId: id,
          ...full.profile,
          EventCount: c.count,
          OutOfBoundsCount: c.count - 1,
          LastValue: 42.5,
          LastSeenAt: new Date(LAST_SEEN).toISOString(),
          LastSeq: 17,
          Alarm: { State: 'ACTIVE', Severity: 'major', Cause: 'threshold', Since: '2026-11-20T09:59:00.000Z', Seq: 3, ClearCount: 0 },
          SilenceAt: LAST_SEEN + (full.profile['SilenceSeconds'] as number) * 1000,
          Rev: 2,
        };
        await twin.dynamoDb.send(new PutItemCommand({ TableName: twin.tableName, Item: marshall(before) }));

        const newValues: Record<string, unknown> = {
          Thresholds: thresholds(full.form, full.band, c.widen),
          Severity: c.severity,
          ClearAfter: c.count,
          Latch: c.latch,
          SilenceSeconds: c.silenceSeconds,
          RenotifyMinutes: c.renotifyMinutes,
          Adaptive: { Sigma: c.count },
        };
        const calibrating = c.via === 'calibrate --write';
        const set = calibrating ? { Thresholds: newValues['Thresholds'] } : Object.fromEntries(c.set.map((k) => [k, newValues[k]]));
        const unset: string[] = calibrating ? [] : c.unset.filter((k) => !Object.hasOwn(set, k));
        const expected: Record<string, unknown> = { PrinterId: id, ...full.profile, ...set };
        for (const name of unset) delete expected[name];

        if (c.via === 'PUT' || c.via === 'PATCH') {
          const body = c.via === 'PUT' ? expected : { ...set, ...Object.fromEntries(unset.map((k) => [k, null])) };
          expect(expectOk(await call(c.via, path(id), { body }))).toEqual(expected);
        } else {
          const change: ProfileChange = calibrating
            ? { kind: 'merge', printerId: id, set, ifAbsent: { Window: 9 } }
            : { kind: 'merge', printerId: id, set, unset };
          const result = await writeProfileChanges(twin.dynamoDb, twin.tableName, [change], { allOrNothing: !calibrating });
          expect(result.refused).toEqual([]);
        }
        tried.set(c.via, (tried.get(c.via) ?? 0) + 1);

        const after = (await stored(id))!;
        const { Rev, SilenceAt, ...rest } = after;
        expect(Object.fromEntries(Object.entries(rest).filter(([k]) => !WRITER_OWNED.has(k)))).toEqual({
          ...Object.fromEntries(Object.entries(before).filter(([k]) => !WRITER_OWNED.has(k) && !unset.includes(k))),
          ...set,
        });
        expect(Rev).toBe(before.Rev + 1);
        // The pending silence deadline follows the profile as now stored (the printer's own, else the fleet's).
        const silenceSeconds = (expected['SilenceSeconds'] as number | undefined) ?? FLEET_SILENCE_SECONDS;
        expect(SilenceAt).toBe(LAST_SEEN + silenceSeconds * 1000);
      }),
      { numRuns: 120 },
    );
    process.stdout.write(`profile writes tried: ${JSON.stringify(Object.fromEntries(tried))}\n`);
    expect([...tried.keys()].sort()).toEqual(['PATCH', 'PUT', 'calibrate --write', 'profile set']);
  });
});
