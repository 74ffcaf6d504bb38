import { RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
/**
 * `npm run profile`: get, set and validate as a user runs them (child
 * processes), against a real embedded DynamoDB: exit codes, one line per
 * problem, counters and bookkeeping kept, nothing written when invalid.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TABLE_NAME } from '../../contract/index.ts';
import { ensureProfilesTable, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';
import { putOriginalProfile } from '../support/profiles.ts';
import { allItems, exitCode, runCliProcess, spawnCli } from '../support/twin.ts';

let dynamo: EmbeddedDynamoDb;
let admin: DynamoDBClient;
let dir: string;
const table = DEFAULT_TABLE_NAME;
/** A table with fleet defaults, so that the other tests see none. */
const withDefaultsTable = 'ProfilesWithDefaults';
const CLI = 'cli/profile.ts';

beforeAll(async () => {
  dynamo = await startDynamoDb();
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, table);
  await ensureProfilesTable(admin, withDefaultsTable);
  dir = mkdtempSync(join(tmpdir(), 'profile-'));
});

afterAll(async () => {
  admin?.destroy();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function item(id: string, tableName = table) {
  const { Item } = await admin.send(new GetItemCommand({ TableName: tableName, Key: { PrinterId: { S: id } }, ConsistentRead: true }));
  return Item ? unmarshall(Item) : undefined;
}

/** A printer the detector has been working on: counters and bookkeeping beside the user's attributes. */
async function putBusyPrinter(id: string) {
  await putOriginalProfile(admin, table, id, 20, 80, 10);
  await admin.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { PrinterId: { S: id } },
      UpdateExpression: 'SET EventCount = :e, OutOfBoundsCount = :o, LastValue = :v, LastSeenAt = :at, LastSeq = :seq, RankKey = :rk',
      ExpressionAttributeValues: {
        ':e': { N: '7' },
        ':o': { N: '4' },
        ':v': { N: '99.5' },
        ':at': { S: '2026-11-20T10:00:00.000Z' },
        ':seq': { N: '120' },
        ':rk': { S: 'rank' },
      },
    }),
  );
}

const run = (args: readonly string[]) => runCliProcess(CLI, args);
const withTable = (args: readonly string[]) => run([...args, '--endpoint', dynamo.endpoint]);

describe('npm run profile -- validate', () => {
  it('exits 0 for valid profiles (the shipped file, one profile as --json)', async () => {
    const file = await run(['validate', '--file', 'data/printer_profiles.json']);
    expect(file).toEqual({ code: 0, stdout: 'data/printer_profiles.json: 12 profile(s), all valid\n', stderr: '' });
    const one = await run(['validate', '--json', '{"PrinterId":"A","Thresholds":{"Lower":1,"Upper":2},"Window":3}']);
    expect(one).toMatchObject({ code: 0, stdout: '--json: 1 profile(s), all valid\n' });
  });

  it('exits 1 with one line per bad field, naming the entry and the field', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify([
        { PrinterId: 'A', Thresholds: { Lower: 5, Upper: 1 }, Window: 0 },
        { PrinterId: 'B', Window: 2, Colour: 'red' },
      ]),
    );
    const result = await run(['validate', '--file', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `npm run profile: ${file}: profile 1 (A): Thresholds.Lower (5) is above Thresholds.Upper (1)`,
      `npm run profile: ${file}: profile 1 (A): Window must be an integer >= 1, got 0`,
      `npm run profile: ${file}: profile 2 (B): unknown attribute "Colour"`,
      `npm run profile: ${file}: profile 2 (B): Thresholds is missing or not a map`,
    ]);
  });

  it('reads a profile on stdin', async () => {
    const child = spawnCli(CLI, ['validate']);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end('{"PrinterId":"A","Thresholds":{"Lower":1,"Upper":2},"Window":1.5}');
    expect(await exitCode(child)).toBe(1);
    expect(stderr).toBe('npm run profile: stdin: profile (A): Window must be an integer >= 1, got 1.5\n');
  });

  it.each([
    [['validate', '--json', '{"PrinterId":'], 1, /^npm run profile: --json: not valid JSON \(.+\)\n$/],
    [['validate', '--file', '/nonexistent/p.json'], 1, /^npm run profile: \/nonexistent\/p\.json: no such file\n$/],
    [['validate', '--file', 'a.json', '--json', '{}'], 2, /^npm run profile: give --file or --json, not both\n$/],
    [['validate', '--lower', '1'], 2, /^npm run profile: Unknown option '--lower'/],
    [[], 2, /^npm run profile: expected a command: get, set or validate\n$/],
    [['remove', 'A'], 2, /^npm run profile: unknown command "remove"/],
  ])('%j exits %i with one line', async (args, code, stderr) => {
    const result = await run(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(stderr);
  });
});

