/**
 * Printers ranked by anomaly events: EventCount descending, ties by PrinterId
 * ascending. The one ranking query: `npm run ranked`, `npm start` and the benchmarks run it.
 *
 * Top-N reads the `ByEventCount` index, whose sort key already encodes that
 * order: one Query with `Limit`, so its cost does not grow with the fleet.
 * Only printers with at least one event are in the index; when fewer than N
 * have one, the rest of the top is filled with zero-event printers, which
 * needs a Scan (the table has no index over them).
 */
import { QueryCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR, eventCountOfRankKey, FLEET_DEFAULTS_ID, PROFILES_TABLE, RANK_PARTITION_VALUE } from '../../contract/index.ts';

/** One printer of a ranking. */
export interface RankedPrinter {
  readonly PrinterId: string;
  readonly EventCount: number;
  /** When its latest event was counted (ISO), if it has had one. */
  readonly LastEventAt?: string;
}

type Item = Record<string, AttributeValue>;

function toRanked(item: Item): RankedPrinter | undefined {
  const printerId = item[ATTR.printerId]?.S;
  // The fleet defaults are not a printer: never ranked.
  if (printerId === undefined || printerId === FLEET_DEFAULTS_ID) return undefined;
  const stored = item[ATTR.eventCount]?.N;
  const rank = item[ATTR.rankKey]?.S;
  const count = stored !== undefined ? Number(stored) : rank !== undefined ? eventCountOfRankKey(rank) : 0;
  const lastEventAt = item[ATTR.lastEventAt]?.S;
  return {
    PrinterId: printerId,
    EventCount: Number.isFinite(count) ? count : 0,
    ...(lastEventAt !== undefined ? { LastEventAt: lastEventAt } : {}),
  };
}

/** EventCount descending, then PrinterId ascending in code-point order (DynamoDB's order: UTF-8 bytes). */
export function compareRanked(a: RankedPrinter, b: RankedPrinter): number {
  if (a.EventCount !== b.EventCount) return b.EventCount - a.EventCount;
  return comparePrinterIds(a.PrinterId, b.PrinterId);
}

/** Code-point order, which is UTF-8 byte order (JavaScript's `<` compares UTF-16 code units). */
export function comparePrinterIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function scanAll(
  client: DynamoDBClient,
  tableName: string,
  filter?: { expression: string; names: Record<string, string> },
): Promise<RankedPrinter[]> {
  const printers: RankedPrinter[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#id, #ec, #at',
        ExpressionAttributeNames: { '#id': ATTR.printerId, '#ec': ATTR.eventCount, '#at': ATTR.lastEventAt, ...filter?.names },
        ...(filter ? { FilterExpression: filter.expression } : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const ranked = toRanked(item);
      if (ranked) printers.push(ranked);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return printers;
}

/**
 * The `n` printers with the most anomaly events. One Query on the ranking
 * index (paginated only until `n` rows); a Scan only when fewer than `n`
 * printers have an event, to fill the top with zero-event printers.
 */
export async function topPrinters(client: DynamoDBClient, tableName: string, n: number): Promise<RankedPrinter[]> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`top-N needs a whole number >= 1, got ${n}`);
  const { rankIndex } = PROFILES_TABLE;
  const ranked: RankedPrinter[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: rankIndex.indexName,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': rankIndex.partitionKey.name },
        ExpressionAttributeValues: { ':p': { S: RANK_PARTITION_VALUE } },
        ScanIndexForward: true,
        Limit: n - ranked.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const printer = toRanked(item);
      if (printer) ranked.push(printer);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && ranked.length < n);
  if (ranked.length >= n) return ranked.slice(0, n);

  // Fewer than n printers have an event: the rest are the zero-event ones, by PrinterId.
  const listed = new Set(ranked.map((p) => p.PrinterId));
  const unranked = await scanAll(client, tableName, {
    expression: 'attribute_not_exists(#p)',
    names: { '#p': rankIndex.partitionKey.name },
  });
  const rest = unranked.filter((p) => !listed.has(p.PrinterId)).sort(compareRanked);
  return [...ranked, ...rest].slice(0, n);
}

/** Every printer of the table, ranked (a full Scan). */
export async function allPrinters(client: DynamoDBClient, tableName: string): Promise<RankedPrinter[]> {
  return (await scanAll(client, tableName)).sort(compareRanked);
}
