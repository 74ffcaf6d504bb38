/**
 * `npm run calibrate` as a user runs it (child processes), against a real
 * embedded DynamoDB: the report, nothing written without `--write` or when
 * an input is refused, and `--write` keeping each printer's Window and counters.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ATTR, DEFAULT_TABLE_NAME, type ProfileInput, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import { calibrate } from '../../lambda/core/calibration.ts';
import { ensureProfilesTable, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';
import { putOriginalProfile } from '../support/profiles.ts';
import { allItems, runCliProcess } from '../support/twin.ts';

let dynamo: EmbeddedDynamoDb;
let admin: DynamoDBClient;
let dir: string;
let readingsFile: string;
let profilesFile: string;
const table = DEFAULT_TABLE_NAME;
const CLI = 'cli/calibrate.ts';

/** Deterministic values over [40, 60], no two equal neighbours. */
function values(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 40 + Math.round((state / 2 ** 31) * 20_000) / 1000;
  });
}

const profiles = [
  { PrinterId: 'Hot', Thresholds: { Lower: 45, Upper: 55 }, Window: 3 },
  { PrinterId: 'Fresh', Thresholds: { Lower: 0, Upper: 100 }, Window: 2 },
  { PrinterId: 'Sparse', Thresholds: { Lower: 0, Upper: 100 }, Window: 2 },
];
const readings = [
  ...values(300, 1).map((value, i) => ({ PrinterId: 'Hot', data: { value }, seq: i + 1 })),
  ...values(100, 2).map((value, i) => ({ PrinterId: 'Fresh', data: { value }, seq: i + 1 })),
  ...values(5, 3).map((value, i) => ({ PrinterId: 'Sparse', data: { value }, seq: i + 1 })),
];

beforeAll(async () => {
  dynamo = await startDynamoDb();
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, table);
  dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
  readingsFile = join(dir, 'readings.jsonl');
  writeFileSync(readingsFile, `${readings.map((r) => JSON.stringify(r)).join('\n')}\n`);
  profilesFile = join(dir, 'profiles.json');
  writeFileSync(profilesFile, JSON.stringify(profiles));
});

afterAll(async () => {
  admin?.destroy();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `Hot` is live: its Window in the table (5) differs from the file's, and it has counters and bookkeeping. */
beforeEach(async () => {
  await putOriginalProfile(admin, table, 'Hot', 45, 55, 5);
  await admin.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { PrinterId: { S: 'Hot' } },
      UpdateExpression: 'SET EventCount = :e, OutOfBoundsCount = :o, LastValue = :v',
      ExpressionAttributeValues: { ':e': { N: '12' }, ':o': { N: '2' }, ':v': { N: '58.1' } },
    }),
  );
  await putOriginalProfile(admin, table, 'Sparse', 0, 100, 2);
});

async function item(id: string) {
  const { Item } = await admin.send(new GetItemCommand({ TableName: table, Key: { PrinterId: { S: id } }, ConsistentRead: true }));
  return Item ? unmarshall(Item) : undefined;
}

const asReadings = (payloads: readonly { PrinterId: string; data: Record<string, number>; seq: number }[]) =>
  payloads.map((r) => ({ printerId: r.PrinterId, metrics: r.data, seq: r.seq }));
const expected = () => calibrate(asReadings(readings), profiles);
/** A printer's suggested band of `value`. */
const suggestedValue = (id: string) => expected().find((p) => p.PrinterId === id)!.metrics[0]!.suggested!;

