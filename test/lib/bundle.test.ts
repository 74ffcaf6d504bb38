/**
 * The Lambda bundles exactly as `cdk synth` produces them (esbuild through
 * NodejsFunction, found in the cloud assembly through the function's asset):
 * the detector's, the sweep's, the operator API's and, with `-c
 * ingest=stream`, the stream reader's, each imported and invoked against the
 * embedded DynamoDB and the local IoT Data Plane (which also stands in for
 * SNS), configured by the environment the stack gives the function.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DETECTOR_BUNDLE } from '../../lambda/bundling.ts';
import { alarmTopic, ENV, METRIC, METRICS_NAMESPACE, PREDICTION_TOPIC, SERVICE_NAME } from '../../contract/index.ts';
import {
  ensureEventsTable,
  ensureProfilesTable,
  LOCAL_AWS,
  localDynamoDbClient,
  startDynamoDb,
  type EmbeddedDynamoDb,
} from '../../twin/dynamodb.ts';
import { startIotDataServer, type DataPlanePublish, type IotDataServer, type SnsPublish } from '../../twin/iot-data-server.ts';
import { onlyResource, type SharedSynth, sharedSynth } from '../support/cdk-app.ts';
import { originalProfileItem, putOriginalProfile } from '../support/profiles.ts';
import { API_FUNCTION, DETECTOR, HISTORY, SWEEP } from './stack-parts.ts';

type Handler = (event: unknown, context: { awsRequestId: string }) => Promise<{ outcome: string; eventsDelivered: number }>;
type StreamHandler = (
  event: unknown,
  context: { awsRequestId: string },
) => Promise<{ batchItemFailures: { itemIdentifier: string }[]; printers: number }>;

/** A function's bundle in a synthesized assembly: its module file and its export. */
function bundleOf(
  synth: SharedSynth,
  fn: unknown = DETECTOR,
): { moduleFile: string; exportName: string; environment: Record<string, unknown> } {
  const { resource } = onlyResource(synth.template, 'AWS::Lambda::Function', fn);
  const [file, exportName] = (resource.Properties!['Handler'] as string).split('.');
  return {
    moduleFile: join(synth.outdir, resource.Metadata!['aws:asset:path'] as string, `${file}.mjs`),
    exportName: exportName!,
    environment: resource.Properties!['Environment']['Variables'] as Record<string, unknown>,
  };
}

