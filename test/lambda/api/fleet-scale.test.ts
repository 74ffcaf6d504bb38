/**
 * The fleet view and the alarm list at 10,000 printers, on dynalite through
 * the operator API: a page of the listing, a page of a search and a page of
 * alarms each read a bounded number of items (counted per request, not timed),
 * and walking the pages gives exactly the printers an independent filter of
 * the seeded fleet gives, in the listing's order.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingClient, type CountingClient } from '../../../bench/dynamodb.ts';
import { batchWrite } from '../../../bench/workload.ts';
import { ALARM_LISTING_ORDER, ALARM_PARTITION_VALUE, type AlarmState, alarmKey, DEFAULT_TABLE_NAME } from '../../../contract/index.ts';
import type { AlarmWriter } from '../../../lambda/alarm-writer.ts';
import { SEARCH_ITEMS_PER_PAGE } from '../../../lambda/adapters/fleet-pages.ts';
import { DynamoDbFleet } from '../../../lambda/adapters/fleet-operations.ts';
import { createApi } from '../../../lambda/api/app.ts';
import { ensureProfilesTable, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../../twin/dynamodb.ts';

const PRINTERS = 10_000;
const table = DEFAULT_TABLE_NAME;
const ids = Array.from({ length: PRINTERS }, (_, i) => `Press-${String(i).padStart(5, '0')}${i % 7 === 0 ? '-Lab' : ''}`);
/** Every 40th printer has an alarm, in a state cycling through the listing's states. */
const alarmOf = (i: number): Exclude<AlarmState, 'NORMAL'> | undefined =>
  i % 40 === 0 ? ALARM_LISTING_ORDER[(i / 40) % ALARM_LISTING_ORDER.length] : undefined;

let dynamo: EmbeddedDynamoDb;
let admin: DynamoDBClient;
let counting: CountingClient;
let api: ReturnType<typeof createApi>;

function item(id: string, i: number): Record<string, AttributeValue> {
  const state = alarmOf(i);
  return {
    PrinterId: { S: id },
    Thresholds: { M: { Lower: { N: '20' }, Upper: { N: '80' } } },
    Window: { N: '3' },
    OutOfBoundsCount: { N: '0' },
    EventCount: { N: String(i % 5) },
    ...(state
      ? {
          Alarm: {
            M: { State: { S: state }, Severity: { S: 'major' }, Cause: { S: 'threshold' }, Since: { S: '2026-12-07T08:00:00.000Z' } },
          },
          AlarmPartition: { S: ALARM_PARTITION_VALUE },
          AlarmKey: { S: alarmKey(state, id) },
        }
      : {}),
  };
}

beforeAll(async () => {
  dynamo = await startDynamoDb();
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, table);
  await batchWrite(admin, table, [...ids.map(item), { PrinterId: { S: '*' }, Window: { N: '1' } }], 8);
  counting = countingClient(dynamo.endpoint);
  // These tests only read: an alarm writer is never reached.
  const writer = { apply: () => Promise.reject(new Error('read-only test')) } as unknown as AlarmWriter;
  api = createApi(new DynamoDbFleet({ client: counting.client, tableName: table, writer }), { by: () => 'test' });
}, 180_000);

afterAll(async () => {
  counting?.client.destroy();
  admin?.destroy();
  await dynamo?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: answers of several shapes.
async function get(path: string): Promise<any> {
  const response = await api.request(path);
  expect(response.status, path).toBe(200);
  return response.json();
}

/** Every page from `path`, with the items each page read. */
async function walk(path: string): Promise<{ ids: string[]; reads: number[]; pages: number }> {
  const found: string[] = [];
  const reads: number[] = [];
  let cursor: string | null = null;
  do {
    counting.reset();
    const sep = path.includes('?') ? '&' : '?';
    const page: { printers: { PrinterId: string }[]; next: string | null } = await get(
      cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`,
    );
    reads.push(counting.counts().itemsRead);
    found.push(...page.printers.map((p) => p.PrinterId));
    cursor = page.next;
  } while (cursor !== null);
  return { ids: found, reads, pages: reads.length };
}

describe('a fleet of 10,000 printers', () => {
  it('a page of GET /api/printers reads its page, not the table', async () => {
    counting.reset();
    const page = await get('/api/printers?limit=50');
    expect(page.printers).toHaveLength(50);
    expect(page.next).toEqual(expect.any(String));
    expect(counting.counts()).toMatchObject({ total: 1, itemsRead: 50 });
  });

  it('search: case-insensitive, each page reads at most 2,000 items, and all pages give exactly the matching printers', async () => {
    counting.reset();
    const first = await get('/api/printers?search=lAB&limit=20');
    expect(first.printers).toHaveLength(20);
    expect(counting.counts().itemsRead).toBeLessThanOrEqual(SEARCH_ITEMS_PER_PAGE + 20);
    const { ids: found, reads } = await walk('/api/printers?search=lAB&limit=100');
    expect(found.sort()).toEqual(ids.filter((id) => id.toLowerCase().includes('lab')).sort());
    // The keys it scans, plus one batch read of the page's printers.
    for (const read of reads) expect(read).toBeLessThanOrEqual(SEARCH_ITEMS_PER_PAGE + 100);
  });

  it('a search that matches one printer finds it in a few pages, each bounded', async () => {
    const { ids: found, reads, pages } = await walk('/api/printers?search=press-04321&limit=10');
    expect(found).toEqual(['Press-04321']);
    expect(pages).toBeLessThanOrEqual(Math.ceil(PRINTERS / SEARCH_ITEMS_PER_PAGE) + 1);
    for (const read of reads) expect(read).toBeLessThanOrEqual(SEARCH_ITEMS_PER_PAGE + 1);
  });

  it('GET /api/alarms pages in listing order, each page reading only its alarms', async () => {
    const expected = ids
      .flatMap((id, i) => (alarmOf(i) ? [{ id, rank: ALARM_LISTING_ORDER.indexOf(alarmOf(i) as never) }] : []))
      .sort((a, b) => a.rank - b.rank || (a.id < b.id ? -1 : 1))
      .map((a) => a.id);
    const { ids: found, reads } = await walk('/api/alarms?limit=60');
    expect(found).toEqual(expected);
    // One page: 60 index entries, then 60 items.
    for (const read of reads) expect(read).toBeLessThanOrEqual(120);
    counting.reset();
    const whole = await get('/api/alarms');
    expect({ ids: whole.printers.map((p: { PrinterId: string }) => p.PrinterId), next: whole.next }).toEqual({ ids: expected, next: null });
  });
});
