/**
 * The alarms section's fleet figures: the clock's sweep and the operator
 * API's two listings at 1,000 and 100,000 printers, on one table loaded with
 * BatchWriteItem and grown in place. Every printer has silence armed (a
 * deadline in the sparse `ByDeadline` index); a few are due, a few have an
 * active alarm (the sparse `ByAlarm` index), about 30% have events (the
 * ranking index). The sweep is `sweep()` with the writer the sweep function
 * builds (`createAlarmWriter`); the listings are `DynamoDbFleet.ranked(10)`
 * and `DynamoDbFleet.alarms()`, the code the API runs.
 */
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  ALARM_PARTITION_VALUE,
  alarmKey,
  DUE_PARTITION_VALUE,
  PREDICTION_TOPIC,
  RANK_PARTITION_VALUE,
  rankKey,
} from '../contract/index.ts';
import { Random } from '../emitter/random.ts';
import { DynamoDbFleet } from '../lambda/adapters/fleet-operations.ts';
import type { DetectorConfig } from '../lambda/config.ts';
import { sweep } from '../lambda/sweep.ts';
import { createAlarmWriter } from '../lambda/sweep-app.ts';
import { LOCAL_AWS } from '../twin/dynamodb.ts';
import { startIotDataServer } from '../twin/iot-data-server.ts';
import { BENCH_TOPIC_ARN } from './alarms-state.ts';
import type { CountingClient } from './dynamodb.ts';
import { median, round } from './stats.ts';
import { batchWrite } from './workload.ts';

/** Printers whose silence deadline has passed when the sweep runs, and printers with an active alarm. */
export const DUE_PRINTERS = 10;
export const ACTIVE_ALARMS = 5;

/** Requests and time of one measured call, as medians of the runs. */
export interface CallFigures {
  readonly ms: number;
  readonly requests: number;
  readonly byCommand: Record<string, number>;
  readonly itemsRead: number;
}

export interface FleetRow {
  readonly fleetSize: number;
  /** Seconds to load the items added for this size, and how many. */
  readonly loadSeconds: number;
  readonly loadedItems: number;
  readonly ranked: CallFigures & { readonly printers: number };
  readonly alarms: CallFigures & { readonly printers: number };
  readonly sweep: CallFigures & { readonly due: number; readonly transitions: number; readonly failed: number };
  /** A sweep right after, with nothing due. */
  readonly idleSweep: CallFigures;
}

const printerId = (index: number) => `Printer${index + 1}`;
/** The due and the active printers are among the first 1,000 (the same ones at every size). */
const isDue = (index: number) => index % 100 === 7 && index < 100 * DUE_PRINTERS;
const isActive = (index: number) => index % 100 === 41 && index < 100 * ACTIVE_ALARMS;

/** A printer's item as the detector leaves it after a while: counters, bookkeeping, a NORMAL (or ACTIVE) alarm, silence armed. */
function fleetItem(index: number, random: Random, now: number): Record<string, AttributeValue> {
  const id = printerId(index);
  const eventCount = random.chance(0.3) ? Math.floor(Math.exp(random.next() * Math.log(500))) : 0;
  const seenAt = now - 60_000 - (index % 1000);
  // Due printers went quiet more than SilenceSeconds ago; the others reported within the last minute.
  const silenceAt = isDue(index) ? now - 1000 - index : seenAt + 3_600_000;
  const active = isActive(index);
  const window = 1 + (index % 12);
  const since = new Date(seenAt).toISOString();
  const activation = { from: 'NORMAL', to: 'ACTIVE', cause: 'threshold', severity: 'major', by: 'detector', note: null, at: since, seq: 1 };
  const item: Record<string, unknown> = {
    PrinterId: id,
    Thresholds: { Lower: 20, Upper: 80 },
    Window: window,
    SilenceSeconds: 3600,
    OutOfBoundsCount: random.int(0, window - 1),
    EventCount: eventCount,
    LastValue: Math.round(random.between(20, 80) * 100) / 100,
    LastSeenAt: new Date(seenAt).toISOString(),
    LastSeq: random.int(1000, 100_999),
    Rev: random.int(1, 50),
    Alarm: active
      ? { State: 'ACTIVE', Severity: 'major', Cause: 'threshold', Since: since, Seq: 1, ClearCount: 0, Silent: false, Renotified: 0 }
      : { State: 'NORMAL', Severity: null, Cause: null, Since: null, Seq: 0, ClearCount: 0, Silent: false, Renotified: 0 },
    SilenceAt: silenceAt,
    DuePartition: DUE_PARTITION_VALUE,
    DueAt: silenceAt,
  };
  if (active) {
    (item['Alarm'] as Record<string, unknown>)['Activation'] = JSON.stringify(activation);
    Object.assign(item, { AlarmPartition: ALARM_PARTITION_VALUE, AlarmKey: alarmKey('ACTIVE', id) });
  }
  if (eventCount > 0) {
    Object.assign(item, { LastEventAt: since, RankPartition: RANK_PARTITION_VALUE, RankKey: rankKey(eventCount, id) });
  }
  return marshall(item);
}

