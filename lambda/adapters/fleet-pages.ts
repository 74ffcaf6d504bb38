/**
 * The paged views of the fleet an operator's dashboard needs at 10,000
 * printers (`docs/design.md`, "The operator API and the dashboard"): the
 * alarm list a page at a time from the sparse alarm index, and a search of
 * PrinterIds that reads a bounded share of the table per page. Both verify
 * their cursors as the other listings do (`cursors.ts`).
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  ALARM_LISTING_ORDER,
  ALARM_PARTITION_VALUE,
  type AlarmState,
  ATTR,
  FLEET_DEFAULTS_ID,
  PROFILES_TABLE,
} from '../../contract/index.ts';
import { CursorError, decodeCursor, encodeCursor, fromCursor } from './cursors.ts';
import { toItem } from './dynamodb-values.ts';

/** Ids of one page, in listing order, and the cursor of the next page (null on the last). */
export interface IdPage {
  readonly ids: readonly string[];
  readonly next: string | null;
}

/**
 * Items a search reads per page, at most: a Scan reads every item it passes
 * whatever the filter, so a search pays for the items it looks at, not the
 * ones it finds; this bound keeps each page's cost flat in fleet size.
 */
export const SEARCH_ITEMS_PER_PAGE = 2000;
/** Items one Scan request of a search reads (DynamoDB also stops a request at 1 MB). */
const SEARCH_ITEMS_PER_REQUEST = 1000;

const { alarmIndex } = PROFILES_TABLE;
const ALARM_PAGE_KEY = [ATTR.printerId, alarmIndex.partitionKey.name, alarmIndex.sortKey.name];

/** One page of the alarm index (in listing order), `limit` alarms from `cursor`, only `state` when given. */
export async function alarmIdPage(
  client: DynamoDBClient,
  tableName: string,
  query: { readonly state?: AlarmState; readonly cursor?: string; readonly limit: number },
): Promise<IdPage> {
  const prefix = query.state === undefined ? undefined : `${ALARM_LISTING_ORDER.indexOf(query.state as never)}#`;
  const start =
    query.cursor === undefined
      ? undefined
      : decodeCursor(query.cursor, { names: ALARM_PAGE_KEY, pinned: { [alarmIndex.partitionKey.name]: ALARM_PARTITION_VALUE } });
  // A cursor of another state's listing would start outside this one's key range.
  if (start !== undefined && prefix !== undefined && !start[alarmIndex.sortKey.name]?.S?.startsWith(prefix)) {
    throw new CursorError('cursor is not one this API gave for this query');
  }
  const page = await fromCursor(start, () =>
    client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: alarmIndex.indexName,
        KeyConditionExpression: prefix ? '#p = :p AND begins_with(#k, :k)' : '#p = :p',
        ExpressionAttributeNames: { '#p': alarmIndex.partitionKey.name, ...(prefix ? { '#k': alarmIndex.sortKey.name } : {}) },
        ExpressionAttributeValues: toItem({ ':p': ALARM_PARTITION_VALUE, ...(prefix ? { ':k': prefix } : {}) }),
        Limit: query.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    ),
  );
  const ids = (page.Items ?? []).map((item) => item[ATTR.printerId]?.S).filter((id): id is string => id !== undefined);
  return { ids, next: page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : null };
}

/**
 * PrinterIds containing `search`, case-insensitively, from `cursor`: up to
 * `limit` of them, reading at most {@link SEARCH_ITEMS_PER_PAGE} items (keys
 * only come back). A page may hold fewer than `limit` ids, even none, and
 * still have a next one: the search goes on from there. Nothing is stored for
 * it: DynamoDB's `contains` is case-sensitive, so the ids are compared here.
 */
export async function searchIdPage(
  client: DynamoDBClient,
  tableName: string,
  query: { readonly search: string; readonly cursor?: string; readonly limit: number },
): Promise<IdPage> {
  const wanted = query.search.toLowerCase();
  let start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, { names: [ATTR.printerId] });
  const ids: string[] = [];
  let read = 0;
  while (read < SEARCH_ITEMS_PER_PAGE) {
    const from = start;
    const page = await fromCursor(from, () =>
      client.send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: '#id',
          ExpressionAttributeNames: { '#id': ATTR.printerId },
          Limit: Math.min(SEARCH_ITEMS_PER_REQUEST, SEARCH_ITEMS_PER_PAGE - read),
          ...(from ? { ExclusiveStartKey: from } : {}),
        }),
      ),
    );
    const items = page.Items ?? [];
    read += Math.max(page.ScannedCount ?? items.length, 1);
    for (const [index, item] of items.entries()) {
      const id = item[ATTR.printerId]?.S;
      if (id === undefined || id === FLEET_DEFAULTS_ID || !id.toLowerCase().includes(wanted)) continue;
      ids.push(id);
      if (ids.length === query.limit) {
        // The page ends on this id; a Scan continues after any item's key, so the next one starts right after it.
        const more = index < items.length - 1 || page.LastEvaluatedKey !== undefined;
        return { ids, next: more ? encodeCursor({ [ATTR.printerId]: { S: id } }) : null };
      }
    }
    start = page.LastEvaluatedKey as Record<string, AttributeValue> | undefined;
    if (start === undefined) return { ids, next: null };
  }
  return { ids, next: start === undefined ? null : encodeCursor(start) };
}
