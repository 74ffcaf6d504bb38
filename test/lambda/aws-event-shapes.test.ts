/**
 * The deployed entry points (`lambda/handlers/*.ts`, configured from the
 * environment as in Lambda) invoked with the events AWS sends them: AWS's own
 * sample events (`test/fixtures/aws-events/README.md`), the schedule's input
 * and the rule's SQL read from the synthesized template, on the embedded
 * DynamoDB and the local IoT Data Plane.
 */
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV, PREDICTION_TOPIC, SENDER_FIELD, type DeviceIdentityMode } from '../../contract/index.ts';
import { type CfnResource, cloudTemplate } from '../../twin/cloud-template.ts';
import {
  type EmbeddedDynamoDb,
  ensureEventsTable,
  ensureProfilesTable,
  LOCAL_AWS,
  localDynamoDbClient,
  startDynamoDb,
} from '../../twin/dynamodb.ts';
import { startIotDataServer } from '../../twin/iot-data-server.ts';
import { scheduledEvent } from '../../twin/clock.ts';
import { evaluateRule, parseRuleSql } from '../../twin/rule.ts';
import { TWIN_ACCOUNT } from '../../twin/template-resolver.ts';
import { awsEvent, httpApiEvent } from '../support/aws-events.ts';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

const TABLE = 'PrinterProfiles';
const EVENTS_TABLE = 'PrinterEvents';
let dynamo: EmbeddedDynamoDb;
let admin: DynamoDBClient;
let iotData: Awaited<ReturnType<typeof startIotDataServer>>;
const published: { topic: string; payload: Record<string, unknown> }[] = [];

beforeAll(async () => {
  dynamo = await startDynamoDb();
  admin = localDynamoDbClient(dynamo.endpoint);
  await ensureProfilesTable(admin, TABLE);
  await ensureEventsTable(admin, EVENTS_TABLE);
  // The same local server answers IoT Data's Publish and the registry's DescribeThing (no things: every gateway is unknown).
  iotData = await startIotDataServer(({ topic, payload }) => {
    published.push({ topic, payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown> });
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  admin.destroy();
  await iotData.close();
  await dynamo.close();
});

/** A Lambda context as the runtime passes it (the handlers read the request id). */
const context = (): Context => ({ awsRequestId: randomUUID() }) as Context;

/**
 * Loads a deployed entry point afresh with the function's environment, as a
 * cold start in Lambda does: configuration and clients are made at module scope.
 */
async function loadHandler<T>(entry: 'api' | 'detector' | 'stream' | 'sweep', identity: DeviceIdentityMode = 'any'): Promise<T> {
  vi.resetModules();
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.tableName]: TABLE,
    [ENV.eventsTableName]: EVENTS_TABLE,
    [ENV.predictionTopic]: PREDICTION_TOPIC,
    [ENV.dynamoDbEndpoint]: dynamo.endpoint,
    [ENV.iotDataEndpoint]: iotData.endpoint,
    [ENV.iotEndpoint]: iotData.endpoint,
    [ENV.deviceIdentity]: identity,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const module = (await import(`../../lambda/handlers/${entry}.ts`)) as { handler: T };
  return module.handler;
}

async function item(printerId: string) {
  const { Item } = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { PrinterId: { S: printerId } }, ConsistentRead: true }));
  return Item ? unmarshall(Item) : undefined;
}

