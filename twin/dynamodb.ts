/**
 * The embedded DynamoDB API (dynalite) and the clients that talk to it. The
 * profiles table is created from the same definition as the CDK stack.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createProfilesTableRequest } from '../contract/index.ts';
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
export async function ensureProfilesTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(createProfilesTableRequest(tableName)));
  return true;
}