describe('npm run profile -- get', () => {
  it("shows a printer's profile, counters and bookkeeping", async () => {
    await putBusyPrinter('Shown');
    const text = await withTable(['get', 'Shown']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(/^Shown\n/);
    expect(text.stdout).toMatch(/Thresholds +Lower 20, Upper 80\n/);
    expect(text.stdout).toMatch(/EventCount +7\n/);
    expect(text.stdout).toMatch(/LastSeenAt +2026-11-20T10:00:00.000Z\n/);

    const json = await withTable(['get', 'Shown', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      profile: { PrinterId: 'Shown', Thresholds: { Lower: 20, Upper: 80 }, Window: 10 },
      effective: { PrinterId: 'Shown', Thresholds: { Lower: 20, Upper: 80 }, Window: 10 },
      counters: { OutOfBoundsCount: 4, EventCount: 7 },
      bookkeeping: { LastValue: 99.5, LastSeenAt: '2026-11-20T10:00:00.000Z', LastSeq: 120, PendingEvents: 0 },
    });
  });

  it('names a stored profile the detector would refuse', async () => {
    await putOriginalProfile(admin, table, 'Broken', 9, 1, 1);
    const json = await withTable(['get', 'Broken', '--json']);
    expect(JSON.parse(json.stdout).configurationError).toBe('Thresholds.Lower (9) is above Thresholds.Upper (1)');
  });

  it('exits 1 with one line for an unknown printer, 2 without a PRINTER_ID', async () => {
    expect(await withTable(['get', 'Nobody'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `npm run profile: no printer "Nobody" in table ${table} at ${dynamo.endpoint}\n`,
    });
    expect((await withTable(['get'])).code).toBe(2);
  });
});

describe('npm run profile -- set', () => {
  it('writes Thresholds and Window only, keeping counters and bookkeeping', async () => {
    await putBusyPrinter('Kept');
    const before = await item('Kept');
    const result = await withTable(['set', 'Kept', '--lower', '-5', '--upper', '75.5', '--window', '3']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      'Kept: Thresholds 20..80 -> -5..75.5, Window 10 -> 3; counters kept (OutOfBoundsCount 4, EventCount 7)\n' +
        `wrote 1 profile(s) into ${table} at ${dynamo.endpoint}\n`,
    );
    // The write moves the revision on (readings computed with the old profile are judged again); the bookkeeping stays.
    expect(await item('Kept')).toEqual({ ...before, Thresholds: { Lower: -5, Upper: 75.5 }, Window: 3, Rev: 1 });
  });

  it('creates a new printer with its counters at 0', async () => {
    const result = await withTable(['set', 'Brand-new', '--lower', '1', '--upper', '2', '--window', '1']);
    expect(result.stdout).toContain('Brand-new: created with Thresholds 1..2, Window 1; counters start at 0');
    expect(await item('Brand-new')).toEqual({
      PrinterId: 'Brand-new',
      Thresholds: { Lower: 1, Upper: 2 },
      Window: 1,
      OutOfBoundsCount: 0,
      EventCount: 0,
      Rev: 1,
      RankPartition: RANK_PARTITION_VALUE,
      RankKey: rankKey(0, 'Brand-new'),
    });
  });

  it('writes nothing when a value is invalid, and says why', async () => {
    await putBusyPrinter('Untouched');
    const before = await allItems(admin, table);
    const result = await withTable(['set', 'Untouched', '--lower', '50', '--upper', '10', '--window', 'two']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'npm run profile: profile (Untouched): Thresholds.Lower (50) is above Thresholds.Upper (10)',
      'npm run profile: profile (Untouched): Window must be an integer >= 1, got "two"',
    ]);
    expect(await allItems(admin, table)).toEqual(before);
  });

  it('writes a file of profiles only when every one is valid', async () => {
    const bad = join(dir, 'some-bad.json');
    writeFileSync(
      bad,
      JSON.stringify([
        { PrinterId: 'FileA', Thresholds: { Lower: 1, Upper: 2 }, Window: 1 },
        { PrinterId: 'FileB', Thresholds: { Lower: 1, Upper: 2 }, Window: 0 },
      ]),
    );
    const refused = await withTable(['set', '--file', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`npm run profile: ${bad}: profile 2 (FileB): Window must be an integer >= 1, got 0\n`);
    expect(await item('FileA')).toBeUndefined();

    const good = join(dir, 'all-good.json');
    writeFileSync(
      good,
      JSON.stringify([
        { PrinterId: 'FileA', Thresholds: { Lower: 1, Upper: 2 }, Window: 1 },
        { PrinterId: 'FileB', Thresholds: { Lower: 3, Upper: 4 }, Window: 2 },
      ]),
    );
    const written = await withTable(['set', '--file', good]);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`wrote 2 profile(s) into ${table}`);
    expect(await item('FileB')).toMatchObject({ Thresholds: { Lower: 3, Upper: 4 }, Window: 2, EventCount: 0 });
  });

  it.each([
    [['set', 'A'], /needs an attribute to change/],
    [['set', 'A', '--lower', '1', '--window', '2'], /give --lower and --upper together/],
    [['set', 'A', '--window', '2', '--json', '{"Window":3}'], /Window is given twice/],
    [['set', 'A', '--file', 'x.json'], /not both/],
    [['set', '--lower', '1', '--upper', '2', '--window', '1'], /expected one PRINTER_ID, got 0/],
  ])('%j is a usage error (exit 2)', async (args, stderr) => {
    const result = await withTable(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(stderr);
  });

  it('reports an unreachable table in one line', async () => {
    const result = await run(['set', 'A', '--lower', '1', '--upper', '2', '--window', '1', '--endpoint', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('npm run profile: cannot reach DynamoDB at http://127.0.0.1:9 (is the local twin running? npm run local)\n');
  });
});

const ranked = (id: string, eventCount: number) => ({ RankPartition: RANK_PARTITION_VALUE, RankKey: rankKey(eventCount, id) });

/** A printer that uses every optional attribute, with counters and an armed silence deadline beside them. */
const FULL_PROFILE = {
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 2,
  Mode: 'm-of-n',
  Of: 5,
  Adaptive: { Sigma: 3 },
  Severity: 'critical',
  Clear: { Lower: 25, Upper: 75 },
  ClearAfter: 2,
  Latch: true,
  SilenceSeconds: 600,
  RenotifyMinutes: 30,
};

describe('npm run profile -- set changes only what it is given', () => {
  it('keeps every attribute it was not given (Mode, Of, Severity, Latch, Silence, Renotify, Clear, ...), counters and bookkeeping', async () => {
    await admin.send(
      new PutItemCommand({
        TableName: table,
        Item: marshall({ PrinterId: 'Full', ...FULL_PROFILE, EventCount: 4, OutOfBoundsCount: 1, LastSeenAt: '2026-11-20T10:00:00.000Z' }),
      }),
    );
    const before = await item('Full');
    const result = await withTable(['set', 'Full', '--lower', '10', '--upper', '90', '--window', '3']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Full: Thresholds 20\.\.80 -> 10\.\.90, Window 2 -> 3; counters kept/);
    // The write also ranks a printer that was not ranked yet (at its EventCount).
    expect(await item('Full')).toEqual({ ...before, Thresholds: { Lower: 10, Upper: 90 }, Window: 3, Rev: 1, ...ranked('Full', 4) });
  });

  it('--unset removes the attributes it names, and only them', async () => {
    await admin.send(new PutItemCommand({ TableName: table, Item: marshall({ PrinterId: 'Unset', ...FULL_PROFILE, EventCount: 2 }) }));
    const before = await item('Unset');
    const result = await withTable(['set', 'Unset', '--unset', 'SilenceSeconds', '--unset', 'Latch', '--severity', 'minor']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Severity critical -> minor, Latch true -> none, SilenceSeconds 600 -> none');
    const { SilenceSeconds: _s, Latch: _l, ...kept } = before!;
    expect(await item('Unset')).toEqual({ ...kept, Severity: 'minor', Rev: 1, OutOfBoundsCount: 0, ...ranked('Unset', 2) });
    const refused = await withTable(['set', 'Unset', '--unset', 'EventCount']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot unset "EventCount"/);
  });
});

describe('profiles that inherit from the fleet defaults', () => {
  const onDefaults = (args: readonly string[]) => withTable([...args, '--table', withDefaultsTable]);

  beforeAll(async () => {
    await admin.send(
      new PutItemCommand({
        TableName: withDefaultsTable,
        Item: marshall({ PrinterId: '*', Thresholds: { Lower: 0, Upper: 100 }, Window: 3, SilenceSeconds: 300 }),
      }),
    );
  });

  it('set accepts a profile the detector runs with the defaults (m-of-n inheriting Thresholds and Window)', async () => {
    const result = await onDefaults(['set', 'Inherits', '--mode', 'm-of-n', '--of', '5']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await item('Inherits', withDefaultsTable)).toMatchObject({ PrinterId: 'Inherits', Mode: 'm-of-n', Of: 5, EventCount: 0 });
    expect(await item('Inherits', withDefaultsTable)).not.toHaveProperty('Thresholds');
    // What the defaults make invalid is refused, naming where the bad value comes from.
    const refused = await onDefaults(['set', 'Inherits', '--of', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('npm run profile: profile (Inherits): Of (2) is below Window (3)\n');
  });

  it('get shows the whole profile and the effective settings, and no configuration error for a printer working through its defaults', async () => {
    await onDefaults(['set', 'Shown2', '--mode', 'm-of-n', '--of', '4']);
    const json = JSON.parse((await onDefaults(['get', 'Shown2', '--json'])).stdout);
    expect(json.profile).toEqual({ PrinterId: 'Shown2', Mode: 'm-of-n', Of: 4 });
    expect(json.effective).toEqual({
      PrinterId: 'Shown2',
      Thresholds: { Lower: 0, Upper: 100 },
      Window: 3,
      Mode: 'm-of-n',
      Of: 4,
      SilenceSeconds: 300,
    });
    expect(json).not.toHaveProperty('configurationError');
    const text = (await onDefaults(['get', 'Shown2'])).stdout;
    expect(text).toMatch(/Thresholds +Lower 0, Upper 100 \(from \*\)\n/);
    expect(text).toMatch(/Of +4\n/);
    expect(text).not.toContain('configuration error');
  });
});