/** What the stack promises of a bundle: one minified ESM file under 250 KB with a source map, the AWS SDK left to the runtime. */
function expectLambdaBundle(file: string): void {
  const code = readFileSync(file, 'utf8');
  expect(statSync(file).size).toBeLessThan(250 * 1024);
  expect(existsSync(`${file}.map`)).toBe(true);
  expect(code.startsWith(DETECTOR_BUNDLE.banner)).toBe(true);
  expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
  expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
  // Loaded on the first publish and the first notification only (lambda/app.ts, lambda/adapters/sns-notifier.ts),
  // so dynamic imports, still left to the runtime.
  expect(code).toMatch(/import\(\s*"@aws-sdk\/client-iot-data-plane"\s*\)/);
  expect(code).toMatch(/import\(\s*"@aws-sdk\/client-sns"\s*\)/);
  expect(code.split('\n').length).toBeLessThan(20); // minified
  // Nothing development-only ships: the twin's IAM evaluator is AGPL-3.0 (docs/design.md).
  const sources = (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources;
  expect(sources.length).toBeGreaterThan(0);
  expect(sources.filter((source) => /@cloud-copilot|iam-simulate|aws-cdk-lib|\/twin\//.test(source))).toEqual([]);
}

let synthesized: SharedSynth;
let moduleFile: string;
let tableName: string;
let dynamo: EmbeddedDynamoDb;
let iotData: IotDataServer;
let admin: DynamoDBClient;
let handler: Handler;
const publishes: DataPlanePublish[] = [];
const notifications: SnsPublish[] = [];
const savedEnv = { ...process.env };
/** The topic ARN the functions are given: SNS is the local stand-in, which takes any ARN. */
const NOTIFICATIONS_TOPIC_ARN = ['arn', 'aws', 'sns', LOCAL_AWS.region, '0'.repeat(12), 'printer-alarms'].join(':');
let eventsTableName: string;

/** Runs `fn` with stdout captured; returns its result and the lines it printed. */
async function capturingStdout<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    return { result: await fn(), lines: chunks.join('').split('\n').filter(Boolean) };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  synthesized = await sharedSynth();
  const bundle = bundleOf(synthesized);
  moduleFile = bundle.moduleFile;
  tableName = onlyResource(synthesized.template, 'AWS::DynamoDB::Table', { TableName: 'PrinterProfiles' }).resource.Properties![
    'TableName'
  ] as string;
  eventsTableName = onlyResource(synthesized.template, 'AWS::DynamoDB::Table', HISTORY).resource.Properties!['TableName'] as string;

  dynamo = await startDynamoDb();
  iotData = await startIotDataServer(
    (publish) => {
      publishes.push(publish);
    },
    {
      onNotify: (notification) => {
        notifications.push(notification);
      },
    },
  );
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, tableName);
  await ensureEventsTable(admin, eventsTableName);

  // The stack's environment for the function; the deploy-time values point at the local servers.
  for (const [name, value] of Object.entries(bundle.environment)) if (typeof value === 'string') process.env[name] = value;
  Object.assign(process.env, {
    [ENV.tableName]: tableName,
    [ENV.eventsTableName]: eventsTableName,
    [ENV.notificationsTopicArn]: NOTIFICATIONS_TOPIC_ARN,
    [ENV.snsEndpoint]: iotData.endpoint,
    [ENV.dynamoDbEndpoint]: dynamo.endpoint,
    [ENV.iotDataEndpoint]: iotData.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
  const loaded = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
  handler = loaded[bundle.exportName] as Handler;
});

afterAll(async () => {
  process.env = savedEnv;
  admin?.destroy();
  await iotData?.close();
  await dynamo?.close();
});

describe('the synthesized bundle', () => {
  it('is one minified ESM file under 250 KB with a source map, the AWS SDK left to the runtime', () => {
    expectLambdaBundle(moduleFile);
    expect(typeof handler).toBe('function');
  });

  it('applies readings to a profile written by the original put-item command and publishes the event', async () => {
    await putOriginalProfile(admin, tableName, 'Printer1', 20, 80, 2);
    const item = async () => {
      const { Item } = await admin.send(
        new GetItemCommand({ TableName: tableName, Key: { PrinterId: { S: 'Printer1' } }, ConsistentRead: true }),
      );
      return unmarshall(Item!);
    };

    const first = await capturingStdout(() =>
      handler({ PrinterId: 'Printer1', data: { value: 91.5 }, seq: 1 }, { awsRequestId: 'bundle-1' }),
    );
    expect(first.result.outcome).toBe('out-of-bounds');
    expect(await item()).toMatchObject({ OutOfBoundsCount: 1, EventCount: 0 });
    expect(publishes).toEqual([]);

    const second = await capturingStdout(() =>
      handler({ PrinterId: 'Printer1', data: { value: 95 }, seq: 2 }, { awsRequestId: 'bundle-2' }),
    );
    expect(second.result).toMatchObject({ outcome: 'event', eventsDelivered: 1 });
    expect(await item()).toMatchObject({ OutOfBoundsCount: 0, EventCount: 1, LastSeq: 2, Thresholds: { Lower: 20, Upper: 80 }, Window: 2 });
    const events = publishes.filter((p) => p.topic === PREDICTION_TOPIC);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ topic: PREDICTION_TOPIC, qos: 1 });
    expect(JSON.parse(events[0]!.payload.toString('utf8'))).toMatchObject({ PrinterId: 'Printer1', events: 1, value: 95, window: 2 });
    // The event raised the printer's alarm: published on its alarm topic and notified through the topic the stack names.
    const transitions = publishes.filter((p) => p.topic === alarmTopic('Printer1'));
    expect(transitions.map((p) => JSON.parse(p.payload.toString('utf8')))).toEqual([
      expect.objectContaining({ PrinterId: 'Printer1', From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' }),
    ]);
    // With the attributes subscription filter policies route on (contract/notification-routing.ts).
    expect(notifications).toEqual([
      expect.objectContaining({
        topicArn: NOTIFICATIONS_TOPIC_ARN,
        attributes: { Severity: 'major', Cause: 'threshold', State: 'ACTIVE' },
      }),
    ]);

    // The EMF document carries the namespace and the `service` dimension the dashboard and alarms use.
    type EmfDocument = Record<string, unknown> & { _aws?: { CloudWatchMetrics: unknown[] } };
    const emf = second.lines.map((line) => JSON.parse(line) as EmfDocument).find((doc) => doc._aws);
    expect(emf).toBeDefined();
    expect(emf!._aws!.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['service']] });
    expect(emf!['service']).toBe(SERVICE_NAME);
    expect(emf![METRIC.anomalyEvents]).toBe(1);
  });
});