async function measure<T>(
  counting: CountingClient,
  runs: number,
  call: () => Promise<T>,
  before: () => Promise<unknown> = async () => {},
): Promise<{ figures: CallFigures; last: T }> {
  const samples: { ms: number; requests: number; byCommand: Record<string, number>; itemsRead: number }[] = [];
  let last: T | undefined;
  for (let run = 0; run < runs; run += 1) {
    await before();
    counting.reset();
    const started = performance.now();
    last = await call();
    const ms = performance.now() - started;
    const c = counting.counts();
    samples.push({ ms, requests: c.total, byCommand: c.byCommand, itemsRead: c.itemsRead });
  }
  const mid = samples.map((s) => s.requests).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  const typical = samples.find((s) => s.requests === mid)!;
  return {
    figures: {
      ms: round(median(samples.map((s) => s.ms)), 2),
      requests: median(samples.map((s) => s.requests)),
      byCommand: Object.fromEntries(Object.entries(typical.byCommand).map(([c, n]) => [c.replace(/Command$/, ''), n])),
      itemsRead: median(samples.map((s) => s.itemsRead)),
    },
    last: last as T,
  };
}

export interface FleetBenchOptions {
  readonly admin: DynamoDBClient;
  readonly counting: CountingClient;
  readonly tableName: string;
  readonly eventsTableName: string;
  readonly fleetSizes: readonly number[];
  readonly runs: number;
  readonly loadConcurrency?: number;
  readonly progress?: (line: string) => void;
}

/** Loads the fleet size by size; at each size measures the two listings (first) and the sweep, resetting the due printers before each sweep. */
export async function fleetBench(options: FleetBenchOptions): Promise<FleetRow[]> {
  const { admin, counting, tableName } = options;
  const now = Date.now();
  const random = new Random(42, 'alarms-fleet');
  const fixed = (index: number) => fleetItem(index, new Random(42, 'alarms-fleet', index), now);
  const resetDue = () =>
    batchWrite(
      admin,
      tableName,
      Array.from({ length: DUE_PRINTERS }, (_, j) => fixed(100 * j + 7)),
    );
  let notified = 0;
  const server = await startIotDataServer(() => {}, {
    onNotify: () => {
      notified += 1;
    },
  });
  const iotData = new IoTDataPlaneClient({ ...LOCAL_AWS, endpoint: server.endpoint });
  const config: DetectorConfig = {
    tableName,
    predictionTopic: PREDICTION_TOPIC,
    eventsTableName: options.eventsTableName,
    notificationsTopicArn: BENCH_TOPIC_ARN,
    snsEndpoint: server.endpoint,
  };
  const deps = { config, dynamoDb: counting.client, iotData };
  const writer = () => createAlarmWriter(deps, () => new Date(), LOCAL_AWS);
  const fleet = new DynamoDbFleet({ client: counting.client, tableName, writer: writer() });
  const rows: FleetRow[] = [];
  let loaded = 0;
  try {
    for (const fleetSize of [...options.fleetSizes].sort((a, b) => a - b)) {
      const items: Record<string, AttributeValue>[] = [];
      for (let i = loaded; i < fleetSize; i += 1) items.push(isDue(i) || isActive(i) ? fixed(i) : fleetItem(i, random, now));
      const loadSeconds = await batchWrite(admin, tableName, items, options.loadConcurrency ?? 8);
      loaded = fleetSize;
      options.progress?.(
        `  loaded ${items.length} items (fleet ${fleetSize}) in ${loadSeconds.toFixed(1)} s (${(items.length / loadSeconds).toFixed(0)} items/s)`,
      );
      await resetDue();
      const repeat = Math.max(5, options.runs);
      await fleet.ranked(10);
      await fleet.alarms();
      const ranked = await measure(counting, repeat, () => fleet.ranked(10));
      const alarms = await measure(counting, repeat, () => fleet.alarms());
      if (alarms.last.length !== ACTIVE_ALARMS) throw new Error(`expected ${ACTIVE_ALARMS} active alarms, listed ${alarms.last.length}`);
      // A fresh writer per sweep: sweeps come a minute apart, past the fleet defaults' 30 s lifetime, so each one reads them once.
      const swept = await measure(
        counting,
        Math.max(3, options.runs),
        () => sweep({ client: counting.client, tableName, writer: writer() }, Date.now()),
        resetDue,
      );
      const idle = await measure(counting, 1, () => sweep({ client: counting.client, tableName, writer: writer() }, Date.now()));
      const s = swept.last;
      if (s.due !== DUE_PRINTERS || s.failed > 0) throw new Error(`sweep: ${s.due} due (expected ${DUE_PRINTERS}), ${s.failed} failed`);
      rows.push({
        fleetSize,
        loadSeconds: round(loadSeconds, 1),
        loadedItems: items.length,
        ranked: { ...ranked.figures, printers: ranked.last.length },
        alarms: { ...alarms.figures, printers: alarms.last.length },
        sweep: { ...swept.figures, due: s.due, transitions: s.transitions, failed: s.failed },
        idleSweep: idle.figures,
      });
      options.progress?.(
        `  ${String(fleetSize).padStart(6)} printers: ranked(10) ${ranked.figures.requests} requests ${ranked.figures.ms} ms; ` +
          `alarms() ${alarms.figures.requests} request(s) ${alarms.figures.ms} ms; sweep of ${s.due} due: ${swept.figures.requests} requests ` +
          `${swept.figures.ms} ms (${s.transitions} transitions); idle sweep ${idle.figures.requests} request(s); notifications so far ${notified}`,
      );
    }
  } finally {
    iotData.destroy();
    await server.close();
  }
  return rows;
}
