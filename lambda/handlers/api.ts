/**
 * Lambda entry point of the operator API, behind API Gateway's HTTP API with
 * IAM authorization: the same Hono app the twin serves, on the deployed
 * tables. Who acts is the caller's IAM ARN, as API Gateway verified it.
 */
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { DEFAULT_HISTORY_DAYS } from '../../contract/index.ts';
import { DynamoDbHistory } from '../adapters/dynamodb-history.ts';
import { DynamoDbFleet } from '../adapters/fleet-operations.ts';
import { createApi } from '../api/app.ts';
import { createClients } from '../app.ts';
import { readConfig } from '../config.ts';
import { createAlarmWriter } from '../sweep-app.ts';

const config = readConfig(process.env);
const clients = createClients(config);

const fleet = new DynamoDbFleet({
  client: clients.dynamoDb,
  tableName: config.tableName,
  ...(config.eventsTableName
    ? { history: new DynamoDbHistory(clients.dynamoDb, config.eventsTableName, config.historyDays ?? DEFAULT_HISTORY_DAYS) }
    : {}),
  writer: createAlarmWriter({ config, ...clients }),
});

/** The verified caller: API Gateway's IAM authorizer puts the signer's ARN in the request context. */
function callerArn(event: LambdaEvent | undefined): string {
  const context = (event as { requestContext?: { authorizer?: { iam?: { userArn?: string } } } } | undefined)?.requestContext;
  return context?.authorizer?.iam?.userArn ?? 'unknown';
}

const app = createApi(fleet, { by: (c) => callerArn((c.env as { event?: LambdaEvent } | undefined)?.event) });

export const handler = handle(app);
