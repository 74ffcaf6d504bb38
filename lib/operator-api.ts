/**
 * The operator API in the cloud: API Gateway's HTTP API in front of the same
 * Hono app the twin serves (`lambda/handlers/api.ts`), every route under
 * `/api/` behind IAM (SigV4) authorization, so API Gateway rejects an
 * unsigned or unauthorised request before the function runs, and the
 * function reads who acts from the verified caller ARN. No CORS
 * configuration: the dashboard reaches the API through `npm run dashboard`'s
 * local signing proxy, never from a browser on another origin. Access logs
 * (one JSON line per request) and stage throttling bound and record use.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_FUNCTION, detectorEnvironment, EVENTS_TABLE, HTTP_API, PROFILES_TABLE } from '../contract/index.ts';
import { API_ENTRY } from '../lambda/bundling.ts';
import { type AlarmDeliveryTargets, alarmDeliveryEnvironment, grantAlarmDelivery } from './alarm-delivery.ts';
import { createBundledFunction } from './bundled-function.ts';

/** The one route: the Hono app routes below it (`/api/health`, `/api/printers/...`, ...). */
export const API_ROUTE_PATH = HTTP_API.routePath;

/** An access log line: who called which route, from where, how it ended and how long it took. */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.userArn',
  route: '$context.routeKey',
  status: '$context.status',
  latency: '$context.responseLatency',
} as const;

export interface OperatorApiProps {
  /** The profiles table. */
  readonly table: ITable;
  /** Where the transitions of operators' actions are recorded and notified; the history is read from it too. */
  readonly alarmDelivery: AlarmDeliveryTargets;
  /**
   * IoT Data Plane endpoint (`https://<account endpoint>`) transitions are published through.
   * @default - the SDK's default endpoint for the region
   */
  readonly iotDataEndpoint?: string;
  /**
   * Steady request rate the stage allows (requests per second, all callers).
   * A dashboard polls a few requests a second; this bounds what a runaway
   * script or a leaked credential can cost in Lambda and DynamoDB.
   * @default 50
   */
  readonly throttleRate?: number;
  /**
   * Burst the stage allows above the steady rate.
   * @default 100
   */
  readonly throttleBurst?: number;
  /** Retention of the function's logs and of the access logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** The HTTP API, its stage and access logs, and the function behind it. */
export class OperatorApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: HttpApi;
  /** Its `$default` stage (throttled, access-logged). */
  public readonly stage: HttpStage;
  /** The base URL; the routes are under `/api/`. */
  public readonly url: string;
  /** The access log group. */
  public readonly accessLogs: LogGroup;
  /** The function. */
  public readonly function: NodejsFunction;
  /** The function's log group. */
  public readonly logGroup: LogGroup;
  /** The function's execution role. */
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    ({
      function: this.function,
      logGroup: this.logGroup,
      role: this.role,
    } = createBundledFunction(this, {
      entry: API_ENTRY,
      description: 'The printer-anomaly operator API (behind the HTTP API, IAM-authorized)',
      roleDescription: 'printer-anomaly operator API: read printers and history, write profiles, move alarms',
      memorySizeMb: API_FUNCTION.memorySizeMb,
      timeout: Duration.seconds(API_FUNCTION.timeoutSeconds),
      logRetention,
      tracing: Tracing.DISABLED,
      environment: detectorEnvironment({
        tableName: props.table.tableName,
        ...(props.iotDataEndpoint ? { iotDataEndpoint: props.iotDataEndpoint } : {}),
        ...alarmDeliveryEnvironment(props.alarmDelivery),
      }),
    }));
    Validations.of(this.function).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway only: a failure is the HTTP response the caller gets (and a 5xx, which ' +
          'is alarmed), so there is no event to keep in a dead-letter queue.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'The access log records every request (caller, route, status, latency) and the function logs each error; ' +
          'traces would add cost and a wildcard X-Ray permission without telling more about a few DynamoDB calls.',
      },
    );
    this.grantOperatorAccess(props);

    this.httpApi = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-operator`,
      description: 'printer-anomaly operator API (IAM-authorized)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The stage below replaces the default one, to carry the throttling and the access logs.
      createDefaultStage: false,
    });
    const [route] = this.httpApi.addRoutes({
      path: API_ROUTE_PATH,
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Function', this.function),
    });
    // The integration's invoke permission: API Gateway, from this API's route only.
    const permission = route?.node.tryFindChild('Function-Permission');
    if (permission) {
      Validations.of(permission).acknowledge({
        id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
        reason:
          'Not public: only apigateway.amazonaws.com may invoke, with a SourceArn of this API and route in this account ' +
          '(arn:...:execute-api:<region>:<account>:<api id>/*/*/api/{proxy+}); the control only recognises a SourceArn ' +
          'that is a literal or a plain reference, and an execute-api ARN can only be built with Fn::Join.',
      });
    }

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate ?? 50, burstLimit: props.throttleBurst ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });
    this.url = this.httpApi.apiEndpoint;
  }

  /**
   * What the Hono app calls (lambda/adapters/fleet-operations.ts, dynamodb-history.ts,
   * profile-writer.ts, lambda/alarm-writer.ts): profiles read by key, in batches, by a
   * paginated Scan (the full listing) and by the ranking and alarm indexes; profiles
   * written with guarded UpdateItems only (never a PutItem); history read per printer
   * and fleet-wide by time, and written by the transitions of operators' actions.
   */
  private grantOperatorAccess(props: OperatorApiProps): void {
    const { table } = props;
    const history = props.alarmDelivery.historyTable;
    const indexArn = (tableArn: string, indexName: string) => `${tableArn}/index/${indexName}`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadAndWriteProfiles',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'QueryRankingAndAlarms',
        actions: ['dynamodb:Query'],
        resources: [
          indexArn(table.tableArn, PROFILES_TABLE.rankIndex.indexName),
          indexArn(table.tableArn, PROFILES_TABLE.alarmIndex.indexName),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'QueryHistory',
        actions: ['dynamodb:Query'],
        resources: [history.tableArn, indexArn(history.tableArn, EVENTS_TABLE.feedIndex.indexName)],
      }),
    );
    grantAlarmDelivery(this.role, props.alarmDelivery);
  }
}
