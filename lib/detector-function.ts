/**
 * The detector Lambda, for either ingest mode: bundled with esbuild using the
 * one bundling definition in `lambda/bundling.ts` (from
 * `lambda/handlers/detector.ts` for direct ingest, `lambda/handlers/stream.ts`
 * for stream ingest), a least-privilege role and its own log group. With
 * direct ingest it also gets an async invocation config that never drops a
 * reading silently; with stream ingest the event source mapping
 * (`lib/stream-ingest.ts`) owns retries and failures.
 */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETECTOR_ENTRY, STREAM_ENTRY } from '../lambda/bundling.ts';
import { DETECTOR_FUNCTION, type DeviceIdentityMode, detectorEnvironment, PREDICTION_TOPIC } from '../contract/index.ts';
import { type AlarmDeliveryTargets, alarmDeliveryEnvironment, grantAlarmDelivery, iotTopicArn } from './alarm-delivery.ts';
import { createBundledFunction } from './bundled-function.ts';
import { sendOnlyDestination } from './dead-letter-queue.ts';

/** What the function is, whichever way readings reach it. */
interface DetectorFunctionSettings {
  /** The profiles table: the function may GetItem and UpdateItem on it, nothing else. */
  readonly table: ITable;
  /**
   * IoT Data Plane endpoint (`https://<account endpoint>`) events are published through.
   * @default - the SDK's default endpoint for the region
   */
  readonly iotDataEndpoint?: string;
  /**
   * Memory (and with it CPU share). 256 MB: the work per reading is two small
   * DynamoDB calls and at most one publish, but module load (Powertools, SDK
   * clients) and TLS handshakes are CPU bound, and 128 MB roughly doubles the
   * cold start for a negligible saving at this duration.
   * @default DETECTOR_FUNCTION.memorySizeMb (256)
   */
  readonly memorySize?: number;
  /**
   * 10 s: a reading normally takes tens of milliseconds, and a stream batch
   * folds each printer's readings into one write; the bound leaves room for
   * the SDK's own retries with backoff on throttling, and cuts off a hung
   * call long before retries would pile up.
   * @default DETECTOR_FUNCTION.timeoutSeconds (10 s)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * X-Ray tracing. Off by default: the EMF metrics and structured logs cover
   * each reading, and one trace per reading costs more than the rest of the
   * stack at any real message rate.
   * @default Tracing.DISABLED
   */
  readonly tracing?: Tracing;
  /**
   * Reserved concurrency: the most invocations at once, so a flood of readings
   * cannot take the account's whole concurrency (and starve its other
   * functions). Direct ingest: readings above it are throttled, kept by
   * Lambda's async queue and retried until `maxEventAge`, then sent to the
   * dead-letter queue. Stream ingest: a stream needs one at a time per shard,
   * and a throttled batch waits in the stream. The throttles alarm fires meanwhile.
   * @default DETECTOR_FUNCTION.reservedConcurrency (100)
   */
  readonly reservedConcurrency?: number;
  /**
   * Who may report for a printer. In `thing` mode the function checks each
   * reading's sender and may `iot:DescribeThing` a gateway.
   * @default 'any'
   */
  readonly deviceIdentity?: DeviceIdentityMode;
  /**
   * Where events and alarm transitions are recorded and notified besides
   * their MQTT topics (the function may PutItem and BatchWriteItem on the history table and
   * publish to the notifications topic, nothing else there).
   * @default - none: events are only published on `anom/pred`, transitions on `anom/alarm/<PrinterId>`
   */
  readonly alarmDelivery?: AlarmDeliveryTargets;
}

/** Direct ingest: the topic rule invokes the function asynchronously with each message. */
export interface DirectDetectorFunctionProps extends DetectorFunctionSettings {
  /** @default 'direct' */
  readonly ingest?: 'direct';
  /** Receives invocations that failed after every retry or expired. */
  readonly deadLetterQueue: IQueue;
  /**
   * Retries of a failed asynchronous invocation (transient failures are
   * thrown on purpose; the handler is idempotent per invocation).
   * @default DETECTOR_FUNCTION.retryAttempts (2)
   */
  readonly retryAttempts?: number;
  /**
   * How long an invocation may wait in Lambda's async queue before it goes to
   * the dead-letter queue: readings older than this are no longer "live".
   * @default DETECTOR_FUNCTION.maxEventAgeSeconds (1 hour)
   */
  readonly maxEventAge?: Duration;
}

/**
 * Stream ingest: an event source mapping invokes the function synchronously
 * with batches of stream records; retries, record age and the on-failure
 * destination are the mapping's (`StreamIngest`).
 */
export interface StreamDetectorFunctionProps extends DetectorFunctionSettings {
  readonly ingest: 'stream';
}

