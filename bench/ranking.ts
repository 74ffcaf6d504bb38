/**
 * The ranking figure of `docs/performance.md`: the top 10 printers by
 * EventCount (ties by PrinterId) at growing fleet sizes, with the ranking
 * query `npm run ranked` runs (`topPrinters`: one Query on the sparse
 * `ByEventCount` index) next to the original design's only way, a full Scan
 * and a sort, on the embedded DynamoDB.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR, RANK_PARTITION_VALUE, rankKey, type ProfileInput } from '../contract/index.ts';
import { Random } from '../emitter/random.ts';
import { compareRanked, topPrinters } from '../lambda/adapters/ranking-query.ts';
import { localDynamoDbClient } from '../twin/dynamodb.ts';
import { countingClient, createTable, dropTable } from './dynamodb.ts';
import { median, round } from './stats.ts';
import { batchWrite, profileItem, sampleProfiles } from './workload.ts';

/** A printer of a top 10, as both methods give it. */
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
  random: Random,
  templates: readonly ProfileInput[],
): { item: Record<string, AttributeValue>; ranked: boolean } {
  const profile = templates[index % templates.length]!;
  const { Lower: lower, Upper: upper } = profile.Thresholds as { Lower: number; Upper: number };
  const id = `Printer${index + 1}`;
  const item = profileItem({ ...profile, PrinterId: id });
  // About 30% of printers have had events; counts are log-uniform from 1 to 500 (many ties at the bottom, few at the top).
  const eventCount = random.chance(0.3) ? Math.floor(Math.exp(random.next() * Math.log(500))) : 0;
  const seenAt = new Date(Date.UTC(2026, 10, 21, 10) + index * 1000).toISOString();
  Object.assign(item, {
    [ATTR.eventCount]: { N: String(eventCount) },
    [ATTR.outOfBoundsCount]: { N: String(random.int(0, (profile.Window ?? 1) - 1)) },
    [ATTR.lastValue]: { N: String(Math.round(random.between(lower, upper) * 100) / 100) },
    [ATTR.lastSeenAt]: { S: seenAt },
    [ATTR.lastSeq]: { N: String(random.int(1000, 100_999)) },
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

/** Top 10 with the ranking query of `npm run ranked` (`topPrinters`: one Query on the ranking index). */
export async function topByIndex(client: DynamoDBClient, tableName: string, top = 10): Promise<Ranked[]> {
  return (await topPrinters(client, tableName, top)).map(({ PrinterId, EventCount }) => ({ PrinterId, EventCount }));
}

/** Top 10 the way the original design's data allows (no index): Scan every item, sort in memory. */
export async function topByScan(client: DynamoDBClient, tableName: string, top = 10): Promise<Ranked[]> {
  const all: Ranked[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const i of page.Items ?? []) all.push({ PrinterId: i[ATTR.printerId]!.S!, EventCount: Number(i[ATTR.eventCount]?.N ?? 0) });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return all.sort(compareRanked).slice(0, top);
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
  const random = new Random(42, 'ranking');
  const templates = sampleProfiles();
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
