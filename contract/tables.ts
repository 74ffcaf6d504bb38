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
  lastValue: 'LastValue',
  lastSeenAt: 'LastSeenAt',
  lastEventAt: 'LastEventAt',
  lastSeq: 'LastSeq',
  lastTimestamp: 'LastTimestamp',
  /** Sequence number of the last Kinesis record applied (stream ingest): a record at or before it is redelivered. */
  lastStreamSequence: 'LastStreamSequence',
  /** The latest anomaly event, as published (JSON): what a retry of its invocation republishes. */
  lastEvent: 'LastEvent',
  /** Invocation id of the reading that produced the latest event: makes its retry a no-op. */
  lastEventRequestId: 'LastEventRequestId',
  /** Pending events: anomaly events counted but not yet published (string set of JSON), kept until published. */
  pendingEvents: 'PendingEvents',
  /** Partition key of the ranking index: present only once a printer has an event. */
  rankPartition: 'RankPartition',
  /** Sort key of the ranking index: EventCount descending, then PrinterId ascending. */
  rankKey: 'RankKey',
} as const;

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
} as const;

/**
 * A DynamoDB `CreateTable` request for the profiles table (what the twin
 * creates; the CDK construct builds the same table from {@link PROFILES_TABLE}).
 */
export function createProfilesTableRequest(tableName: string) {
  const { partitionKey, rankIndex } = PROFILES_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
      { AttributeName: rankIndex.partitionKey.name, AttributeType: rankIndex.partitionKey.type },
      { AttributeName: rankIndex.sortKey.name, AttributeType: rankIndex.sortKey.type },
    ],
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: rankIndex.indexName,
        KeySchema: [
          { AttributeName: rankIndex.partitionKey.name, KeyType: 'HASH' as const },
          { AttributeName: rankIndex.sortKey.name, KeyType: 'RANGE' as const },
        ],
        Projection: {
          ProjectionType: 'INCLUDE' as const,
          NonKeyAttributes: [...rankIndex.projectedAttributes],
        },
      },
    ],
  };
}
