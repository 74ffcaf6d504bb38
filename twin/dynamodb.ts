/**
 * The embedded DynamoDB API (dynalite) and the clients that talk to it. The
 * profiles table is created from the same definition as the CDK stack.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createEventsTableRequest, createProfilesTableRequest } from '../contract/index.ts';
import { acceptTransactions } from './dynamodb-transactions.ts';
import { listen } from './listen.ts';

/** Credentials and region for local endpoints: never real ones. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export interface EmbeddedDynamoDb {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 (port 0: a free one); in memory unless `path` is given. */
export async function startDynamoDb(options: { host?: string; port?: number; path?: string } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  acceptTransactions(server);
  const { host: address, port } = await listen(server, options);
  return {
    endpoint: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A DynamoDB client for a local endpoint. */
export function localDynamoDbClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_AWS, endpoint, ...config });
}

/** Creates the profiles table unless it exists. Returns true when it was created. */
export function ensureProfilesTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  return ensureTable(client, createProfilesTableRequest(tableName));
}

/** Creates the history table unless it exists. Returns true when it was created. */
export function ensureEventsTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  return ensureTable(client, createEventsTableRequest(tableName));
}

/**
 * Creates a table unless it exists. A table kept in a state folder from an
 * older version may lack indexes added since: those are added.
 */
async function ensureTable(
  client: DynamoDBClient,
  request: ReturnType<typeof createProfilesTableRequest> | ReturnType<typeof createEventsTableRequest>,
): Promise<boolean> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: request.TableName }));
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of request.GlobalSecondaryIndexes) {
      if (present.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: request.TableName,
          AttributeDefinitions: request.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    }
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(request));
  return true;
}