describe('the synthesized stream bundle (ingest=stream)', () => {
  let stream: SharedSynth;
  let streamModule: string;
  let streamHandler: StreamHandler;
  let streamEnvironment: Record<string, unknown>;
  beforeAll(async () => {
    stream = await sharedSynth({ ingest: 'stream' });
    const bundle = bundleOf(stream);
    streamModule = bundle.moduleFile;
    streamEnvironment = bundle.environment;
    // The process environment is already the stack's, pointed at the local servers (top-level beforeAll).
    const loaded = (await import(pathToFileURL(streamModule).href)) as Record<string, unknown>;
    streamHandler = loaded[bundle.exportName] as StreamHandler;
  });

  it('is another bundle than the detector, built the same way, under 250 KB', () => {
    expect(readFileSync(streamModule, 'utf8')).not.toBe(readFileSync(moduleFile, 'utf8'));
    expectLambdaBundle(streamModule);
    expect(typeof streamHandler).toBe('function');
  });

  it('gets the same environment as the detector', () => {
    const strings = (env: Record<string, unknown>) => Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string'));
    expect(strings(streamEnvironment)).toEqual(strings(bundleOf(synthesized).environment));
  });

  it('applies a batch of Kinesis records in order, drops a bad record without failing it, and publishes the event', async () => {
    await putOriginalProfile(admin, tableName, 'Printer2', 20, 80, 2);
    const record = (data: string, sequenceNumber: string) => ({
      kinesis: { data: Buffer.from(data).toString('base64'), sequenceNumber, partitionKey: 'Printer2' },
      eventSource: 'aws:kinesis',
    });
    const before = publishes.length;
    // The bad record's WARN line is expected: keep it out of the test output.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { result } = await capturingStdout(() =>
      streamHandler(
        {
          Records: [
            record(JSON.stringify({ PrinterId: 'Printer2', data: { value: 91 }, seq: 1 }), '101'),
            record('not json', '102'),
            record(JSON.stringify({ PrinterId: 'Printer2', data: { value: 92 }, seq: 2 }), '103'),
          ],
        },
        { awsRequestId: 'stream-bundle-1' },
      ),
    ).finally(() => stderr.mockRestore());
    expect(result).toMatchObject({ batchItemFailures: [], printers: 1 });
    const { Item } = await admin.send(
      new GetItemCommand({ TableName: tableName, Key: { PrinterId: { S: 'Printer2' } }, ConsistentRead: true }),
    );
    expect(unmarshall(Item!)).toMatchObject({ OutOfBoundsCount: 0, EventCount: 1, LastSeq: 2 });
    const events = publishes.slice(before).filter((p) => p.topic === PREDICTION_TOPIC);
    expect(events.map((p) => JSON.parse(p.payload.toString('utf8')))).toEqual([
      expect.objectContaining({ PrinterId: 'Printer2', events: 1, value: 92, window: 2 }),
    ]);
  });
});

type SweepHandler = (event: unknown) => Promise<{ due: number; transitions: number; failed: number }>;
type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

