/**
 * Ranking printers by anomaly events: top-N from the ranking index without a
 * Scan, ties by PrinterId, the zero-event fill, and the CLI's output and errors.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGET_RULE } from '../../cli/kit.ts';
import { renderRanking } from '../../cli/ranking-table.ts';
import { allPrinters, compareRanked, topPrinters, type RankedPrinter } from '../../lambda/adapters/ranking-query.ts';
import { DEFAULT_TABLE_NAME, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import { ensureProfilesTable, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';
import { runCliProcess } from '../support/twin.ts';

let dynamo: EmbeddedDynamoDb;
let admin: DynamoDBClient;
const table = DEFAULT_TABLE_NAME;

// 20 printers with events (with ties), 10 without; ids chosen so that string order differs from numeric order.
const withEvents: RankedPrinter[] = Array.from({ length: 20 }, (_, i) => ({
  PrinterId: `Printer${i + 1}`,
  EventCount: [5, 3, 3, 9, 1][i % 5]!,
}));
const withoutEvents: RankedPrinter[] = Array.from({ length: 10 }, (_, i) => ({ PrinterId: `Idle${i + 1}`, EventCount: 0 }));
const expected = [...withEvents, ...withoutEvents].sort(compareRanked);

/** A client that counts the requests it sends, per command. */
function countingClient() {
  const client = localDynamoDbClient(dynamo.endpoint);
  const requests: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => (args) => {
      requests[context.commandName ?? '?'] = (requests[context.commandName ?? '?'] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return { client, requests };
}

beforeAll(async () => {
  dynamo = await startDynamoDb();
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, table);
  const put = (p: RankedPrinter) =>
    admin.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          PrinterId: { S: p.PrinterId },
          Thresholds: { M: { Lower: { N: '20' }, Upper: { N: '80' } } },
          Window: { N: '3' },
          OutOfBoundsCount: { N: '0' },
          EventCount: { N: String(p.EventCount) },
          // What the detector writes with an event: the ranking index's keys.
          ...(p.EventCount > 0 ? { RankPartition: { S: RANK_PARTITION_VALUE }, RankKey: { S: rankKey(p.EventCount, p.PrinterId) } } : {}),
        },
      }),
    );
  await Promise.all([...withEvents, ...withoutEvents].map(put));
});

afterAll(async () => {
  admin?.destroy();
  await dynamo?.close();
});

describe('topPrinters', () => {
  it('reads the top N with one Query and no Scan, ties by PrinterId', async () => {
    const { client, requests } = countingClient();
    const top = await topPrinters(client, table, 7);
    expect(top.map(({ PrinterId, EventCount }) => ({ PrinterId, EventCount }))).toEqual(expected.slice(0, 7));
    expect(top.slice(0, 4).map((p) => p.PrinterId)).toEqual(['Printer14', 'Printer19', 'Printer4', 'Printer9']); // ties: string order
    expect(requests).toEqual({ QueryCommand: 1 });
    client.destroy();
  });

  it('still needs no Scan when exactly N printers have events', async () => {
    const { client, requests } = countingClient();
    expect(await topPrinters(client, table, 20)).toHaveLength(20);
    expect(requests.ScanCommand).toBeUndefined();
    client.destroy();
  });

  it('fills the top with zero-event printers (a Scan) only when fewer than N have events', async () => {
    const { client, requests } = countingClient();
    const top = await topPrinters(client, table, 25);
    expect(top.map(({ PrinterId, EventCount }) => ({ PrinterId, EventCount }))).toEqual(expected.slice(0, 25));
    expect(requests).toMatchObject({ QueryCommand: 1, ScanCommand: 1 });
    expect(await topPrinters(client, table, 100)).toHaveLength(30);
    client.destroy();
  });

  it('allPrinters ranks the whole table', async () => {
    expect((await allPrinters(admin, table)).map(({ PrinterId, EventCount }) => ({ PrinterId, EventCount }))).toEqual(expected);
  });

  it('renders a table for people', () => {
    expect(
      renderRanking([
        { PrinterId: 'Printer3', EventCount: 12, LastEventAt: '2026-01-01T00:00:00.000Z' },
        { PrinterId: 'P1', EventCount: 0 },
      ]),
    ).toBe(
      ['Rank  Printer   Events  Last event', '   1  Printer3      12  2026-01-01T00:00:00.000Z', '   2  P1             0  -'].join('\n'),
    );
  });
});

describe('npm run ranked', () => {
  it('prints the top N as a table', async () => {
    const text = await runCliProcess('cli/ranked.ts', ['--top', '3', '--endpoint-url', dynamo.endpoint]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout.trim().split('\n')).toEqual([
      'Rank  Printer    Events  Last event',
      '   1  Printer14       9  -',
      '   2  Printer19       9  -',
      '   3  Printer4        9  -',
    ]);
  });

  it.each([
    [['--top', '0'], 2, /^npm run ranked: --top must be a whole number from 1 to 1000000, got "0"\n$/],
    [['--bogus'], 2, /^npm run ranked: Unknown option '--bogus'.* \(see --help\)\n$/],
    [['--endpoint-url', 'not a url'], 2, /^npm run ranked: --endpoint must be an http\(s\) URL, got "not a url"\n$/],
    [['--endpoint', 'not a url'], 2, /^npm run ranked: --endpoint must be an http\(s\) URL, got "not a url"\n$/],
    // A negative number reaches the range check, with or without `=`, long or short.
    [['--top', '-5'], 2, /^npm run ranked: --top must be a whole number from 1 to 1000000, got "-5"\n$/],
    [['--top=-5'], 2, /^npm run ranked: --top must be a whole number from 1 to 1000000, got "-5"\n$/],
    [['-n', '-5'], 2, /^npm run ranked: --top must be a whole number from 1 to 1000000, got "-5"\n$/],
    [
      ['--endpoint-url', 'http://127.0.0.1:9'],
      1,
      /^npm run ranked: cannot reach DynamoDB at http:\/\/127\.0\.0\.1:9 \(is the local twin running\? npm run local\)\n$/,
    ],
    [['--table', 'Nope'], 1, /^npm run ranked: table Nope not found at http:/],
  ])('%j fails with one line and exit code %i', async (args, code, message) => {
    const withEndpoint = args.some((a) => a.startsWith('--endpoint')) ? args : [...args, '--endpoint-url', dynamo.endpoint];
    const result = await runCliProcess('cli/ranked.ts', withEndpoint);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('reads the twin, not AWS, when only --table is given and nothing is deployed (the one target rule)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ranked-'));
    try {
      // No cdk-outputs.json in cwd and no --region: the twin's default endpoint, which nothing serves here.
      const result = await runCliProcess('cli/ranked.ts', ['--table', 'PrinterProfiles'], { cwd, env: { AWS_REGION: '' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'npm run ranked: cannot reach DynamoDB at http://127.0.0.1:8000 (is the local twin running? npm run local)\n',
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('says in one line that a TLS endpoint was given for the plain-HTTP twin', async () => {
    const result = await runCliProcess('cli/ranked.ts', ['--endpoint', dynamo.endpoint.replace('http:', 'https:')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^npm run ranked: https:\/\/127\.0\.0\.1:\d+ does not speak TLS: use http:\/\/ for the local twin\n$/);
  });

  it('states the target rule in --help', async () => {
    const result = await runCliProcess('cli/ranked.ts', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(TARGET_RULE);
  });
});
