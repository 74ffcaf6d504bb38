/**
 * The whole printer-anomaly backend in one stack. This file only wires the
 * constructs (one per concern) together and declares the outputs the CLIs
 * read from `cdk-outputs.json` (their names: `STACK_OUTPUT` in `contract/stack-outputs.ts`).
 */
import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  DEFAULT_EVENTS_TABLE_NAME,
  DEFAULT_HISTORY_DAYS,
  DEFAULT_TABLE_NAME,
  DEVICE_IDENTITY_MODES,
  type DeviceIdentityMode,
  INGEST_MODES,
  type IngestMode,
  STACK_OUTPUT_DESCRIPTION,
  type StackOutputName,
} from '../contract/index.ts';
import type { AlarmDeliveryTargets } from './alarm-delivery.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { DetectorFunction } from './detector-function.ts';
import { DetectorRule } from './detector-rule.ts';
import { DevicePolicy } from './device-policy.ts';
import { HistoryTable } from './history-table.ts';
import { IotDataEndpoint } from './iot-data-endpoint.ts';
import { DetectorMonitoring } from './monitoring.ts';
import { type NotificationRouting, NotificationRoutingError, readNotificationRouting } from './notification-routes.ts';
import { NotificationsTopic } from './notifications-topic.ts';
import { OperationsTopic } from './operations-topic.ts';
import { OperatorApi } from './operator-api.ts';
import { ProfilesTable } from './profiles-table.ts';
import { ReadingStream } from './reading-stream.ts';
import { StreamIngest } from './stream-ingest.ts';
import { Sweep } from './sweep.ts';

/** Context keys (`cdk deploy -c KEY=VALUE`) the stack reads when a prop is not given. */
export const CONTEXT = {
  /** `true` deletes the tables (and their data) with the stack; otherwise they are retained. */
  destroyTable: 'destroyTable',
  /** Overrides the table name. */
  tableName: 'tableName',
  /** Overrides the history table's name. */
  eventsTableName: 'eventsTableName',
  /** Days history items are kept (an integer >= 1). */
  historyDays: 'historyDays',
  /** An email address subscribed to the alarm notifications topic (every notification: `notify` {"default": {"email"}}). */
  notificationEmail: 'notificationEmail',
  /** Notifications routed by severity, as JSON (`NotificationRouting`, docs/notifications.md). */
  notify: 'notify',
  /** ARN of an existing SNS topic the alarms notify instead of the stack's own operations topic. */
  alarmTopicArn: 'alarmTopicArn',
  /** An email address subscribed to the operations topic. */
  alarmEmail: 'alarmEmail',
  /** Reserved concurrency of the detector function. */
  detectorConcurrency: 'detectorConcurrency',
  /** Who may report for a printer: `any` (default) or `thing`. */
  deviceIdentity: 'deviceIdentity',
  /** How readings reach the detector: `direct` (default) or `stream`. */
  ingest: 'ingest',
  /** Stream ingest: a fixed shard count (provisioned capacity) instead of on-demand. */
  streamShards: 'streamShards',
} as const;

