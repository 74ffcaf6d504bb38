/**
 * The detector function as the stack deploys it and the twin runs it: its
 * settings, its environment, its log group and its metrics. The stack and the
 * twin both read these, so the function is configured the same way in both.
 */
import { type DeviceIdentityMode, PREDICTION_TOPIC } from './topics.ts';

/** Service name used by the detector's logs and metrics. */
export const SERVICE_NAME = 'printer-anomaly-detector';

/** Namespace of the detector's CloudWatch (EMF) metrics. */
export const METRICS_NAMESPACE = 'PrinterAnomaly';

/**
 * The function's settings, with the reasons in `docs/design.md` ("The
 * detector function"). The stack's props default to these; the twin runs
 * with them.
 */
export const DETECTOR_FUNCTION = {
  /** Memory (and with it CPU share). */
  memorySizeMb: 256,
  /** Invocation timeout. */
  timeoutSeconds: 10,
  /** Retries of a failed asynchronous invocation (Lambda's default and maximum is 2). */
  retryAttempts: 2,
  /** How long an invocation may wait in Lambda's async queue before it goes to the on-failure queue. */
  maxEventAgeSeconds: 3600,
  /**
   * Reserved concurrency: the most invocations at once. Readings above it are
   * throttled; Lambda keeps throttled asynchronous invocations and retries them
   * for up to the maximum event age, then sends them to the on-failure queue.
   */
  reservedConcurrency: 100,
  /** The Lambda runtime (the bundle targets the same Node.js version). */
  runtime: 'nodejs22.x',
} as const;

/** The CloudWatch log group Lambda writes a function's logs to by default. */
export function defaultLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** Names of the detector's metrics, shared by the handler and the dashboard. */
export const METRIC = {
  readings: 'Readings',
  outOfBounds: 'OutOfBoundsReadings',
  anomalyEvents: 'AnomalyEvents',
  alarmTransitions: 'AlarmTransitions',
  invalidReadings: 'InvalidReadings',
  unknownPrinters: 'UnknownPrinterReadings',
  /** Readings a device sent again or too late (by `seq` or `timestamp`): skipped. */
  skippedReadings: 'DuplicateOrLateReadings',
  /** Invocations Lambda delivered again after their write went through: only publishing was left. */
  redeliveries: 'RedeliveredInvocations',
  configurationErrors: 'ProfileConfigurationErrors',
  /** In `thing` identity mode: readings whose sender may not report for their printer. */
  foreignPrinters: 'ForeignPrinterReadings',
  publishFailures: 'EventPublishFailures',
  writeConflicts: 'WriteConflicts',
} as const;

/** Names of the sweep's metrics. */
export const SWEEP_METRIC = {
  due: 'SweepDuePrinters',
  transitions: 'SweepAlarmTransitions',
  failures: 'SweepFailures',
  undelivered: 'UndeliveredAlarmEntries',
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
  /** Device identity mode (`DeviceIdentityMode`); absent means `any`. */
  deviceIdentity: 'DEVICE_IDENTITY',
  /** Optional IoT control-plane endpoint (DescribeThing for gateways); the twin points it at itself. */
  iotEndpoint: 'IOT_ENDPOINT',
  /** Name of the history table; absent: nothing is recorded. */
  eventsTableName: 'EVENTS_TABLE_NAME',
  /** Days history items are kept (their TTL). */
  historyDays: 'HISTORY_DAYS',
  /** ARN of the SNS topic alarm notifications go to; absent: nothing is notified. */
  notificationsTopicArn: 'NOTIFICATIONS_TOPIC_ARN',
  /** Optional SNS endpoint; the twin points it at itself (it appends to a file and calls a webhook). */
  snsEndpoint: 'SNS_ENDPOINT',
} as const;

/** What the detector function's environment is built from. */
export interface DetectorEnvironmentSettings {
  readonly tableName: string;
  /** The account's IoT Data (ATS) endpoint, `https://...`; the twin's local one. */
  readonly iotDataEndpoint?: string;
  /** Only the twin sets it: its embedded DynamoDB. */
  readonly dynamoDbEndpoint?: string;
  /** @default 'any' */
  readonly deviceIdentity?: DeviceIdentityMode;
  /** Only the twin sets it: its thing registry. */
  readonly iotEndpoint?: string;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly eventsTableName?: string;
  readonly historyDays?: number;
  readonly notificationsTopicArn?: string;
  /** Only the twin sets it: its SNS stand-in. */
  readonly snsEndpoint?: string;
}

/** The detector function's environment: the one definition the CDK stack and the twin both set. */
export function detectorEnvironment(settings: DetectorEnvironmentSettings): Record<string, string> {
  return {
    [ENV.tableName]: settings.tableName,
    [ENV.predictionTopic]: PREDICTION_TOPIC,
    ...(settings.iotDataEndpoint ? { [ENV.iotDataEndpoint]: settings.iotDataEndpoint } : {}),
    ...(settings.dynamoDbEndpoint ? { [ENV.dynamoDbEndpoint]: settings.dynamoDbEndpoint } : {}),
    ...(settings.deviceIdentity && settings.deviceIdentity !== 'any' ? { [ENV.deviceIdentity]: settings.deviceIdentity } : {}),
    ...(settings.iotEndpoint ? { [ENV.iotEndpoint]: settings.iotEndpoint } : {}),
    ...(settings.eventsTableName ? { [ENV.eventsTableName]: settings.eventsTableName } : {}),
    ...(settings.historyDays !== undefined ? { [ENV.historyDays]: String(settings.historyDays) } : {}),
    ...(settings.notificationsTopicArn ? { [ENV.notificationsTopicArn]: settings.notificationsTopicArn } : {}),
    ...(settings.snsEndpoint ? { [ENV.snsEndpoint]: settings.snsEndpoint } : {}),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: settings.logLevel ?? 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/**
 * The sweep (the clock) as the stack deploys it. The schedule fires every
 * minute, and each sweep reads every printer due up to its own time, so a
 * sweep is superseded by the next one within a minute: the timeout keeps one
 * sweep inside its minute, and retries stop once a sweep is ten minutes old
 * (ten newer sweeps have covered what it would do).
 */
export const SWEEP_FUNCTION = {
  /** Memory (and with it CPU share), as the detector's: the work per printer is the same few small requests. */
  memorySizeMb: 256,
  /** Invocation timeout: under the schedule's minute, so sweeps do not pile up behind a slow one. */
  timeoutSeconds: 50,
  /** Retries of a failed sweep (the handler throws when a due printer could not be moved). */
  retryAttempts: 2,
  /** How old a sweep may get, waiting or retried, before it goes to its dead-letter queue. */
  maxEventAgeSeconds: 600,
  /** One sweep at a time: two sweeps would race for the same due printers (their writes are guarded, but wasted). */
  reservedConcurrency: 1,
} as const;

/** The operator API's function as the stack deploys it. */
export const API_FUNCTION = {
  /** Memory (and with it CPU share): a request is a few DynamoDB calls and, for an action, one alarm write. */
  memorySizeMb: 256,
  /** Invocation timeout: well inside the HTTP API's 30 s integration limit, so a hung call fails as a 5xx of ours. */
  timeoutSeconds: 10,
} as const;
