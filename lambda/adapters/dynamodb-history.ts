/**
 * The history table (`PrinterEvents`): every anomaly event and alarm
 * transition, exactly once. Keys are deterministic (the item's time, kind and
 * number), so recording an item again (a retried delivery) overwrites it with
 * itself. Queried per printer by time range, and fleet-wide newest first
 * through an index; both paginated, neither scans.
 */
import { BatchWriteItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sleep } from '../../common/async.ts';
import { EVENT_ATTR, EVENTS_TABLE, FEED_PARTITION_VALUE, type HistoryItem } from '../../contract/index.ts';
import { ProfileStoreError } from '../errors.ts';
import type { HistoryRecorder } from '../ports.ts';
import { fromItem, toItem } from './dynamodb-values.ts';
import { decodeCursor, encodeCursor, fromCursor } from './cursors.ts';

/** A page of history, newest first; `next` continues it. */
export interface HistoryPage {
  readonly items: HistoryItem[];
  readonly next: string | null;
}

export interface HistoryRange {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, inclusive. */
  readonly until?: number;
  readonly limit: number;
  readonly cursor?: string;
}

/** The item's sort key: its time, `E` and the EventCount, or `T` and the transition's number. */
export function historyKey(item: HistoryItem, number: number): string {
  return item.Type === 'event' ? `${item.at}#E#${String(number).padStart(15, '0')}` : `${item.At}#T#${String(number).padStart(10, '0')}`;
}

function timeOf(item: HistoryItem): string {
  return item.Type === 'event' ? item.at : item.At;
}

/** The keys a printer's history pages end on, and the fleet history's (the table's and the index's). */
const PRINTER_PAGE = [EVENT_ATTR.printerId, EVENT_ATTR.key];
const FEED_PAGE = [EVENT_ATTR.printerId, EVENT_ATTR.key, EVENT_ATTR.feed, EVENT_ATTR.feedKey];

const STORAGE_KEYS = new Set<string>([EVENT_ATTR.key, EVENT_ATTR.feed, EVENT_ATTR.feedKey, EVENT_ATTR.expiresAt]);

/** The item as published plus `Type`, without storage keys. */
function toHistoryItem(item: Record<string, AttributeValue>): HistoryItem {
  const plain = fromItem(item);
  for (const key of Object.keys(plain)) if (STORAGE_KEYS.has(key)) delete plain[key];
  return plain as unknown as HistoryItem;
}

/** The item as stored: its keys, the fleet-wide index's keys and its expiry (`historyDays` after it happened). */
export function storedHistoryItem(item: HistoryItem, number: number, historyDays: number): Record<string, AttributeValue> {
  const key = historyKey(item, number);
  const at = timeOf(item);
  return toItem({
    ...item,
    [EVENT_ATTR.key]: key,
    [EVENT_ATTR.feed]: FEED_PARTITION_VALUE,
    [EVENT_ATTR.feedKey]: `${at}#${item.PrinterId}#${key}`,
    [EVENT_ATTR.expiresAt]: Math.floor(Date.parse(at) / 1000) + historyDays * 86_400,
  });
}

