import { RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
/**
 * Seeding profiles: validation before anything is written, and counters that
 * are never reset, through the library and `npm run seed`.
 */
import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { parseProfiles } from '../../lambda/core/profile-input.ts';
import { InvalidProfileError } from '../../lambda/errors.ts';
import { loadProfilesFile } from '../../twin/profiles-file.ts';
import { DEFAULT_TABLE_NAME } from '../../contract/index.ts';
import { ensureProfilesTable, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';
import { putOriginalProfile } from '../support/profiles.ts';
import { allItems, runCliProcess } from '../support/twin.ts';

let dynamo: EmbeddedDynamoDb;
let admin: DynamoDBClient;
let dir: string;
const table = DEFAULT_TABLE_NAME;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, table);
  dir = mkdtempSync(join(tmpdir(), 'seed-'));
});

afterAll(async () => {
  admin?.destroy();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function item(id: string) {
  const { Item } = await admin.send(new GetItemCommand({ TableName: table, Key: { PrinterId: { S: id } }, ConsistentRead: true }));
  return Item ? unmarshall(Item) : undefined;
}

const profile = (PrinterId: string, Lower: number, Upper: number, Window: number) => ({ PrinterId, Thresholds: { Lower, Upper }, Window });

describe('seedProfiles', () => {
  it('sets thresholds and window, creates counters at 0, and never resets existing counters', async () => {
    await putOriginalProfile(admin, table, 'Busy', 20, 80, 10);
    await admin.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { PrinterId: { S: 'Busy' } },
        UpdateExpression: 'SET EventCount = :e, OutOfBoundsCount = :o, LastValue = :v',
        ExpressionAttributeValues: { ':e': { N: '7' }, ':o': { N: '4' }, ':v': { N: '99' } },
      }),
    );
    await seedProfiles(admin, table, [profile('Busy', 25, 75, 5), profile('Fresh', 0, 1, 1)]);
    await seedProfiles(admin, table, [profile('Busy', 25, 75, 5), profile('Fresh', 0, 1, 1)]); // again: still nothing reset

    expect(await item('Busy')).toEqual({
      PrinterId: 'Busy',
      Thresholds: { Lower: 25, Upper: 75 },
      Window: 5,
      EventCount: 7,
      OutOfBoundsCount: 4,
      LastValue: 99,
      // Each write moves the revision on, and a printer outside the ranking index joins it at its count.
      Rev: 2,
      RankPartition: RANK_PARTITION_VALUE,
      RankKey: rankKey(7, 'Busy'),
    });
    expect(await item('Fresh')).toEqual({
      PrinterId: 'Fresh',
      Thresholds: { Lower: 0, Upper: 1 },
      Window: 1,
      EventCount: 0,
      OutOfBoundsCount: 0,
      Rev: 2,
      RankPartition: RANK_PARTITION_VALUE,
      RankKey: rankKey(0, 'Fresh'),
    });
  });
});

describe('profile validation', () => {
  it.each([
    [{}, 'expected a JSON array of profiles'],
    [[null], 'profile 1: expected an object'],
    [[{ PrinterId: '' }], 'profile 1: PrinterId must not be empty'],
    [[profile('A', 1, 2, 1), profile('B', 5, 1, 3)], 'profile 2 (B): Thresholds.Lower (5) is above Thresholds.Upper (1)'],
    [[profile('A', 1, 2, 0)], 'profile 1 (A): Window must be an integer >= 1, got 0'],
    [[profile('A', 1, 2, 1.5)], 'profile 1 (A): Window must be an integer >= 1, got 1.5'],
    [[{ PrinterId: 'A', Thresholds: { Lower: '1', Upper: 2 }, Window: 1 }], 'profile 1 (A): Thresholds.Lower is missing or not a number'],
    [[{ PrinterId: 'A', Treshold: {}, Window: 1 }], 'profile 1 (A): unknown attribute "Treshold"'],
    [[profile('A', 1, 2, 1), profile('A', 1, 2, 1)], 'profile 2 (A): PrinterId appears more than once'],
  ])('%j is refused: %s', (value, reason) => {
    expect(() => parseProfiles(value)).toThrow(new InvalidProfileError(reason));
  });

  it('accepts the original items with their counters (which are not written) and the shipped file', async () => {
    expect(parseProfiles([{ ...profile('A', 1, 2, 3), OutOfBoundsCount: 0, EventCount: 0 }])).toEqual([profile('A', 1, 2, 3)]);
    expect(await loadProfilesFile('data/printer_profiles.json')).toHaveLength(12);
  });
});

describe('npm run seed', () => {
  it('writes a valid file into the twin', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify([profile('Cli1', 10, 20, 2), profile('Cli2', 10, 20, 3)]));
    const result = await runCliProcess('cli/seed.ts', ['--file', file, '--endpoint-url', dynamo.endpoint]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`seeded 2 profile(s) into ${table} at ${dynamo.endpoint}\n`);
    expect(await item('Cli2')).toMatchObject({ Window: 3, EventCount: 0 });
  });

  it.each([
    [
      'bad.json',
      '[{"PrinterId":"Good","Thresholds":{"Lower":1,"Upper":2},"Window":1},{"PrinterId":"Bad","Thresholds":{"Lower":1,"Upper":2},"Window":-1}]',
      'profile 2 (Bad): Window must be an integer >= 1, got -1',
    ],
    ['broken.json', '[{"PrinterId":', 'not valid JSON'],
  ])('refuses %s with "file: reason" and writes nothing', async (name, content, reason) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    const before = (await allItems(admin, table)).length;
    const result = await runCliProcess('cli/seed.ts', ['--file', file, '--endpoint-url', dynamo.endpoint]);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toHaveLength(2); // one line
    expect(result.stderr).toContain(`npm run seed: ${file}: ${reason}`);
    expect(await item('Good')).toBeUndefined();
    expect(await allItems(admin, table)).toHaveLength(before);
  });

  it("judges the file's profiles with the table's fleet defaults when the file has none", async () => {
    const withDefaults = 'SeedWithDefaults';
    await ensureProfilesTable(admin, withDefaults);
    const target = ['--table', withDefaults, '--endpoint-url', dynamo.endpoint];
    const defaults = join(dir, 'defaults.json');
    writeFileSync(defaults, JSON.stringify([{ PrinterId: '*', Thresholds: { Lower: 0, Upper: 100 }, Window: 3 }]));
    expect(await runCliProcess('cli/seed.ts', ['--file', defaults, ...target])).toMatchObject({ code: 0, stderr: '' });
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify([{ PrinterId: 'Part', Mode: 'm-of-n', Of: 5 }]));
    expect(await runCliProcess('cli/seed.ts', ['--file', partial, ...target])).toMatchObject({ code: 0, stderr: '' });
    const tooSmall = join(dir, 'too-small.json');
    writeFileSync(tooSmall, JSON.stringify([{ PrinterId: 'Part', Mode: 'm-of-n', Of: 2 }]));
    const refused = await runCliProcess('cli/seed.ts', ['--file', tooSmall, ...target]);
    expect(refused).toMatchObject({ code: 1, stderr: `npm run seed: ${tooSmall}: profile 1 (Part): Of (2) is below Window (3)\n` });
  });

  it('reports a missing file in one line', async () => {
    const result = await runCliProcess('cli/seed.ts', ['--file', join(dir, 'missing.json'), '--endpoint-url', dynamo.endpoint]);
    expect(result).toMatchObject({ code: 1, stderr: `npm run seed: ${join(dir, 'missing.json')}: no such file\n` });
  });
});