/** An API Gateway HTTP API (payload 2.0) request, signed by `callerArn`, as the IAM authorizer passes it on. */
function apiRequest(method: string, path: string, callerArn: string, body?: unknown) {
  return {
    version: '2.0',
    routeKey: 'ANY /api/{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json' },
    requestContext: {
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      authorizer: { iam: { userArn: callerArn } },
      requestId: 'api-request',
      routeKey: 'ANY /api/{proxy+}',
      stage: '$default',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

describe('the synthesized sweep and operator API bundles', () => {
  let sweepModule: string;
  let apiModule: string;
  let sweep: SweepHandler;
  let api: ApiHandler;
  // Built from parts: the repository hygiene test refuses anything that looks like a real account's ARN.
  const operator = ['arn', 'aws', 'iam', '', '0'.repeat(12), 'user/operator'].join(':');
  beforeAll(async () => {
    // The process environment is already the stack's, pointed at the local servers (top-level beforeAll).
    const sweepBundle = bundleOf(synthesized, SWEEP);
    const apiBundle = bundleOf(synthesized, API_FUNCTION);
    sweepModule = sweepBundle.moduleFile;
    apiModule = apiBundle.moduleFile;
    sweep = ((await import(pathToFileURL(sweepModule).href)) as Record<string, unknown>)[sweepBundle.exportName] as SweepHandler;
    api = ((await import(pathToFileURL(apiModule).href)) as Record<string, unknown>)[apiBundle.exportName] as ApiHandler;
  });

  it('are bundles of their own, built the same way, each under 250 KB', () => {
    const files = [moduleFile, sweepModule, apiModule];
    expect(new Set(files.map((f) => readFileSync(f, 'utf8'))).size).toBe(3);
    for (const file of [sweepModule, apiModule]) expectLambdaBundle(file);
    expect(typeof sweep).toBe('function');
    expect(typeof api).toBe('function');
  });

  it('get the same environment as the detector', () => {
    const detector = bundleOf(synthesized).environment;
    expect(bundleOf(synthesized, SWEEP).environment).toEqual(detector);
    expect(bundleOf(synthesized, API_FUNCTION).environment).toEqual(detector);
  });

  it('answer GET /api/health through the Lambda adapter of the HTTP API', async () => {
    const response = await capturingStdout(() => api(apiRequest('GET', '/api/health', operator), {}));
    expect(response.result.statusCode).toBe(200);
    expect(JSON.parse(response.result.body)).toMatchObject({ ok: true });
  });

  it('raise a silent printer at the scheduled time, and let an operator acknowledge it as the IAM caller', async () => {
    await admin.send(
      new PutItemCommand({ TableName: tableName, Item: { ...originalProfileItem('Silent1', 20, 80, 5), SilenceSeconds: { N: '60' } } }),
    );
    await capturingStdout(() => handler({ PrinterId: 'Silent1', data: { value: 50 }, seq: 1 }, { awsRequestId: 'silent-1' }));
    const alarms = () => publishes.filter((p) => p.topic === alarmTopic('Silent1')).map((p) => JSON.parse(p.payload.toString('utf8')));
    const notified = notifications.length;

    // The schedule's input: its scheduled time, two minutes later, past the silence deadline.
    const time = new Date(Date.now() + 120_000).toISOString();
    const swept = await capturingStdout(() => sweep({ time }));
    expect(swept.result).toMatchObject({ due: 1, transitions: 1, failed: 0 });
    expect(alarms()).toEqual([expect.objectContaining({ From: 'NORMAL', To: 'ACTIVE', Cause: 'silent', By: 'clock', At: time })]);
    expect(notifications.slice(notified)).toEqual([
      expect.objectContaining({ topicArn: NOTIFICATIONS_TOPIC_ARN, message: expect.stringContaining('"Cause":"silent"') }),
    ]);

    const acted = await capturingStdout(() =>
      api(apiRequest('POST', '/api/printers/Silent1/alarm', operator, { action: 'acknowledge', note: 'on it' }), {}),
    );
    expect(acted.result.statusCode).toBe(200);
    expect(JSON.parse(acted.result.body)).toMatchObject({ State: 'ACKNOWLEDGED' });
    expect(alarms().at(-1)).toMatchObject({ From: 'ACTIVE', To: 'ACKNOWLEDGED', Cause: 'acknowledge', By: operator, Note: 'on it' });

    // Both transitions are in the history table the stack names (the activation is dated by the schedule, two
    // minutes ahead of this test's clock, so it lists first: newest first).
    const history = await capturingStdout(() => api(apiRequest('GET', '/api/printers/Silent1/history', operator), {}));
    expect(history.result.statusCode).toBe(200);
    expect((JSON.parse(history.result.body) as { items: { Type: string; To?: string }[] }).items).toEqual([
      expect.objectContaining({ Type: 'transition', To: 'ACTIVE', At: time }),
      expect.objectContaining({ Type: 'transition', To: 'ACKNOWLEDGED', By: operator }),
    ]);
  });
});
