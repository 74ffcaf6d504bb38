/**
 * The single definition of everything the cloud stack and the local twin must
 * agree on: topics, the topic rule's SQL, the profiles table's schema and
 * attribute names, and the environment variables the detector function reads.
 *
 * This module imports nothing: the CDK stack, the Lambda bundle, the twin and
 * the CLIs all read it.
 */

/** Topic printers publish readings to. */
export const DETECT_TOPIC = 'anom/detect';

/** Topic anomaly events are republished to (QoS 1). */
export const PREDICTION_TOPIC = 'anom/pred';

/** The topic rule's SQL: the detector receives the reading payload itself. */
export const RULE_SQL = `SELECT * FROM '${DETECT_TOPIC}'`;

/** The IoT SQL version the rule is evaluated with. */
export const RULE_SQL_VERSION = '2016-03-23';

/** Default name of the profiles table (the original project's name). */
export const DEFAULT_TABLE_NAME = 'PrinterProfiles';

/** Largest accepted reading payload, in bytes (SPEC section 1). */
export const MAX_PAYLOAD_BYTES = 8 * 1024;

/** Longest accepted printer id, in characters (SPEC section 1). */
export const MAX_PRINTER_ID_LENGTH = 128;

/** Namespace of the detector's CloudWatch (EMF) metrics. */
export const METRICS_NAMESPACE = 'PrinterAnomaly';

/** Service name used by the detector's logs and metrics. */
export const SERVICE_NAME = 'printer-anomaly-detector';

/** Names of the detector's metrics, shared by the handler and the dashboard. */
export const METRIC = {
  readings: 'Readings',
  outOfBounds: 'OutOfBoundsReadings',
  anomalyEvents: 'AnomalyEvents',
  invalidReadings: 'InvalidReadings',
  unknownPrinters: 'UnknownPrinterReadings',
  skippedReadings: 'DuplicateOrLateReadings',
  configurationErrors: 'ProfileConfigurationErrors',
  publishFailures: 'EventPublishFailures',
  writeConflicts: 'WriteConflicts',
} as const;

/** Environment variables the detector function reads (set by the stack and the twin). */
export const ENV = {
  /** Name of the profiles table. */
  tableName: 'PROFILES_TABLE_NAME',
  /** Topic anomaly events are published to. */
  predictionTopic: 'PREDICTION_TOPIC',
  /** Optional IoT Data Plane endpoint (https URL); the twin points it at its broker. */
  iotDataEndpoint: 'IOT_DATA_ENDPOINT',
  /** Optional DynamoDB endpoint (the twin's embedded DynamoDB). */
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
} as const;

/** What the detector function's environment is built from. */
export interface DetectorEnvironmentSettings {
  readonly tableName: string;
  /** The account's IoT Data (ATS) endpoint, `https://...`; the twin's local one. */
  readonly iotDataEndpoint?: string;
  /** Only the twin sets it: its embedded DynamoDB. */
  readonly dynamoDbEndpoint?: string;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * The detector function's environment: the one definition the CDK stack and
 * the twin both set, so the function is configured the same way in both.
 */
export function detectorEnvironment(settings: DetectorEnvironmentSettings): Record<string, string> {
  return {
    [ENV.tableName]: settings.tableName,
    [ENV.predictionTopic]: PREDICTION_TOPIC,
    ...(settings.iotDataEndpoint ? { [ENV.iotDataEndpoint]: settings.iotDataEndpoint } : {}),
    ...(settings.dynamoDbEndpoint ? { [ENV.dynamoDbEndpoint]: settings.dynamoDbEndpoint } : {}),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: settings.logLevel ?? 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
  };
}

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
  /** The latest anomaly event, as published (JSON): what a retry of its invocation republishes. */
  lastEvent: 'LastEvent',
  /** Invocation id of the reading that produced the latest event: makes its retry a no-op. */
  lastEventRequestId: 'LastEventRequestId',
  /** Anomaly events whose publish failed, kept until published (string set of JSON). */
  outbox: 'PendingEvents',
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
