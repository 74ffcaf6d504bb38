/**
 * The AWS services the function talks to, served on one host: DynamoDB
 * (dynalite in a thread, with the profiles table created from the stack's own
 * definition), AWS IoT Core's broker (aedes), the IoT Data Plane `Publish`
 * API, which publishes onto that broker, the thing registry's `DescribeThing`,
 * and SNS's `Publish` for alarm notifications.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type EmbeddedBroker, startBroker } from './broker.ts';
import { Closers } from './closers.ts';
import { type EmbeddedDynamoDb, ensureEventsTable, ensureProfilesTable, localDynamoDbClient } from './dynamodb.ts';
import { startDynamoDbThread } from './dynamodb-thread.ts';
import { portError } from './errors.ts';
import { type AuthorizeCall, type IotDataServer, type SnsPublish, startIotDataServer } from './iot-data-server.ts';

export interface LocalServicesOptions {
  readonly host: string;
  /** 0 picks a free one. */
  readonly mqttPort: number;
  /** 0 picks a free one. */
  readonly dynamoDbPort: number;
  /** Where DynamoDB keeps its data. @default in memory */
  readonly dynamoDbDir?: string;
  /** The profiles table, created unless it exists. */
  readonly tableName: string;
  /** The thing registry `DescribeThing` answers from: thing name -> attributes. @default none */
  readonly things?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The history table, created unless it exists. */
  readonly eventsTableName: string;
  /** Takes SNS `Publish` (alarm notifications). */
  readonly onNotify: (publish: SnsPublish) => unknown;
  /** IAM for the IoT, registry and SNS calls (`iam.ts`). */
  readonly authorize?: AuthorizeCall;
  readonly encryptionKeyOf?: (topicArn: string) => string | undefined;
  readonly region?: string;
  readonly account?: string;
}

export interface LocalServices {
  readonly dynamoDb: EmbeddedDynamoDb;
  /** A client for the table (owned by the services). */
  readonly dynamoDbClient: DynamoDBClient;
  readonly broker: EmbeddedBroker;
  readonly iotData: IotDataServer;
  close(): Promise<void>;
}

/** Starts the services; a port in use rejects with a one-line `TwinStartError`. */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const { host, mqttPort, dynamoDbPort, tableName } = options;
  const closers = new Closers();
  try {
    const dynamoDb = await startDynamoDbThread({
      host,
      port: dynamoDbPort,
      ...(options.dynamoDbDir ? { path: options.dynamoDbDir } : {}),
    }).catch((error: unknown) => Promise.reject(portError(error, 'DynamoDB', dynamoDbPort)));
    closers.add(() => dynamoDb.close());
    const dynamoDbClient = localDynamoDbClient(dynamoDb.endpoint);
    closers.add(() => dynamoDbClient.destroy());
    await ensureProfilesTable(dynamoDbClient, tableName);
    await ensureEventsTable(dynamoDbClient, options.eventsTableName);

    const broker = await startBroker({ host, port: mqttPort }).catch((error: unknown) =>
      Promise.reject(portError(error, 'MQTT', mqttPort)),
    );
    closers.add(() => broker.close());
    const iotData = await startIotDataServer(
      ({ topic, payload, qos, retain }) =>
        new Promise<void>((published, reject) =>
          broker.aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (error) =>
            error ? reject(error) : published(),
          ),
        ),
      {
        host,
        onNotify: options.onNotify,
        ...(options.things ? { things: options.things } : {}),
        ...(options.authorize ? { authorize: options.authorize } : {}),
        ...(options.encryptionKeyOf ? { encryptionKeyOf: options.encryptionKeyOf } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.account ? { account: options.account } : {}),
      },
    );
    closers.add(() => iotData.close());
    return { dynamoDb, dynamoDbClient, broker, iotData, close: () => closers.closeAll() };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}
