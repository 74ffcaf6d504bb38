/**
 * SPEC section 6, ranking: the top 10 printers by EventCount (ties by
 * PrinterId) at growing fleet sizes, with one Query on the sparse
 * `ByEventCount` index next to a full Scan and a sort, on the embedded DynamoDB.
 */
import { QueryCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR, PROFILES_TABLE, RANK_PARTITION_VALUE, rankKey } from '../contract/index.ts';
import { localDynamoDbClient } from '../twin/dynamodb.ts';
import { countingClient, createTable, dropTable } from './dynamodb.ts';
import { median, round } from './stats.ts';
import { batchWrite, fleetProfiles, prng, profileItem, type BenchProfile } from './workload.ts';

export interface Ranked {
  readonly PrinterId: string;
  readonly EventCount: number;
}

export interface RankingMethodFigures {
  readonly ms: number;
  readonly requests: number;
  readonly itemsRead: number;
  readonly readCapacityUnits: number;
}

export interface RankingRow {
  readonly fleetSize: number;
  /** Printers with at least one event: the items in the sparse index. */
  readonly rankedPrinters: number;
  /** Seconds to load the items added for this size (BatchWriteItem, 25 per request). */
  readonly loadSeconds: number;
  readonly loadedItems: number;
  readonly query: RankingMethodFigures;
  readonly scan: RankingMethodFigures;
  /** Both methods returned the same ten printers in the same order. */
  readonly sameTop10: boolean;
  readonly top10: Ranked[];
}

export interface RankingResult {
  readonly section: 'ranking';
  readonly runs: number;
  readonly loadConcurrency: number;
  readonly rows: RankingRow[];
}

/** A profile item with the counters and bookkeeping the detector leaves on a printer that has run a while. */
function rankedItem(
  index: number,
  random: () => number,
  templates: readonly BenchProfile[],
): { item: Record<string, AttributeValue>; ranked: boolean } {
  const profile = templates[index % templates.length]!;
  const id = `Printer${index + 1}`;
  const item = profileItem({ ...profile, PrinterId: id });
  // About 30% of printers have had events; counts are log-uniform from 1 to 500 (many ties at the bottom, few at the top).
  const eventCount = random() < 0.3 ? Math.floor(Math.exp(random() * Math.log(500))) : 0;
  const seenAt = new Date(Date.UTC(2026, 10, 21, 10) + index * 1000).toISOString();
  Object.assign(item, {
    [ATTR.eventCount]: { N: String(eventCount) },
    [ATTR.outOfBoundsCount]: { N: String(Math.floor(random() * profile.window)) },
    [ATTR.lastValue]: { N: String(Math.round((profile.lower + random() * (profile.upper - profile.lower)) * 100) / 100) },
    [ATTR.lastSeenAt]: { S: seenAt },
    [ATTR.lastSeq]: { N: String(1000 + Math.floor(random() * 100_000)) },
  });
  if (eventCount > 0) {
    Object.assign(item, {
      [ATTR.lastEventAt]: { S: seenAt },
      [ATTR.rankPartition]: { S: RANK_PARTITION_VALUE },
      [ATTR.rankKey]: { S: rankKey(eventCount, id) },
    });
  }
  return { item, ranked: eventCount > 0 };
}

/** Top 10 with one Query on the ranking index (rank key ascending = EventCount descending, then PrinterId). */
export async function topByIndex(client: DynamoDBClient, tableName: string, top = 10): Promise<Ranked[]> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: PROFILES_TABLE.rankIndex.indexName,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': ATTR.rankPartition },
      ExpressionAttributeValues: { ':p': { S: RANK_PARTITION_VALUE } },
      Limit: top,
    }),
  );
  return Items.map((i) => ({ PrinterId: i[ATTR.printerId]!.S!, EventCount: Number(i[ATTR.eventCount]!.N) }));
}