export interface PrinterAnomalyStackProps extends StackProps {
  /**
   * Name of the profiles table. A fixed name keeps the original CLI commands
   * working but allows one stack per account and region.
   * @default context `tableName`, else DEFAULT_TABLE_NAME (`PrinterProfiles`)
   */
  readonly tableName?: string;
  /**
   * Removal policy of the profiles table and of the history table.
   * @default RemovalPolicy.DESTROY when context `destroyTable` is `true`, else RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Name of the history table (anomaly events and alarm transitions).
   * @default context `eventsTableName`, else DEFAULT_EVENTS_TABLE_NAME (`PrinterEvents`)
   */
  readonly eventsTableName?: string;
  /**
   * Days a history item is kept before DynamoDB's TTL deletes it.
   * @default context `historyDays`, else DEFAULT_HISTORY_DAYS (90)
   */
  readonly historyDays?: number;
  /**
   * An email address subscribed to the alarm notifications topic (printer
   * alarms, not the stack's own health: that is `alarmEmail`).
   * @default context `notificationEmail`, else no subscription
   */
  readonly notificationEmail?: string;
  /**
   * Notifications routed by severity: an email address and/or an HTTPS
   * endpoint per severity, and `default` for the others, e.g.
   * `{ critical: { email: 'oncall@example.com' }, default: { url: 'https://chat.example.com/hook' } }`
   * (docs/notifications.md). Not with `notificationEmail`.
   * @default context `notify` (JSON), else `notificationEmail` for every severity
   */
  readonly notify?: NotificationRouting;
  /**
   * ARN of an existing SNS topic the alarms notify (ALARM and OK), for users
   * who bring their own; then no operations topic is created.
   * @default context `alarmTopicArn`, else the stack's own operations topic
   */
  readonly alarmTopicArn?: string;
  /**
   * An email address subscribed to the stack's operations topic.
   * @default context `alarmEmail`, else no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Reserved concurrency of the detector: the most invocations at once, so a
   * flood on `anom/detect` cannot take the account's whole concurrency.
   * @default context `detectorConcurrency`, else DETECTOR_FUNCTION.reservedConcurrency
   */
  readonly detectorConcurrency?: number;
  /**
   * Who may report for a printer (`docs/deploy.md`, "Device identity"): `any`, or
   * `thing`: only the connected thing itself, or a gateway thing listing the
   * printer in its `printers` attribute.
   * @default context `deviceIdentity`, else 'any'
   */
  readonly deviceIdentity?: DeviceIdentityMode;
  /**
   * How readings reach the detector: `direct`, the topic rule invokes it once
   * per message; or `stream`, the rule puts each message on a Kinesis stream
   * keyed by printer and the detector reads it in batches, folding each
   * printer's readings into one write (docs/cost.md compares the two).
   * @default context `ingest`, else 'direct'
   */
  readonly ingest?: IngestMode;
  /**
   * Stream ingest only: a fixed number of shards (provisioned capacity).
   * @default context `streamShards`, else on-demand capacity
   */
  readonly streamShards?: number;
}

/**
 * Printers -> IoT Core -> topic rule -> detector Lambda (directly, or through
 * a Kinesis stream with `ingest: 'stream'`) -> DynamoDB, events -> `anom/pred`;
 * alarm transitions (from the detector, the every-minute sweep and the
 * operator API) -> `anom/alarm/<PrinterId>`, the history table and the
 * notifications topic.
 */
