/**
 * The detector function, assembled from its parts. `handler.ts` builds it once
 * per container from the environment; tests and the twin can build it with
 * their own clients.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { SNSClientConfig } from '@aws-sdk/client-sns';
import { DEFAULT_HISTORY_DAYS, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../contract/index.ts';
import type { DetectorConfig } from './config.ts';
import { DeliveryError } from './errors.ts';
import { DynamoDbProfileStore } from './adapters/dynamodb-profile-store.ts';
import { IotDataEventPublisher, type IotDataClientSource } from './adapters/iot-data-publisher.ts';
import { IotThingRegistry } from './adapters/iot-thing-registry.ts';
import { DynamoDbHistory } from './adapters/dynamodb-history.ts';
import { SnsNotifier } from './adapters/sns-notifier.ts';
import type { ThingRegistry } from './ports.ts';
import { type OutcomeCounts, type ProcessorOptions, type ProcessResult, ReadingProcessor } from './processor.ts';
import { ReadingTelemetry } from './telemetry.ts';

export interface DetectorDependencies {
  readonly config: DetectorConfig;
  readonly dynamoDb: DynamoDBClient;
  /**
   * The IoT Data Plane client, or a factory for it: the factory is called once,
   * on the first anomaly event to publish (see {@link createClients}).
   */
  readonly iotData: IotDataClientSource;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** The thing registry for gateways in device identity mode `thing`. @default IoT DescribeThing, cached */
  readonly thingRegistry?: ThingRegistry;
  /**
   * Where history is recorded: in the same request as the state change
   * (`TransactWriteItems`, `docs/design.md` "Alarms, the outbox and the
   * clock"), or, when false, by the outbox after it (`BatchWriteItem`): the
   * earlier design, kept for the bench's side-by-side figures.
   * @default true
   */
  readonly historyInWrite?: boolean;
  /** Overrides for the processor (clock, backoff, history, notifier, ...), for tests. */
  readonly processor?: Partial<Omit<ProcessorOptions, 'store' | 'publisher'>>;
}

/** What an invocation returns (ignored by the IoT rule; useful to the twin and tests). */
export interface DetectorResult {
  readonly outcome: ProcessResult['outcome'];
  /** Each reading's outcome, counted (a batch holds several). */
  readonly readings: OutcomeCounts;
  readonly printerId?: string;
  readonly eventsDelivered: number;
}

/**
 * The detector's DynamoDB client. Two settings cut the SDK's per-request CPU
 * without changing a request: `cacheMiddleware` resolves the middleware stack
 * once per command class instead of on every `send` (the stack is complete
 * before the first request and never changes), and the logger middleware is
 * removed: the client has no logger (the SDK's default discards everything),
 * yet that middleware still builds a redacted copy of every input and output
 * for it.
 */
export function createDynamoDbClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  const client = new DynamoDBClient({ cacheMiddleware: true, ...config });
  if (config.logger === undefined) client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * AWS clients for the detector, honouring the endpoint overrides of the twin.
 * The DynamoDB client is created now (every invocation needs it). The IoT Data
 * Plane client is only needed when an anomaly event is published (a few percent
 * of readings): its module is loaded and the client created on the first
 * publish, once per container, so that it stays out of the cold start.
 */
export function createClients(config: DetectorConfig): Pick<DetectorDependencies, 'dynamoDb' | 'iotData'> {
  return {
    dynamoDb: createDynamoDbClient(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
    iotData: async () => {
      const { IoTDataPlaneClient } = await import('@aws-sdk/client-iot-data-plane');
      return new IoTDataPlaneClient({ cacheMiddleware: true, ...(config.iotDataEndpoint ? { endpoint: config.iotDataEndpoint } : {}) });
    },
  };
}

/** The processor, its telemetry and its logger, as every handler of the detector builds them. */
export function createDetector(deps: DetectorDependencies) {
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const processor = new ReadingProcessor({
    ...outboxSinks(deps),
    ...deps.processor,
    store: profileStore(deps),
    publisher: new IotDataEventPublisher(deps.iotData, deps.config.predictionTopic),
    identity:
      deps.config.deviceIdentity === 'thing'
        ? { mode: 'thing', registry: deps.thingRegistry ?? new IotThingRegistry(deps.config.iotEndpoint) }
        : { mode: 'any' },
  });
  return { logger, processor, telemetry: new ReadingTelemetry(logger, metrics) };
}

/** The profile store, recording history in its writes when {@link DetectorDependencies.historyInWrite} says so. */
export function profileStore(deps: Pick<DetectorDependencies, 'config' | 'dynamoDb' | 'historyInWrite'>): DynamoDbProfileStore {
  const { config } = deps;
  const history =
    deps.historyInWrite !== false && config.eventsTableName
      ? { tableName: config.eventsTableName, historyDays: config.historyDays ?? DEFAULT_HISTORY_DAYS }
      : undefined;
  return new DynamoDbProfileStore(deps.dynamoDb, config.tableName, history);
}

/** The history table and the notifications topic, when the configuration names them. */
export function outboxSinks(
  deps: Pick<DetectorDependencies, 'config' | 'dynamoDb'>,
  snsConfig: SNSClientConfig = {},
): Pick<ProcessorOptions, 'history' | 'notifier'> {
  const { config } = deps;
  const sns = { ...(config.snsEndpoint ? { endpoint: config.snsEndpoint } : {}), ...snsConfig };
  return {
    ...(config.eventsTableName
      ? { history: new DynamoDbHistory(deps.dynamoDb, config.eventsTableName, config.historyDays ?? DEFAULT_HISTORY_DAYS) }
      : {}),
    ...(config.notificationsTopicArn ? { notifier: new SnsNotifier(config.notificationsTopicArn, sns) } : {}),
  };
}

/** Builds the Lambda handler for the IoT rule's event (a reading or a batched message). */
export function createHandler(deps: DetectorDependencies) {
  const { logger, processor, telemetry } = createDetector(deps);
  return async function handler(event: unknown, context: Pick<Context, 'awsRequestId'> & Partial<Context>): Promise<DetectorResult> {
    logger.appendKeys({ requestId: context.awsRequestId });
    try {
      const result = await processor.process(event, context.awsRequestId);
      telemetry.record(result);
      return {
        outcome: result.outcome,
        readings: result.readings,
        printerId: result.printerId,
        eventsDelivered: result.deliveredEvents.length,
      };
    } catch (error) {
      telemetry.count(METRIC.readings);
      if (error instanceof DeliveryError) telemetry.count(METRIC.publishFailures);
      logger.error('reading not processed: the invocation fails so that Lambda retries it', { error: error as Error });
      throw error;
    } finally {
      telemetry.flush();
      logger.removeKeys(['requestId']);
    }
  };
}