/** The one resource of `type` in the template of the mode. */
async function resourceOf(type: string, deviceIdentity: DeviceIdentityMode = 'any'): Promise<CfnResource> {
  const template = await cloudTemplate({ ingest: 'direct', deviceIdentity });
  const found = Object.values(template.resources).filter((resource) => resource.Type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('API Gateway HTTP API payload 2.0 with the IAM authorizer -> the operator API function', () => {
  type ApiHandler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
  let handler: ApiHandler;
  let routeKey: string;
  const operator = `arn:aws:sts::${TWIN_ACCOUNT}:assumed-role/Operators/alice`;
  const call = async (method: string, url: string, body?: unknown) => {
    const response = await handler(
      httpApiEvent({
        method,
        url,
        routeKey,
        userArn: operator,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      }),
      context(),
    );
    // The payload 2.0 response API Gateway reads: a JSON body as text, never base64, with its content type.
    expect(Object.keys(response).sort()).toEqual(['body', 'headers', 'isBase64Encoded', 'statusCode']);
    expect(response).toMatchObject({ isBase64Encoded: false, headers: { 'content-type': expect.stringMatching(/^application\/json/) } });
    return { status: response.statusCode, json: JSON.parse(response.body) as Record<string, unknown> };
  };

  beforeAll(async () => {
    handler = await loadHandler<ApiHandler>('api');
    routeKey = (await resourceOf('AWS::ApiGatewayV2::Route')).Properties!['RouteKey'] as string;
    expect(routeKey).toBe('ANY /api/{proxy+}');
  });

  it('decodes the base64 body of a PUT, answers on the proxy route, and ignores the cookies and unknown parameters', async () => {
    const put = await call('PUT', '/api/printers/Api-1', { Thresholds: { Lower: 20, Upper: 80 }, Window: 3 });
    expect(put).toEqual({ status: 201, json: expect.objectContaining({ PrinterId: 'Api-1', Window: 3 }) });
    expect(await item('Api-1')).toMatchObject({ Thresholds: { Lower: 20, Upper: 80 }, Window: 3 });
    expect(await call('GET', '/api/printers/Api-1')).toMatchObject({ status: 200, json: { profile: { PrinterId: 'Api-1' } } });
  });

  it('names the caller by the IAM authorizer userArn in the alarm it changes', async () => {
    await call('PUT', '/api/printers/Api-2', { Thresholds: { Lower: 20, Upper: 80 }, Window: 3 });
    const disabled = await call('POST', '/api/printers/Api-2/alarm', { action: 'disable', note: 'maintenance' });
    expect(disabled).toMatchObject({ status: 200, json: { State: 'DISABLED' } });
    const history = await call('GET', '/api/printers/Api-2/history');
    expect(history.json['items']).toEqual([expect.objectContaining({ To: 'DISABLED', By: operator, Note: 'maintenance' })]);
  });

  it('reads a repeated query parameter as the raw query string has it (API Gateway comma-joins it in queryStringParameters)', async () => {
    for (const id of ['Api-3', 'Api-4', 'Api-5'])
      await call('PUT', `/api/printers/${id}`, { Thresholds: { Lower: 1, Upper: 2 }, Window: 1 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 100 }), async (first, second) => {
        const ranked = await call('GET', `/api/printers/ranked?limit=${first}&limit=${second}`);
        expect(ranked.status).toBe(200);
        expect(ranked.json['printers']).toHaveLength(first);
      }),
      { numRuns: 10 },
    );
  });

  it('refuses a body that is not JSON with one line, base64 or not', async () => {
    const event = httpApiEvent({
      method: 'PUT',
      url: '/api/printers/Api-6',
      routeKey,
      userArn: operator,
      body: '{"Window":',
      headers: { 'content-type': 'application/json' },
    });
    const response = await handler(event, context());
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: expect.stringMatching(/^the body is not JSON/) });
    expect(await item('Api-6')).toBeUndefined();
  });
});