describe('npm run calibrate', () => {
  it('reports per printer and writes nothing without --write, even given a table', async () => {
    const before = await allItems(admin, table);
    const result = await runCliProcess(CLI, ['--file', readingsFile, '--profiles', profilesFile, '--endpoint', dynamo.endpoint]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const hot = expected().find((p) => p.PrinterId === 'Hot')!;
    const band = suggestedValue('Hot');
    expect(result.stdout).toMatch(/^Printer +Metric +Readings +Window +Current band +Flagged +Events +Suggested band +Flagged +Events$/m);
    expect(result.stdout).toMatch(
      new RegExp(`^Hot +value +300 +3 +45 \\.\\. 55 .* ${hot.current!.events} +${band.Lower} \\.\\. ${band.Upper} `, 'm'),
    );
    expect(result.stdout).toContain('Sparse: no suggestion for value: only 5 reading(s); at least 20 needed');
    expect(result.stdout).toContain('Nothing written: 2 suggestion(s); run again with --write');
    expect(await allItems(admin, table)).toEqual(before);
  });

  it('gives scripts the same numbers as the calibration core, in JSON', async () => {
    const result = await runCliProcess(CLI, [
      '--file',
      readingsFile,
      '--profiles',
      profilesFile,
      '--json',
      '--quantile',
      '0.01',
      '--margin',
      '0',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.options).toEqual({ quantile: 0.01, margin: 0, minReadings: 20 });
    expect(report.printers).toEqual(calibrate(asReadings(readings), profiles, { quantile: 0.01, margin: 0, minReadings: 20 }));
    expect(report).not.toHaveProperty('written');
  });

  it('--write sets the suggested Thresholds, keeping Window, counters and bookkeeping; creates missing printers at 0', async () => {
    const hotBefore = await item('Hot');
    const sparseBefore = await item('Sparse');
    const result = await runCliProcess(CLI, ['--file', readingsFile, '--profiles', profilesFile, '--write', '--endpoint', dynamo.endpoint]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { Lower, Upper } = suggestedValue('Hot');
    // The writer moves the revision on, so that a reading judged with the old band is judged again, and ranks the printer at its count.
    expect(await item('Hot')).toEqual({
      ...hotBefore,
      Thresholds: { Lower, Upper },
      [ATTR.rev]: (hotBefore?.[ATTR.rev] ?? 0) + 1,
      [ATTR.rankPartition]: RANK_PARTITION_VALUE,
      [ATTR.rankKey]: rankKey(12, 'Hot'),
    });
    expect(result.stdout).toContain(
      `Hot: Thresholds 45..55 -> ${Lower}..${Upper}, Window 5 (unchanged); counters kept (OutOfBoundsCount 2, EventCount 12)`,
    );
    expect(await item('Fresh')).toEqual({
      PrinterId: 'Fresh',
      Thresholds: { Lower: suggestedValue('Fresh').Lower, Upper: suggestedValue('Fresh').Upper },
      Window: 2,
      OutOfBoundsCount: 0,
      EventCount: 0,
      [ATTR.rev]: 1,
      [ATTR.rankPartition]: RANK_PARTITION_VALUE,
      [ATTR.rankKey]: rankKey(0, 'Fresh'),
    });
    expect(await item('Sparse')).toEqual(sparseBefore);
    expect(result.stdout).toContain(`wrote 2 profile(s) into ${table} at ${dynamo.endpoint}`);
  });

  it('--write --json lists what was written', async () => {
    const result = await runCliProcess(CLI, [
      '--file',
      readingsFile,
      '--profiles',
      profilesFile,
      '--write',
      '--json',
      '--endpoint',
      dynamo.endpoint,
    ]);
    expect(result.code).toBe(0);
    // Fresh holds the suggestion since the test before: only Hot (reset before each test) changes.
    const { written, unchanged } = JSON.parse(result.stdout);
    expect(written.map((w: { PrinterId: string; Window: number }) => [w.PrinterId, w.Window])).toEqual([['Hot', 5]]);
    expect(unchanged).toBe(1);
  });

  it('--write sets a metric map for printers whose readings carry other metrics, or whose profile has one', async () => {
    const metricProfiles: ProfileInput[] = [
      { PrinterId: 'Multi', Thresholds: { Lower: 45, Upper: 55 }, Window: 2 },
      { PrinterId: 'Hotend', Thresholds: { temp: { Upper: 300, Severity: 'critical' } }, Window: 1 },
    ];
    const metricReadings = [
      ...values(200, 4).map((value, i) => ({ PrinterId: 'Multi', data: { value, temp: 200 + value }, seq: i + 1 })),
      ...values(200, 5).map((value, i) => ({ PrinterId: 'Hotend', data: { temp: 180 + value, fan: value }, seq: i + 1 })),
    ];
    const files = { readings: join(dir, 'metric-readings.json'), profiles: join(dir, 'metric-profiles.json') };
    writeFileSync(files.readings, JSON.stringify(metricReadings));
    writeFileSync(files.profiles, JSON.stringify(metricProfiles));
    const result = await runCliProcess(CLI, [
      '--file',
      files.readings,
      '--profiles',
      files.profiles,
      '--write',
      '--json',
      '--endpoint',
      dynamo.endpoint,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = calibrate(asReadings(metricReadings), metricProfiles);
    const [hotend, multi] = report;
    expect(Object.keys(multi!.thresholds!)).toEqual(['value', 'temp']);
    expect(hotend!.thresholds).toEqual({
      temp: { Upper: hotend!.metrics[0]!.suggested!.Upper, Severity: 'critical' },
      fan: { Lower: hotend!.metrics[1]!.suggested!.Lower, Upper: hotend!.metrics[1]!.suggested!.Upper },
    });
    expect(await item('Multi')).toMatchObject({ Thresholds: multi!.thresholds, Window: 2 });
    expect(await item('Hotend')).toMatchObject({ Thresholds: hotend!.thresholds, Window: 1 });
  });

  it('--write judges each profile as it will be stored: a duration printer without Window is written; one whose Clear the suggestion would break is reported, the others written', async () => {
    const stored = {
      Slow: { Thresholds: { Lower: 45, Upper: 55 }, Mode: 'duration', DurationSeconds: 30, Severity: 'minor' },
      Cleared: { Thresholds: { Lower: 0, Upper: 100 }, Window: 2, Clear: { Lower: 10, Upper: 90 }, Latch: true },
    };
    for (const [PrinterId, profile] of Object.entries(stored)) {
      await admin.send(new PutItemCommand({ TableName: table, Item: marshall({ PrinterId, ...profile, EventCount: 3 }) }));
    }
    const files = { readings: join(dir, 'stored-readings.json'), profiles: join(dir, 'stored-profiles.json') };
    writeFileSync(
      files.readings,
      JSON.stringify([
        ...values(100, 6).map((value, i) => ({ PrinterId: 'Slow', data: { value }, seq: i + 1 })),
        // A second metric: the suggestion is a metric map, which the original-form Clear cannot go with.
        ...values(100, 7).map((value, i) => ({ PrinterId: 'Cleared', data: { value, temp: value + 150 }, seq: i + 1 })),
      ]),
    );
    writeFileSync(files.profiles, JSON.stringify(Object.entries(stored).map(([PrinterId, profile]) => ({ PrinterId, ...profile }))));
    const before = await item('Cleared');
    const result = await runCliProcess(CLI, [
      '--file',
      files.readings,
      '--profiles',
      files.profiles,
      '--write',
      '--endpoint',
      dynamo.endpoint,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^npm run calibrate: Cleared: not written, the profile it would leave is refused: Clear[^\n]+\n$/);
    expect(result.stdout).toContain('wrote 1 profile(s)');
    const slow = await item('Slow');
    expect(slow).toMatchObject({ Mode: 'duration', DurationSeconds: 30, Severity: 'minor', EventCount: 3 });
    expect(slow!['Thresholds']).not.toEqual(stored.Slow.Thresholds);
    expect(slow).not.toHaveProperty('Window');
    expect(await item('Cleared')).toEqual(before);
  });

  it.each([
    [
      'profiles',
      '[{"PrinterId":"Hot","Thresholds":{"Lower":1,"Upper":2},"Window":0}]',
      'profile 1 (Hot): Window must be an integer >= 1, got 0',
    ],
    ['readings', '{"PrinterId":"Hot","data":{"value":"hot"}}\n', '1: data.value must be a number, got string'],
  ])('refuses invalid %s with --write: one line, exit 1, nothing written', async (which, content, reason) => {
    const bad = join(dir, `bad-${which}.json`);
    writeFileSync(bad, content);
    const before = await allItems(admin, table);
    const files = which === 'profiles' ? ['--file', readingsFile, '--profiles', bad] : ['--file', bad, '--profiles', profilesFile];
    const result = await runCliProcess(CLI, [...files, '--write', '--endpoint', dynamo.endpoint]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`npm run calibrate: ${bad}${which === 'readings' ? ':' : ': '}${reason}\n`);
    expect(await allItems(admin, table)).toEqual(before);
  });

  it.each([
    [['--profiles', 'p.json'], /--file READINGS is required/],
    [['--file', 'r.json', '--quantile', '0.5'], /--quantile must be a number between 0 and 0.5 \(exclusive\), got "0.5"/],
    [['--file', 'r.json', '--margin', '-1'], /--margin must be a number from 0 to 100, got "-1"/],
    [['--file', 'r.json', '--min-readings', '1'], /--min-readings must be a whole number from 2/],
  ])('%j is a usage error (exit 2)', async (args, stderr) => {
    const result = await runCliProcess(CLI, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(stderr);
  });
});

describe('npm run calibrate against the live table', () => {
  // LiveA leaves its Window to the fleet defaults; LiveB has its own. Neither is in any profiles file.
  const stored = {
    '*': { Window: 4 },
    LiveA: { Thresholds: { Lower: 45, Upper: 55 } },
    LiveB: { Thresholds: { Lower: 0, Upper: 100 }, Window: 2 },
  };
  const liveReadings = [
    ...values(300, 11).map((value, i) => ({ PrinterId: 'LiveA', data: { value }, seq: i + 1 })),
    ...values(100, 12).map((value, i) => ({ PrinterId: 'LiveB', data: { value }, seq: i + 1 })),
  ];
  /** What the core says with the table's profiles, the fleet defaults filled in. */
  const live = () =>
    calibrate(asReadings(liveReadings), [
      { PrinterId: 'LiveA', Thresholds: { Lower: 45, Upper: 55 }, Window: 4 },
      { PrinterId: 'LiveB', Thresholds: { Lower: 0, Upper: 100 }, Window: 2 },
    ]);
  let liveFile: string;

  beforeAll(async () => {
    liveFile = join(dir, 'live-readings.jsonl');
    writeFileSync(liveFile, `${liveReadings.map((r) => JSON.stringify(r)).join('\n')}\n`);
  });
  beforeEach(async () => {
    for (const [PrinterId, profile] of Object.entries(stored)) {
      await admin.send(new PutItemCommand({ TableName: table, Item: marshall({ PrinterId, ...profile }) }));
    }
  });
  afterAll(async () => {
    await admin.send(new PutItemCommand({ TableName: table, Item: marshall({ PrinterId: '*' }) }));
  });

  it('judges against the profiles stored in the table, with the fleet defaults filled in', async () => {
    const result = await runCliProcess(CLI, ['--file', liveFile, '--json', '--endpoint', dynamo.endpoint]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(result.stdout);
    expect(report.profiles).toBe(`${table} at ${dynamo.endpoint}`);
    expect(report.printers).toEqual(live());
    expect(report.printers.map((p: { PrinterId: string; window: number }) => [p.PrinterId, p.window])).toEqual([
      ['LiveA', 4],
      ['LiveB', 2],
    ]);
    const table_ = await runCliProcess(CLI, ['--file', liveFile, '--endpoint', dynamo.endpoint]);
    expect(table_.stdout).toContain(`Current profiles: ${table} at ${dynamo.endpoint}, with the fleet defaults (*) filled in.`);
  });

  it('warns when a suggested band flags none of what the current one flags, and counts the events it would have silenced', async () => {
    const a = live().find((p) => p.PrinterId === 'LiveA')!;
    expect(a.current!.events).toBeGreaterThan(0);
    expect(a.suggested!.events).toBe(0);
    const result = await runCliProcess(CLI, ['--file', liveFile, '--json', '--endpoint', dynamo.endpoint]);
    expect(JSON.parse(result.stdout).warnings).toEqual([
      `LiveA: the suggested value band flags 0% of the readings; the current one flags ${(a.metrics[0]!.current!.flaggedShare * 100).toFixed(1)}%: every past anomaly would be taken as normal`,
      `LiveA: the suggestion would have silenced ${a.current!.events} of the ${a.current!.events} event(s) the current profile raised`,
    ]);
    const text = await runCliProcess(CLI, ['--file', liveFile, '--endpoint', dynamo.endpoint]);
    expect(text.stdout).toMatch(/^warning: LiveA: the suggestion would have silenced \d+ of the \d+ event\(s\)/m);
    // LiveB's band flagged nothing before either: nothing to warn about.
    expect(text.stdout).not.toMatch(/^warning: LiveB/m);
  });

  it('--write writes where the suggestion differs, keeps an inherited Window inherited, and says why it wrote 0', async () => {
    const first = await runCliProcess(CLI, ['--file', liveFile, '--write', '--endpoint', dynamo.endpoint]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`wrote 2 profile(s) into ${table} at ${dynamo.endpoint}\n`);
    const a = await item('LiveA');
    expect(a!['Thresholds']).toEqual({ Lower: live()[0]!.metrics[0]!.suggested!.Lower, Upper: live()[0]!.metrics[0]!.suggested!.Upper });
    expect(a).not.toHaveProperty('Window');
    const before = await allItems(admin, table);
    const again = await runCliProcess(CLI, ['--file', liveFile, '--write', '--endpoint', dynamo.endpoint]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`wrote 0 profile(s) into ${table} at ${dynamo.endpoint}: every suggestion equals the stored profile\n`);
    expect(await allItems(admin, table)).toEqual(before);

    const sparse = join(dir, 'live-sparse.jsonl');
    writeFileSync(
      sparse,
      `${liveReadings
        .slice(0, 5)
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    );
    const none = await runCliProcess(CLI, ['--file', sparse, '--write', '--endpoint', dynamo.endpoint]);
    expect(none.stdout).toContain('wrote 0 profile(s) into');
    expect(none.stdout).toMatch(/: no suggestion to write: no printer has enough readings\n$/);
  });
});