export class PrinterAnomalyStack extends Stack {
  constructor(scope: Construct, id: string, props: PrinterAnomalyStackProps = {}) {
    super(scope, id, props);
    const context = (key: string): string | undefined => {
      const value: unknown = this.node.tryGetContext(key);
      return value === undefined || value === null || value === '' ? undefined : String(value);
    };

    const removalPolicy =
      props.tableRemovalPolicy ?? (context(CONTEXT.destroyTable) === 'true' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
    const { table } = new ProfilesTable(this, 'Profiles', {
      tableName: props.tableName ?? context(CONTEXT.tableName) ?? DEFAULT_TABLE_NAME,
      removalPolicy,
    });
    const historyDays = props.historyDays ?? context(CONTEXT.historyDays) ?? DEFAULT_HISTORY_DAYS;
    if (!(Number.isSafeInteger(Number(historyDays)) && Number(historyDays) >= 1)) {
      throw new Error(`historyDays must be an integer >= 1, got "${historyDays}"`);
    }
    const history = new HistoryTable(this, 'History', {
      tableName: props.eventsTableName ?? context(CONTEXT.eventsTableName) ?? DEFAULT_EVENTS_TABLE_NAME,
      removalPolicy,
    });
    const notificationEmail = props.notificationEmail ?? context(CONTEXT.notificationEmail);
    const notify = props.notify ?? this.node.tryGetContext(CONTEXT.notify);
    if (notify !== undefined && notificationEmail) {
      throw new NotificationRoutingError(
        'give notify or notificationEmail, not both (notificationEmail is notify {"default": {"email": ...}})',
      );
    }
    const routing =
      notify !== undefined ? readNotificationRouting(notify) : notificationEmail ? { default: { email: notificationEmail } } : {};
    const notifications = new NotificationsTopic(this, 'Notifications', { routing });
    const alarmDelivery: AlarmDeliveryTargets = { historyTable: history.table, historyDays: Number(historyDays), notifications };
    const { queue } = new DeadLetterQueue(this, 'DeadLetters');
    const endpoint = new IotDataEndpoint(this, 'IotEndpoint');
    const concurrency = props.detectorConcurrency ?? context(CONTEXT.detectorConcurrency);
    const identity = props.deviceIdentity ?? context(CONTEXT.deviceIdentity) ?? 'any';
    if (!DEVICE_IDENTITY_MODES.includes(identity as DeviceIdentityMode)) {
      throw new Error(`deviceIdentity must be one of ${DEVICE_IDENTITY_MODES.join(', ')}, got "${identity}"`);
    }
    const deviceIdentity = identity as DeviceIdentityMode;
    const ingestValue = props.ingest ?? context(CONTEXT.ingest) ?? 'direct';
    if (!INGEST_MODES.includes(ingestValue as IngestMode)) {
      throw new Error(`ingest must be one of ${INGEST_MODES.join(', ')}, got "${ingestValue}"`);
    }
    const ingest = ingestValue as IngestMode;
    const shards = props.streamShards ?? context(CONTEXT.streamShards);
    if (shards !== undefined && ingest !== 'stream') {
      throw new Error(`streamShards applies to ingest=stream only, got ingest=${ingest}`);
    }
    if (shards !== undefined && !(Number.isInteger(Number(shards)) && Number(shards) >= 1)) {
      throw new Error(`streamShards must be a positive integer, got "${shards}"`);
    }

    const detector = new DetectorFunction(this, 'Detector', {
      table,
      iotDataEndpoint: endpoint.url,
      ...(concurrency !== undefined ? { reservedConcurrency: Number(concurrency) } : {}),
      deviceIdentity,
      alarmDelivery,
      ...(ingest === 'stream' ? { ingest } : { deadLetterQueue: queue }),
    });
    const sweep = new Sweep(this, 'Sweep', { table, alarmDelivery, iotDataEndpoint: endpoint.url });
    const api = new OperatorApi(this, 'OperatorApi', { table, alarmDelivery, iotDataEndpoint: endpoint.url });
    // Stream ingest: the rule puts readings on the stream, and the detector reads it.
    const stream =
      ingest === 'stream' ? new ReadingStream(this, 'Readings', shards !== undefined ? { shards: Number(shards) } : {}).stream : undefined;
    if (stream) new StreamIngest(this, 'StreamIngest', { stream, function: detector.function, deadLetterQueue: queue });
    const rule = new DetectorRule(this, 'Rule', {
      target: stream ? { ingest: 'stream', stream } : { ingest: 'direct', function: detector.function },
      errorQueue: queue,
      deviceIdentity,
    });
    const devicePolicy = new DevicePolicy(this, 'DevicePolicy');

    const alarmTopicArn = props.alarmTopicArn ?? context(CONTEXT.alarmTopicArn);
    const alarmEmail = props.alarmEmail ?? context(CONTEXT.alarmEmail);
    const alarmTopic = alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn)
      : new OperationsTopic(this, 'Operations', alarmEmail ? { email: alarmEmail } : {}).topic;
    new DetectorMonitoring(this, 'Monitoring', {
      function: detector.function,
      ...(stream ? { stream } : {}),
      deadLetterQueue: queue,
      ruleName: rule.ruleName,
      alarmOperations: {
        sweepFunction: sweep.function,
        sweepDeadLetterQueue: sweep.deadLetterQueue,
        notificationsTopic: notifications.topic,
        api: api.httpApi,
      },
      alarmActions: [new SnsAction(alarmTopic)],
    });

    // Which outputs a mode has: `STACK_OUTPUT` in contract/stack-outputs.ts.
    const outputs: Partial<Record<StackOutputName, string>> = {
      TableName: table.tableName,
      ...(stream
        ? { ReadingStreamName: stream.streamName, StreamFunctionName: detector.function.functionName }
        : { FunctionName: detector.function.functionName }),
      LogGroupName: detector.logGroup.logGroupName,
      RuleName: rule.ruleName,
      IotDataEndpoint: endpoint.address,
      DeadLetterQueueUrl: queue.queueUrl,
      DevicePolicyName: devicePolicy.policyName,
      OperationsTopicArn: alarmTopic.topicArn,
      Region: Aws.REGION,
      ApiUrl: api.url,
      EventsTableName: history.table.tableName,
      NotificationsTopicArn: notifications.topic.topicArn,
    };
    for (const [name, value] of Object.entries(outputs) as [StackOutputName, string][]) {
      new CfnOutput(this, name, { value, description: STACK_OUTPUT_DESCRIPTION[name] });
    }
  }
}
