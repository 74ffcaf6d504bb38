/** The profiles table: its name, attribute names, ranking index and schema (cloud and twin alike). */

/** Default name of the profiles table (the original project's name). */
export const DEFAULT_TABLE_NAME = 'PrinterProfiles';

/**
 * Attribute names of a profile item. The first five are the user's (written by
 * the original `aws dynamodb put-item` commands); the rest are bookkeeping the
 * detector adds. The detector never removes a user attribute.
 */
export const ATTR = {
  printerId: 'PrinterId',
  thresholds: 'Thresholds',
  lower: 'Lower',
  upper: 'Upper',
  window: 'Window',
  outOfBoundsCount: 'OutOfBoundsCount',
  eventCount: 'EventCount',
  /** Optional user attributes: window mode, adaptive band, severity, clear condition, silence and re-notification. */
  mode: 'Mode',
  of: 'Of',
  durationSeconds: 'DurationSeconds',
  adaptive: 'Adaptive',
  sigma: 'Sigma',
  alpha: 'Alpha',
  warmup: 'Warmup',
  severity: 'Severity',
  clear: 'Clear',
  clearAfter: 'ClearAfter',
  latch: 'Latch',
  silenceSeconds: 'SilenceSeconds',
  renotifyMinutes: 'RenotifyMinutes',
  notifyMinIntervalSeconds: 'NotifyMinIntervalSeconds',
  /** When (epoch ms) and at what severity the alarm was last notified: what `NotifyMinIntervalSeconds` paces by. */
  lastNotified: 'LastNotified',
  /** Fleet defaults only: a valid reading of a printer without a profile creates its profile. */
  enrol: 'Enrol',
  lastValue: 'LastValue',
  lastSeenAt: 'LastSeenAt',
  lastEventAt: 'LastEventAt',
  lastSeq: 'LastSeq',
  lastTimestamp: 'LastTimestamp',
  /** Sequence number of the last Kinesis record applied (stream ingest): a record at or before it is redelivered. */
  lastStreamSequence: 'LastStreamSequence',
  /** Former form of `RequestEntries` (one write's entries, JSON), read for items written before it; a write removes it. */
  lastEvent: 'LastEvent',
  /** Former form: invocation id of the write whose entries `LastEvent` holds. */
  lastEventRequestId: 'LastEventRequestId',
  /** Tags of the request ids of the printer's latest writes of readings (list, oldest first, bounded): a retry of one of them is recognised. */
  recentRequests: 'RecentRequests',
  /** The outbox entries each of those writes counted, when it counted any (map: request tag to JSON): what its retry delivers again. */
  requestEntries: 'RequestEntries',
  /** Pending events: anomaly events counted but not yet published (string set of JSON), kept until published. */
  pendingEvents: 'PendingEvents',
  /** Partition key of the ranking index: present only once a printer has an event. */
  rankPartition: 'RankPartition',
  /** Sort key of the ranking index: EventCount descending, then PrinterId ascending. */
  rankKey: 'RankKey',
  /** Revision of the mode memory and the alarm: each write that changes them adds one, and is guarded by it. */
  rev: 'Rev',
  /** A window mode's memory (map: `Bits`, `RunStart`, `Stats`), bounded whatever the window. */
  memory: 'Detector',
  /** The printer's alarm (map: `State`, `Severity`, `Cause`, `Since`, `Seq`, ...). */
  alarm: 'Alarm',
  /** When silence is next due (epoch ms): the last reading's arrival plus `SilenceSeconds`. */
  silenceAt: 'SilenceAt',
  /** Partition key of the deadline index: present only while the clock has something due for the printer. */
  duePartition: 'DuePartition',
  /** Sort key of the deadline index: when (epoch ms). */
  dueAt: 'DueAt',
  /** Partition key of the alarm index: present only while the alarm is not NORMAL. */
  alarmPartition: 'AlarmPartition',
  /** Sort key of the alarm index: the state's listing order, then PrinterId. */
  alarmKey: 'AlarmKey',
  /** Recent values of the main metric: a map of slot to `[epoch ms, value]`, bounded. */
  recent: 'Recent',
} as const;

/** The single value of the deadline index's partition key. */
export const DUE_PARTITION_VALUE = 'due';

/** The single value of the alarm index's partition key. */
export const ALARM_PARTITION_VALUE = 'alarm';

/** The order alarm listings follow (then PrinterId): the states that need someone first. */
export const ALARM_LISTING_ORDER = ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED'] as const;

/** Sort key of the alarm index for a printer whose alarm is in `state` (not NORMAL). */
export function alarmKey(state: (typeof ALARM_LISTING_ORDER)[number], printerId: string): string {
  return `${ALARM_LISTING_ORDER.indexOf(state)}#${printerId}`;
}

/** `PrinterId` of the item holding the fleet defaults (never a printer: never ranked, alarmed or counted). */
export const FLEET_DEFAULTS_ID = '*';

/** The single value of the ranking index's partition key. */
export const RANK_PARTITION_VALUE = 'ranked';

/** Width of the inverted EventCount prefix of a rank key. */
const RANK_DIGITS = 15;
const RANK_CEILING = 10 ** RANK_DIGITS - 1;

/**
 * Sort key of the ranking index. Ascending order of this key is EventCount
 * descending, then PrinterId ascending, so top-N is one Query with `Limit`.
 */
