/**
 * The Lambda bundles exactly as `cdk synth` produces them (esbuild through
 * NodejsFunction, found in the cloud assembly through the function's asset),
 * the detector's and, with `-c ingest=stream`, the stream reader's, imported
 * and invoked against the embedded DynamoDB and the local IoT Data Plane,
 * configured by the environment the stack gives the function.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DETECTOR_BUNDLE } from '../../lambda/bundling.ts';
import { ENV, METRIC, METRICS_NAMESPACE, PREDICTION_TOPIC, SERVICE_NAME } from '../../contract/index.ts';
import { ensureProfilesTable, LOCAL_AWS, localDynamoDbClient, startDynamoDb, type EmbeddedDynamoDb } from '../../twin/dynamodb.ts';
import { startIotDataServer, type DataPlanePublish, type IotDataServer } from '../../twin/iot-data-server.ts';
import { onlyResource, synthesizeStack, type SynthesizedStack } from '../support/cdk-app.ts';
import { putOriginalProfile } from '../support/profiles.ts';

type Handler = (event: unknown, context: { awsRequestId: string }) => Promise<{ outcome: string; published: number }>;
type StreamHandler = (
  event: unknown,
  context: { awsRequestId: string },
) => Promise<{ batchItemFailures: { itemIdentifier: string }[]; printers: number }>;

/** The function's bundle in a synthesized assembly: its module file and its export. */
function bundleOf(synth: SynthesizedStack): { moduleFile: string; exportName: string; environment: Record<string, unknown> } {
  const { resource } = onlyResource(synth.template, 'AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
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
  // Loaded on the first anomaly event only (lambda/app.ts), so a dynamic import, still left to the runtime.
  expect(code).toMatch(/import\(\s*"@aws-sdk\/client-iot-data-plane"\s*\)/);
  expect(code.split('\n').length).toBeLessThan(20); // minified
}

let synthesized: SynthesizedStack;
let moduleFile: string;
let tableName: string;
let dynamo: EmbeddedDynamoDb;
let iotData: IotDataServer;
let admin: DynamoDBClient;
let handler: Handler;
const publishes: DataPlanePublish[] = [];
const savedEnv = { ...process.env };

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
  synthesized = synthesizeStack();
  const bundle = bundleOf(synthesized);
  moduleFile = bundle.moduleFile;
  tableName = onlyResource(synthesized.template, 'AWS::DynamoDB::Table').resource.Properties!['TableName'] as string;

  dynamo = await startDynamoDb();
  iotData = await startIotDataServer((publish) => {
    publishes.push(publish);
  });
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, tableName);

  // The stack's environment for the function; the deploy-time values point at the local servers.
  for (const [name, value] of Object.entries(bundle.environment)) if (typeof value === 'string') process.env[name] = value;
  Object.assign(process.env, {
    [ENV.tableName]: tableName,
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
  synthesized?.dispose();
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
    expect(second.result).toMatchObject({ outcome: 'event', published: 1 });
    expect(await item()).toMatchObject({ OutOfBoundsCount: 0, EventCount: 1, LastSeq: 2, Thresholds: { Lower: 20, Upper: 80 }, Window: 2 });
    expect(publishes).toHaveLength(1);
    expect(publishes[0]).toMatchObject({ topic: PREDICTION_TOPIC, qos: 1 });
    expect(JSON.parse(publishes[0]!.payload.toString('utf8'))).toMatchObject({ PrinterId: 'Printer1', events: 1, value: 95, window: 2 });

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
  let stream: SynthesizedStack;
  let streamModule: string;
  let streamHandler: StreamHandler;
  let streamEnvironment: Record<string, unknown>;
  beforeAll(async () => {
    stream = synthesizeStack({ context: { ingest: 'stream' } });
    const bundle = bundleOf(stream);
    streamModule = bundle.moduleFile;
    streamEnvironment = bundle.environment;
    // The process environment is already the stack's, pointed at the local servers (top-level beforeAll).
    const loaded = (await import(pathToFileURL(streamModule).href)) as Record<string, unknown>;
    streamHandler = loaded[bundle.exportName] as StreamHandler;
  });
  afterAll(() => stream?.dispose());

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
    expect(publishes.slice(before).map((p) => JSON.parse(p.payload.toString('utf8')))).toEqual([
      expect.objectContaining({ PrinterId: 'Printer2', events: 1, value: 92, window: 2 }),
    ]);
  });
});