export class DynamoDbHistory implements HistoryRecorder {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly historyDays: number,
  ) {}

  /** One BatchWriteItem per 25 items; what DynamoDB leaves unprocessed is sent again, a few times, then the call fails. */
  async record(items: readonly { readonly item: HistoryItem; readonly number: number }[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let requests = items.slice(i, i + 25).map(({ item, number }) => ({ PutRequest: { Item: this.stored(item, number) } }));
      for (let attempt = 1; requests.length > 0; attempt += 1) {
        if (attempt > 5) throw new ProfileStoreError(`recording history failed: ${requests.length} item(s) left unprocessed`);
        if (attempt > 1) await sleep(Math.min(1000, 25 * 2 ** attempt));
        try {
          const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } }));
          requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        } catch (error) {
          throw new ProfileStoreError(`recording history failed: ${(error as Error).message}`, { cause: error });
        }
      }
    }
  }

  private stored(item: HistoryItem, number: number): Record<string, AttributeValue> {
    return storedHistoryItem(item, number, this.historyDays);
  }

  /** A printer's history, newest first, within the range. */
  async printer(printerId: string, range: HistoryRange): Promise<HistoryPage> {
    const start =
      range.cursor === undefined
        ? undefined
        : decodeCursor(range.cursor, { names: PRINTER_PAGE, pinned: { [EVENT_ATTR.printerId]: printerId } });
    return this.newestFirst(range, start, { partition: [EVENT_ATTR.printerId, printerId], sortKey: EVENT_ATTR.key });
  }

  /**
   * One page of a partition's items whose sort key (starting with the ISO time) lies in the range, newest
   * first: every key of the `until` millisecond sorts below the upper bound.
   */
  private async newestFirst(
    range: HistoryRange,
    start: Record<string, AttributeValue> | undefined,
    on: { readonly partition: readonly [string, string]; readonly sortKey: string; readonly indexName?: string },
  ): Promise<HistoryPage> {
    const lower = range.since === undefined ? '' : new Date(range.since).toISOString();
    const upper = range.until === undefined ? '\uffff' : `${new Date(range.until).toISOString()}\uffff`;
    const page = await fromCursor(start, () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(on.indexName ? { IndexName: on.indexName } : {}),
          KeyConditionExpression: '#p = :p AND #k BETWEEN :lo AND :hi',
          ExpressionAttributeNames: { '#p': on.partition[0], '#k': on.sortKey },
          ExpressionAttributeValues: toItem({ ':p': on.partition[1], ':lo': lower, ':hi': upper }),
          ScanIndexForward: false,
          Limit: range.limit,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    const last = page.LastEvaluatedKey;
    return { items: (page.Items ?? []).map(toHistoryItem), next: last ? encodeCursor(last) : null };
  }

  /** The fleet's history, newest first, within the range: one Query on the fleet-wide index per page. */
  async fleet(range: HistoryRange): Promise<HistoryPage> {
    const { feedIndex } = EVENTS_TABLE;
    const start =
      range.cursor === undefined
        ? undefined
        : decodeCursor(range.cursor, { names: FEED_PAGE, pinned: { [EVENT_ATTR.feed]: FEED_PARTITION_VALUE } });
    return this.newestFirst(range, start, {
      partition: [EVENT_ATTR.feed, FEED_PARTITION_VALUE],
      sortKey: EVENT_ATTR.feedKey,
      indexName: feedIndex.indexName,
    });
  }

  /**
   * How many events and transitions fall in each of `buckets` equal spans of [since, until] (epoch ms, inclusive),
   * oldest first: the fleet-wide index over the range, keys only (the kind is the key's `#E#` or `#T#`).
   */
  async counts(since: number, until: number, buckets: number): Promise<HistoryBucket[]> {
    const { feedIndex } = EVENTS_TABLE;
    const width = Math.max(1, Math.ceil((until - since + 1) / buckets));
    const out = Array.from({ length: buckets }, (_, i) => ({
      start: new Date(since + i * width).toISOString(),
      events: 0,
      transitions: 0,
    }));
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: feedIndex.indexName,
          KeyConditionExpression: '#p = :p AND #k BETWEEN :lo AND :hi',
          ExpressionAttributeNames: { '#p': EVENT_ATTR.feed, '#k': EVENT_ATTR.feedKey },
          ExpressionAttributeValues: toItem({
            ':p': FEED_PARTITION_VALUE,
            ':lo': new Date(since).toISOString(),
            ':hi': `${new Date(until).toISOString()}\uffff`,
          }),
          ProjectionExpression: '#k',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const key = item[EVENT_ATTR.feedKey]?.S ?? '';
        const at = Date.parse(key.slice(0, key.indexOf('#')));
        const bucket = out[Math.min(buckets - 1, Math.floor((at - since) / width))];
        if (bucket === undefined || Number.isNaN(at)) continue;
        if (/#T#\d+$/.test(key)) bucket.transitions += 1;
        else bucket.events += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

/** One span of a time range: when it starts (ISO), and the events and transitions in it. */
export interface HistoryBucket {
  readonly start: string;
  readonly events: number;
  readonly transitions: number;
}
