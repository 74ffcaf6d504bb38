/**
 * The detector Lambda: bundled with esbuild from `lambda/handlers/detector.ts`
 * using the one bundling definition in `lambda/bundling.ts`, least-privilege role, its own log
 * group, and an async invocation config that never drops a reading silently.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing, type DestinationConfig, type IDestination } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETECTOR_BUNDLE, DETECTOR_ENTRY, DETECTOR_EXTERNALS, DETECTOR_HANDLER } from '../lambda/bundling.ts';
import { DETECTOR_FUNCTION, type DeviceIdentityMode, detectorEnvironment, PREDICTION_TOPIC } from '../contract/index.ts';

export interface DetectorFunctionProps {
  /** The profiles table: the function may GetItem and UpdateItem on it, nothing else. */
  readonly table: ITable;
  /** Receives invocations that failed after every retry or expired. */
  readonly deadLetterQueue: IQueue;
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
   * 10 s: a reading normally takes tens of milliseconds; the bound leaves room
   * for the SDK's own retries with backoff on throttling, and cuts off a hung
   * call long before IoT's retries would pile up.
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
  /**
   * Reserved concurrency: the most invocations at once, so a flood of readings
   * cannot take the account's whole concurrency (and starve its other
   * functions). Readings above it are throttled, kept by Lambda's async queue
   * and retried until `maxEventAge`, then sent to the dead-letter queue; the
   * throttles alarm fires meanwhile.
   * @default DETECTOR_FUNCTION.reservedConcurrency (100)
   */
  readonly reservedConcurrency?: number;
  /**
   * Who may report for a printer. In `thing` mode the function checks each
   * reading's sender and may `iot:DescribeThing` a gateway.
   * @default 'any'
   */
  readonly deviceIdentity?: DeviceIdentityMode;
}

/**
 * An SQS on-failure destination whose grant is only `sqs:SendMessage` (all
 * Lambda needs to deliver the failure record), unlike `SqsDestination`, which
 * also grants `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`.
 */
function sendOnlyQueueDestination(queue: IQueue): IDestination {
  return {
    bind(_scope: Construct, fn): DestinationConfig {
      fn.addToRolePolicy(new PolicyStatement({ sid: 'SendFailedInvocations', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
      return { destination: queue.queueArn };
    },
  };
}

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

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: logs go only to
    // this function's own log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'printer-anomaly detector: read/update printer profiles, publish anomaly events',
    });

    const tracing = props.tracing ?? Tracing.DISABLED;
    this.function = new NodejsFunction(this, 'Function', {
      description: 'Detects printer threshold anomalies from IoT readings',
      entry: DETECTOR_ENTRY,
      handler: DETECTOR_HANDLER,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? DETECTOR_FUNCTION.memorySizeMb,
      timeout: props.timeout ?? Duration.seconds(DETECTOR_FUNCTION.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing,
      environment: detectorEnvironment({
        tableName: props.table.tableName,
        ...(props.iotDataEndpoint ? { iotDataEndpoint: props.iotDataEndpoint } : {}),
        ...(props.deviceIdentity ? { deviceIdentity: props.deviceIdentity } : {}),
      }),
      bundling: {
        forceDockerBundling: false,
        format: DETECTOR_BUNDLE.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
        target: DETECTOR_BUNDLE.target,
        minify: DETECTOR_BUNDLE.minify,
        sourceMap: DETECTOR_BUNDLE.sourcemap,
        banner: DETECTOR_BUNDLE.banner,
        mainFields: [...DETECTOR_BUNDLE.mainFields],
        externalModules: [...DETECTOR_EXTERNALS],
      },
      retryAttempts: props.retryAttempts ?? DETECTOR_FUNCTION.retryAttempts,
      maxEventAge: props.maxEventAge ?? Duration.seconds(DETECTOR_FUNCTION.maxEventAgeSeconds),
      reservedConcurrentExecutions: props.reservedConcurrency ?? DETECTOR_FUNCTION.reservedConcurrency,
      onFailure: sendOnlyQueueDestination(props.deadLetterQueue),
    });

    const pinnedRuntime =
      'Pinned to nodejs22.x on purpose: the bundle targets node22 (lambda/bundling.ts) and relies on the AWS SDK v3 ' +
      'that this runtime ships; a runtime upgrade is a deliberate change together with that target.';
    Validations.of(this.function).acknowledge(
      { id: 'AwsSolutions-L1', reason: pinnedRuntime },
      { id: 'Serverless-LambdaLatestVersion', reason: pinnedRuntime },
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'The function has an on-failure destination (the encrypted SQS dead-letter queue), the successor of a DLQ ' +
          'that also records the error; configuring both would deliver every failed reading twice.',
      },
    );
    if (tracing === Tracing.DISABLED) {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason:
          'Tracing is off by default: every reading is one invocation, so X-Ray would cost more than the rest of the ' +
          'stack, while the EMF metrics and structured logs already cover each reading. The `tracing` prop enables it.',
      });
    }

    // What the handler really calls (lambda/adapters/dynamodb-profile-store.ts, lambda/adapters/iot-data-publisher.ts):
    // no Query/Scan, no index, no other topic.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadAndUpdateProfiles',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PublishAnomalyEvents',
        actions: ['iot:Publish'],
        resources: [
          Stack.of(this).formatArn({
            service: 'iot',
            resource: 'topic',
            resourceName: PREDICTION_TOPIC,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
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