export type DetectorFunctionProps = DirectDetectorFunctionProps | StreamDetectorFunctionProps;

/** The detector function and its log group, role and failure handling. */
export class DetectorFunction extends Construct {
  /** The function. */
  public readonly function: NodejsFunction;
  /** The function's log group. */
  public readonly logGroup: LogGroup;
  /** The function's execution role. */
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: DetectorFunctionProps) {
    super(scope, id);
    const stream = props.ingest === 'stream';
    const tracing = props.tracing ?? Tracing.DISABLED;
    ({
      function: this.function,
      logGroup: this.logGroup,
      role: this.role,
    } = createBundledFunction(this, {
      entry: stream ? STREAM_ENTRY : DETECTOR_ENTRY,
      description: stream
        ? 'Detects printer threshold anomalies from batches of the IoT reading stream'
        : 'Detects printer threshold anomalies from IoT readings',
      roleDescription: stream
        ? 'printer-anomaly detector (stream ingest): read/update printer profiles, deliver events and alarm transitions, read the reading stream'
        : 'printer-anomaly detector: read/update printer profiles, deliver events and alarm transitions',
      memorySizeMb: props.memorySize ?? DETECTOR_FUNCTION.memorySizeMb,
      timeout: props.timeout ?? Duration.seconds(DETECTOR_FUNCTION.timeoutSeconds),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      tracing,
      environment: detectorEnvironment({
        tableName: props.table.tableName,
        ...(props.iotDataEndpoint ? { iotDataEndpoint: props.iotDataEndpoint } : {}),
        ...(props.deviceIdentity ? { deviceIdentity: props.deviceIdentity } : {}),
        ...(props.alarmDelivery ? alarmDeliveryEnvironment(props.alarmDelivery) : {}),
      }),
      reservedConcurrency: props.reservedConcurrency ?? DETECTOR_FUNCTION.reservedConcurrency,
      ...(props.ingest === 'stream'
        ? {}
        : {
            extra: {
              retryAttempts: props.retryAttempts ?? DETECTOR_FUNCTION.retryAttempts,
              maxEventAge: props.maxEventAge ?? Duration.seconds(DETECTOR_FUNCTION.maxEventAgeSeconds),
              onFailure: sendOnlyDestination(props.deadLetterQueue),
            },
          }),
    }));

    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: stream
        ? 'The function is invoked only by its stream event source mapping, never asynchronously, so a function DLQ ' +
          'would never receive anything; the mapping has the on-failure destination (the encrypted SQS dead-letter queue).'
        : 'The function has an on-failure destination (the encrypted SQS dead-letter queue), the successor of a DLQ ' +
          'that also records the error; configuring both would deliver every failed reading twice.',
    });
    if (tracing === Tracing.DISABLED) {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason: stream
          ? 'Tracing is off by default: the EMF metrics and structured logs already cover each reading and batch, and ' +
            'traces of batch invocations would add cost without telling more. The `tracing` prop enables it.'
          : 'Tracing is off by default: every reading is one invocation, so X-Ray would cost more than the rest of the ' +
            'stack, while the EMF metrics and structured logs already cover each reading. The `tracing` prop enables it.',
      });
    }

    // What the handler really calls (lambda/adapters/dynamodb-profile-store.ts, lambda/adapters/iot-data-publisher.ts):
    // no Query/Scan, no index, no other topic. A container's first read of a printer is one BatchGetItem of the
    // printer and the fleet defaults `*`. PutItem only creates a profile: a fleet default with `Enrol` enrols a
    // printer on its first valid reading, with a conditional put that never overwrites an item. The twin enforces
    // this policy on every call (twin/iam.ts), and test/twin/iam.test.ts lists any grant no call needed.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadAndUpdateProfiles',
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [props.table.tableArn],
      }),
    );
    if (props.alarmDelivery) {
      grantAlarmDelivery(this.role, props.alarmDelivery);
    } else {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'PublishAnomalyEvents',
          actions: ['iot:Publish'],
          resources: [iotTopicArn(Stack.of(this), PREDICTION_TOPIC)],
        }),
      );
    }
    if (props.deviceIdentity === 'thing') {
      // Gateways list the printers they report for in a thing attribute; any thing may be a gateway.
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'DescribeGatewayThings',
          actions: ['iot:DescribeThing'],
          resources: [
            Stack.of(this).formatArn({ service: 'iot', resource: 'thing', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ],
        }),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*]',
        reason:
          'Any connected thing may be a gateway, so the detector reads the sending thing, whichever it is; the action is ' +
          'read-only (iot:DescribeThing) and limited to things of this account and region.',
      });
    }
  }
}