/** Top 10 the way the original's data allows: Scan every item, sort in memory. */
export async function topByScan(client: DynamoDBClient, tableName: string, top = 10): Promise<Ranked[]> {
  const all: Ranked[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const i of page.Items ?? []) all.push({ PrinterId: i[ATTR.printerId]!.S!, EventCount: Number(i[ATTR.eventCount]?.N ?? 0) });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  all.sort((a, b) => b.EventCount - a.EventCount || (a.PrinterId < b.PrinterId ? -1 : a.PrinterId > b.PrinterId ? 1 : 0));
  return all.slice(0, top).filter((r) => r.EventCount > 0);
}

export interface RankingOptions {
  readonly endpoint: string;
  readonly fleetSizes: readonly number[];
  readonly runs: number;
  /** BatchWriteItem requests in flight while loading. @default 8 */
  readonly loadConcurrency?: number;
  readonly progress?: (line: string) => void;
}

/** Loads the fleet incrementally (1,000, then up to 10,000, ...) and times both methods at each size. */
export async function rankingBench(options: RankingOptions): Promise<RankingResult> {
  const tableName = 'bench-ranking';
  const admin = localDynamoDbClient(options.endpoint);
  const counting = countingClient(options.endpoint);
  const loadConcurrency = options.loadConcurrency ?? 8;
  const random = prng(42);
  const templates = fleetProfiles(12);
  const rows: RankingRow[] = [];
  await dropTable(admin, tableName);
  await createTable(admin, tableName);
  let loaded = 0;
  let rankedPrinters = 0;
  try {
    for (const fleetSize of [...options.fleetSizes].sort((a, b) => a - b)) {
      const items: Record<string, AttributeValue>[] = [];
      for (let i = loaded; i < fleetSize; i += 1) {
        const { item, ranked } = rankedItem(i, random, templates);
        items.push(item);
        if (ranked) rankedPrinters += 1;
      }
      const loadSeconds = await batchWrite(admin, tableName, items, loadConcurrency);
      loaded = fleetSize;
      options.progress?.(
        `  loaded ${items.length} items (fleet ${fleetSize}) in ${loadSeconds.toFixed(1)} s (${(items.length / loadSeconds).toFixed(0)} items/s)`,
      );

      const measure = async (method: (c: typeof counting.client, t: string) => Promise<Ranked[]>) => {
        const figures: RankingMethodFigures[] = [];
        let result: Ranked[] = [];
        await method(counting.client, tableName); // warm
        for (let run = 0; run < options.runs; run += 1) {
          counting.reset();
          const started = performance.now();
          result = await method(counting.client, tableName);
          const ms = performance.now() - started;
          const c = counting.counts();
          figures.push({ ms, requests: c.total, itemsRead: c.itemsRead, readCapacityUnits: c.readCapacityUnits });
        }
        return {
          result,
          figures: {
            ms: round(median(figures.map((f) => f.ms)), 2),
            requests: median(figures.map((f) => f.requests)),
            itemsRead: median(figures.map((f) => f.itemsRead)),
            readCapacityUnits: round(median(figures.map((f) => f.readCapacityUnits)), 1),
          },
        };
      };
      const query = await measure(topByIndex);
      const scan = await measure(topByScan);
      const sameTop10 = JSON.stringify(query.result) === JSON.stringify(scan.result);
      rows.push({
        fleetSize,
        rankedPrinters,
        loadSeconds: round(loadSeconds, 1),
        loadedItems: items.length,
        query: query.figures,
        scan: scan.figures,
        sameTop10,
        top10: query.result,
      });
      options.progress?.(
        `  ${String(fleetSize).padStart(6)} printers: Query ${query.figures.ms} ms, ${query.figures.requests} request(s), ${query.figures.itemsRead} items; ` +
          `Scan+sort ${scan.figures.ms} ms, ${scan.figures.requests} requests, ${scan.figures.itemsRead} items; same top 10: ${sameTop10}`,
      );
    }
  } finally {
    await dropTable(admin, tableName);
    admin.destroy();
    counting.client.destroy();
  }
  return { section: 'ranking', runs: options.runs, loadConcurrency, rows };
}