describe('Kinesis records as the event source mapping delivers them -> the stream function', () => {
  type StreamHandler = (event: unknown, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  const record = (sequence: string, partitionKey: string, data: string) =>
    awsEvent<{ Records: unknown[] }>('kinesis-record.json', {
      partition_key: partitionKey,
      data: Buffer.from(data).toString('base64'),
      sequence,
      partition: 'aws',
      region: LOCAL_AWS.region,
    }).Records[0];

  it('folds the records and answers with the partial batch response shape', async () => {
    await seedProfiles(admin, TABLE, [{ PrinterId: 'Ks-1', Thresholds: { Lower: 20, Upper: 80 }, Window: 2 }]);
    const handler = await loadHandler<StreamHandler>('stream');
    // Sequence numbers as Kinesis writes them: 56 digits, past what a double holds exactly.
    const base = 49_601_189_658_422_359_378_836_298_521_827_638_475_320_189_012_309_704_722n;
    const payloads = [
      JSON.stringify({ PrinterId: 'Ks-1', data: { value: 95 }, seq: 1 }),
      JSON.stringify({ PrinterId: 'Ks-1', data: { value: 96 }, seq: 2 }),
      'not json',
      JSON.stringify({ PrinterId: 'Ks-1', data: { value: 50 }, seq: 3 }),
    ];
    const Records = payloads.map((data, i) => record(String(base + BigInt(i)), 'Ks-1', data));
    const response = await handler({ Records }, context());
    // Exactly Lambda's partial batch response (plus what the twin reads): nothing failed.
    expect(response.batchItemFailures).toEqual([]);
    expect(await item('Ks-1')).toMatchObject({ EventCount: 1, LastSeq: 3, LastValue: 50 });
  });
});

describe('the EventBridge Scheduler input as the template writes it -> the sweep function', () => {
  type SweepHandler = (event: unknown, context: Context) => Promise<{ due: number; transitions: number }>;

  it('sweeps at the scheduled time Scheduler substitutes, not at the time it runs', async () => {
    const input = (await resourceOf('AWS::Scheduler::Schedule')).Properties!['Target']['Input'] as string;
    expect(input).toContain('<aws.scheduler.scheduled-time>');
    // As Scheduler does: the placeholder replaced by the scheduled time, ISO 8601 to the second.
    const scheduled = (at: number) =>
      JSON.parse(input.replaceAll('<aws.scheduler.scheduled-time>', new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'))) as unknown;

    await seedProfiles(admin, TABLE, [
      { PrinterId: '*', SilenceSeconds: 60 } as never,
      { PrinterId: 'Silent-1', Thresholds: { Lower: 20, Upper: 80 }, Window: 2 },
    ]);
    const detector = await loadHandler<(event: unknown, context: Context) => Promise<unknown>>('detector');
    await detector({ PrinterId: 'Silent-1', data: { value: 50 }, seq: 1 }, context());
    const silenceAt = (await item('Silent-1'))?.['SilenceAt'] as number;
    expect(silenceAt).toBeGreaterThan(Date.now());

    const sweep = await loadHandler<SweepHandler>('sweep');
    expect(await sweep(scheduled(silenceAt - 30_000), context())).toMatchObject({ due: 0, transitions: 0 });
    expect(await sweep(scheduled(silenceAt + 1_000), context())).toMatchObject({ due: 1, transitions: 1 });
    expect((await item('Silent-1'))?.['Alarm']).toMatchObject({ State: 'ACTIVE', Cause: 'silent' });
  });

  it("the twin's clock invokes the sweep with that input, filled in as Scheduler fills it", async () => {
    const input = (await resourceOf('AWS::Scheduler::Schedule')).Properties!['Target']['Input'] as string;
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }), (date) => {
        const at = new Date(Math.floor(date.getTime() / 1000) * 1000);
        const scheduler = input.replaceAll('<aws.scheduler.scheduled-time>', at.toISOString().replace('.000Z', 'Z'));
        expect(scheduledEvent(input, at)).toEqual(JSON.parse(scheduler));
      }),
    );
  });
});

describe("the IoT rule's Lambda invocation -> the detector function", () => {
  type DetectorHandler = (event: unknown, context: Context) => Promise<{ outcome: string }>;
  /** What the template's rule hands its Lambda action for `payload` from `clientId`. */
  async function ruleEvent(identity: DeviceIdentityMode, payload: unknown, clientId: string): Promise<unknown> {
    const rule = (await resourceOf('AWS::IoT::TopicRule', identity)).Properties!['TopicRulePayload'];
    const parsed = parseRuleSql(rule['Sql'] as string, rule['AwsIotSqlVersion'] as string);
    const topic = parsed.topicFilter;
    const evaluation = evaluateRule(parsed, topic, Buffer.from(JSON.stringify(payload)), clientId);
    if (!evaluation.matched || !evaluation.ok) throw new Error(`the rule does not hand ${JSON.stringify(payload)} on`);
    return evaluation.event;
  }

  it('SELECT *: the reading itself is the event', async () => {
    await seedProfiles(admin, TABLE, [{ PrinterId: 'Iot-1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }]);
    const reading = { PrinterId: 'Iot-1', data: { value: 95 }, seq: 1 };
    const event = await ruleEvent('any', reading, 'Iot-1');
    expect(event).toEqual(reading);
    const handler = await loadHandler<DetectorHandler>('detector');
    expect(await handler(event, context())).toMatchObject({ outcome: 'event' });
    expect(published.filter((p) => p.topic === PREDICTION_TOPIC && p.payload['PrinterId'] === 'Iot-1')).toHaveLength(1);
  });

  it(`SELECT *, clientid() AS ${SENDER_FIELD}: the reading with its sender; a foreign sender is refused`, async () => {
    await seedProfiles(admin, TABLE, [{ PrinterId: 'Iot-2', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }]);
    const handler = await loadHandler<DetectorHandler>('detector', 'thing');
    const own = await ruleEvent('thing', { PrinterId: 'Iot-2', data: { value: 95 }, seq: 1 }, 'Iot-2');
    expect(own).toEqual({ PrinterId: 'Iot-2', data: { value: 95 }, seq: 1, [SENDER_FIELD]: 'Iot-2' });
    expect(await handler(own, context())).toMatchObject({ outcome: 'event' });
    const foreign = await ruleEvent('thing', { PrinterId: 'Iot-2', data: { value: 95 }, seq: 2 }, 'Intruder');
    expect(await handler(foreign, context())).toMatchObject({ outcome: 'foreign-printer' });
    expect(await item('Iot-2')).toMatchObject({ LastSeq: 1 });
  });
});
