/**
 * The operator API and the dashboard on the twin: the same Hono app the
 * stack deploys behind API Gateway, run in the twin's own process on the
 * twin's tables, publisher, history and notifications, and mounted on the
 * twin's HTTP server (loopback only; who acts is `local`).
 */
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getRequestListener } from '@hono/node-server';
import { PREDICTION_TOPIC } from '../contract/index.ts';
import { dashboardServer } from '../dashboard/serve.ts';
import { DynamoDbHistory } from '../lambda/adapters/dynamodb-history.ts';
import { DynamoDbFleet } from '../lambda/adapters/fleet-operations.ts';
import { createApi } from '../lambda/api/app.ts';
import { createAlarmWriter } from '../lambda/sweep-app.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import type { TwinHttpServer } from './http-server.ts';

export interface OperatorApiOptions {
  readonly http: TwinHttpServer;
  readonly dynamoDb: DynamoDBClient;
  readonly tableName: string;
  readonly eventsTableName: string;
  readonly historyDays: number;
  /** The twin's IoT Data Plane (and SNS) endpoint. */
  readonly endpoint: string;
  readonly notificationsTopicArn: string;
  readonly now: () => Date;
  /** The credentials the API's clients sign with: its execution role's on the twin (`iam.ts`). @default the local ones */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Mounts the API and the page; returns the fleet operations (for tests and `npm start`) and what to close. */
export function mountOperatorApi(options: OperatorApiOptions) {
  const localClients = { region: LOCAL_AWS.region, credentials: options.credentials ?? LOCAL_AWS.credentials };
  const iotData = new IoTDataPlaneClient({ ...localClients, endpoint: options.endpoint });
  const config = {
    tableName: options.tableName,
    predictionTopic: PREDICTION_TOPIC,
    eventsTableName: options.eventsTableName,
    historyDays: options.historyDays,
    notificationsTopicArn: options.notificationsTopicArn,
    snsEndpoint: options.endpoint,
  };
  const writer = createAlarmWriter({ config, dynamoDb: options.dynamoDb, iotData }, options.now, localClients);
  const fleet = new DynamoDbFleet({
    client: options.dynamoDb,
    tableName: options.tableName,
    history: new DynamoDbHistory(options.dynamoDb, options.eventsTableName, options.historyDays),
    writer,
    now: options.now,
  });
  const api = createApi(fleet, { by: () => 'local' });
  options.http.fallback(getRequestListener(dashboardServer(api.fetch).fetch));
  return { fleet, close: () => iotData.destroy() };
}
