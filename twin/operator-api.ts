/**
 * The operator API and the dashboard on the twin. Every `/api/*` request goes
 * through API Gateway's HTTP API as the twin serves it (`api-gateway.ts`) to
 * the operator API function, bundled as the stack deploys it and run by the
 * twin's Lambda service with the environment the stack gives it and its
 * role's credentials (`local-function.ts`, `cloud-iam.ts`). The dashboard's
 * files are served beside it, on the twin's HTTP server (loopback only; who
 * acts is `local`). The same operations are also offered in process
 * (`fleet`), for the tests and `npm start`.
 */
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { getRequestListener } from '@hono/node-server';
import { API_FUNCTION, PREDICTION_TOPIC } from '../contract/index.ts';
import { type ApiFetch, dashboardServer } from '../dashboard/serve.ts';
import { DynamoDbHistory } from '../lambda/adapters/dynamodb-history.ts';
import { DynamoDbFleet } from '../lambda/adapters/fleet-operations.ts';
import { createAlarmWriter } from '../lambda/sweep-app.ts';
import { httpApiGateway } from './api-gateway.ts';
import type { Closers } from './closers.ts';
import { type CloudIam, TWIN_API_ID } from './cloud-iam.ts';
import { LOCAL_AWS, localDynamoDbClient } from './dynamodb.ts';
import { HEALTH_PATH, type TwinHttpServer } from './http-server.ts';
import type { FunctionEntry } from './lambda-bundle.ts';
import { type FunctionEnvironmentSettings, type LocalFunction, startFunction } from './local-function.ts';

/** Who acts through the twin's API: IAM authorization has no caller to name on a loopback server. */
export const LOCAL_CALLER = 'local';

export interface OperatorApiOptions {
  readonly http: TwinHttpServer;
  readonly cloud: CloudIam;
  /** The detector as the twin runs it: the API function is named after it, in its region. */
  readonly detector: LocalFunction;
  /** What the functions' environments are built from; the API takes what the stack gives it. */
  readonly settings: FunctionEnvironmentSettings & {
    readonly dynamoDbEndpoint: string;
    readonly iotDataEndpoint: string;
    readonly snsEndpoint: string;
    readonly eventsTableName: string;
    readonly historyDays: number;
    readonly notificationsTopicArn: string;
  };
  readonly now: () => Date;
  readonly log: (line: string) => void;
  readonly closers: Closers;
  /** API Gateway's integration timeout. @default HTTP_API.integrationTimeoutSeconds, in ms */
  readonly integrationTimeoutMs?: number | undefined;
  /** What runs as the API function. @default 'api', the stack's */
  readonly entry?: FunctionEntry | undefined;
}

/** Most execution environments of the API function at once (a dashboard polls a few routes together). */
const API_CONCURRENCY = 4;

/** The started API: the in-process operations, and `serve` to mount the gateway and the page on the twin's HTTP server. */
export interface OperatorApi {
  readonly fleet: DynamoDbFleet;
  /** Serves `/api/*` through the gateway and the page beside it; `GET /api/health` also carries `health()`. */
  serve(health: () => object): void;
}

/**
 * The function's answer to `GET /api/health` with the twin's own counters
 * added (read by `npm run emit -- --wait` and `npm run ranked`): the request
 * still goes through the gateway and the function, so a broken API shows here too.
 */
function withTwinHealth(gateway: ApiFetch, health: () => object): ApiFetch {
  return async (request, env) => {
    const response = await gateway(request, env);
    if (request.method !== 'GET' || new URL(request.url).pathname !== HEALTH_PATH || response.status !== 200) return response;
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return Response.json({ ...((await response.json()) as object), ...health() }, { status: 200, headers });
  };
}

/** Starts the API function and its gateway; returns the in-process operations and how to serve them. */
export async function startOperatorApi(options: OperatorApiOptions): Promise<OperatorApi> {
  const { cloud, detector, settings, closers } = options;
  const functionName = `${detector.functionName}-api`;
  const fn: LocalFunction = {
    functionName,
    functionArn: `arn:aws:lambda:${detector.region}:${cloud.iam.resolver.account}:function:${functionName}`,
    region: detector.region,
    memorySizeMb: API_FUNCTION.memorySizeMb,
    timeoutMs: API_FUNCTION.timeoutSeconds * 1000,
    // Invoked synchronously: a failure is the caller's answer, never retried.
    retryAttempts: 0,
  };
  // The environment the stack sets for the API (`lib/operator-api.ts`), pointed at the twin's endpoints.
  const environment: FunctionEnvironmentSettings = {
    tableName: settings.tableName,
    iotDataEndpoint: settings.iotDataEndpoint,
    dynamoDbEndpoint: settings.dynamoDbEndpoint,
    eventsTableName: settings.eventsTableName,
    historyDays: settings.historyDays,
    notificationsTopicArn: settings.notificationsTopicArn,
    snsEndpoint: settings.snsEndpoint,
    ...(settings.logLevel ? { logLevel: settings.logLevel } : {}),
    extra: settings.extra,
    accessKeyId: cloud.roles.api.accessKeyId,
  };
  // Lambda writes the function's logs with its role: refused, they never reach the log.
  const onLog = cloud.decisions.logs.api ? () => {} : options.log;
  const runtime = await startFunction(fn, environment, { concurrency: API_CONCURRENCY, onLog, entry: options.entry ?? 'api' });
  closers.add(() => runtime.close());
  const gateway = httpApiGateway({
    identity: {
      apiId: TWIN_API_ID,
      accountId: cloud.iam.resolver.account,
      callerArn: LOCAL_CALLER,
      accessKey: LOCAL_AWS.credentials.accessKeyId,
    },
    invoke: (requestId, event) => runtime.invoke(requestId, event),
    invokeDenied: cloud.decisions.apiInvoke?.message,
    integrationTimeoutMs: options.integrationTimeoutMs,
  });
  return {
    fleet: localFleet(options),
    serve: (health) => options.http.fallback(getRequestListener(dashboardServer(withTwinHealth(gateway, health)).fetch)),
  };
}

/** The API's operations in the twin's own process, signed with the API's role as the function's are. */
function localFleet({ cloud, settings, now, closers }: OperatorApiOptions): DynamoDbFleet {
  const credentials = cloud.credentialsOf(cloud.roles.api);
  const localClients = { region: LOCAL_AWS.region, credentials };
  const dynamoDb = localDynamoDbClient(settings.dynamoDbEndpoint, { credentials });
  const iotData = new IoTDataPlaneClient({ ...localClients, endpoint: settings.iotDataEndpoint });
  closers.add(() => {
    dynamoDb.destroy();
    iotData.destroy();
  });
  const config = {
    tableName: settings.tableName,
    predictionTopic: PREDICTION_TOPIC,
    eventsTableName: settings.eventsTableName,
    historyDays: settings.historyDays,
    notificationsTopicArn: settings.notificationsTopicArn,
    snsEndpoint: settings.snsEndpoint,
  };
  const writer = createAlarmWriter({ config, dynamoDb, iotData }, now, localClients);
  return new DynamoDbFleet({
    client: dynamoDb,
    tableName: settings.tableName,
    history: new DynamoDbHistory(dynamoDb, settings.eventsTableName, settings.historyDays),
    writer,
    now,
  });
}