export function rankKey(eventCount: number, printerId: string): string {
  return `${String(RANK_CEILING - eventCount).padStart(RANK_DIGITS, '0')}#${printerId}`;
}

/** The EventCount a rank key encodes. */
export function eventCountOfRankKey(key: string): number {
  return RANK_CEILING - Number(key.slice(0, RANK_DIGITS));
}

/** Schema of the profiles table: read by the CDK table construct and by the twin. */
export const PROFILES_TABLE = {
  partitionKey: { name: ATTR.printerId, type: 'S' },
  rankIndex: {
    indexName: 'ByEventCount',
    partitionKey: { name: ATTR.rankPartition, type: 'S' },
    sortKey: { name: ATTR.rankKey, type: 'S' },
    /** Attributes copied into the index besides the keys. */
    projectedAttributes: [ATTR.eventCount, ATTR.lastEventAt],
  },
  /**
   * Sparse: the printers whose alarm is not NORMAL, in listing order. Keys
   * only: an alarmed printer's readings change its counters and its alarm's
   * clear count, and a projected copy would be rewritten on every one of them.
   */
  alarmIndex: {
    indexName: 'ByAlarm',
    partitionKey: { name: ATTR.alarmPartition, type: 'S' },
    sortKey: { name: ATTR.alarmKey, type: 'S' },
    projectedAttributes: [],
  },
  /** Sparse: the printers the clock has something due for, by when (the sweep reads only those that are due). */
  deadlineIndex: {
    indexName: 'ByDeadline',
    partitionKey: { name: ATTR.duePartition, type: 'S' },
    sortKey: { name: ATTR.dueAt, type: 'N' },
    projectedAttributes: [],
  },
} as const;

/** Every secondary index of the profiles table. */
export const PROFILES_INDEXES = [PROFILES_TABLE.rankIndex, PROFILES_TABLE.alarmIndex, PROFILES_TABLE.deadlineIndex] as const;

/**
 * A DynamoDB `CreateTable` request for the profiles table (what the twin
 * creates; the CDK construct builds the same table from {@link PROFILES_TABLE}).
 */
export function createProfilesTableRequest(tableName: string) {
  const { partitionKey } = PROFILES_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      ...PROFILES_INDEXES.flatMap((index) => [
        { AttributeName: index.partitionKey.name, AttributeType: index.partitionKey.type },
        { AttributeName: index.sortKey.name, AttributeType: index.sortKey.type },
      ]),
    ],
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: PROFILES_INDEXES.map(indexRequest),
  };
}

/** A `CreateTable` global secondary index: keys, then the attributes it copies (keys only when none). */
function indexRequest(index: (typeof PROFILES_INDEXES)[number] | (typeof EVENTS_TABLE)['feedIndex']) {
  return {
    IndexName: index.indexName,
    KeySchema: [
      { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
    ],
    Projection:
      index.projectedAttributes.length === 0
        ? { ProjectionType: 'KEYS_ONLY' as const }
        : index.projectedAttributes[0] === '*'
          ? { ProjectionType: 'ALL' as const }
          : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projectedAttributes] },
  };
}

/** Default name of the history table. */
export const DEFAULT_EVENTS_TABLE_NAME = 'PrinterEvents';

/** Attribute names of a history item's storage keys (the rest is the published payload plus `Type`). */
export const EVENT_ATTR = {
  printerId: 'PrinterId',
  /** Sort key: the item's time, then what it is (`E` event, `T` transition) and its number: unique and deterministic. */
  key: 'Key',
  /** Partition key of the fleet-wide index: one value for every item ({@link FEED_PARTITION_VALUE}). */
  feed: 'Feed',
  /** Sort key of the fleet-wide index: the time, then the printer and the item's key. */
  feedKey: 'FeedKey',
  /** When DynamoDB may delete the item (epoch seconds): `historyDays` after it happened. */
  expiresAt: 'ExpiresAt',
} as const;

/** Schema of the history table. */
export const EVENTS_TABLE = {
  partitionKey: { name: EVENT_ATTR.printerId, type: 'S' },
  sortKey: { name: EVENT_ATTR.key, type: 'S' },
  timeToLiveAttribute: EVENT_ATTR.expiresAt,
  /**
   * The fleet's history, newest first: one partition, so a page is one Query.
   * It takes anomaly events and alarm transitions (a few percent of readings),
   * well within one index partition's write rate (about 1,000 items a second).
   */
  feedIndex: {
    indexName: 'ByTime',
    partitionKey: { name: EVENT_ATTR.feed, type: 'S' },
    sortKey: { name: EVENT_ATTR.feedKey, type: 'S' },
    projectedAttributes: ['*'],
  },
} as const;

/** The single value of the fleet-wide history index's partition key. */
export const FEED_PARTITION_VALUE = 'events';

/** Days a history item is kept by default. */
export const DEFAULT_HISTORY_DAYS = 90;

/** A `CreateTable` request for the history table (the twin's; the CDK construct builds the same from {@link EVENTS_TABLE}). */
export function createEventsTableRequest(tableName: string) {
  const { partitionKey, sortKey, feedIndex } = EVENTS_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      { AttributeName: sortKey.name, AttributeType: sortKey.type },
      { AttributeName: feedIndex.partitionKey.name, AttributeType: feedIndex.partitionKey.type },
      { AttributeName: feedIndex.sortKey.name, AttributeType: feedIndex.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: sortKey.name, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [indexRequest(feedIndex)],
  };
}
