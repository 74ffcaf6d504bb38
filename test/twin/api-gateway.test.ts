/**
 * API Gateway's HTTP API in front of the operator API function on the twin
 * (twin/api-gateway.ts): every `/api/*` request reaches the function as the
 * payload 2.0 event AWS sends, the function's answer becomes the response,
 * and what API Gateway answers itself (a payload over its quota, an
 * integration that takes too long, a failed function) is its own answer. A
 * probe stands in for the function (test/support/http-api-probe.ts), bundled
 * and run as the real one is; the contract tests (api*.test.ts) run the real one.
 */
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_API } from '../../contract/index.ts';
import { STACK_PATHS } from '../../twin/cloud-iam.ts';
import { cloudTemplate } from '../../twin/cloud-template.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';

const PROBE = { file: fileURLToPath(new URL('../support/http-api-probe.ts', import.meta.url)) };

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A request with headers exactly as given (repeats kept, in order), as `fetch` cannot send them. */
function raw(base: string, method: string, path: string, headers: string[] = [], body?: Buffer): Promise<RawReply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const all = ['Host', url.host, ...headers];
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (reply: RawReply) => JSON.parse(reply.body.toString('utf8'));

let twin: Twin;
const lines: string[] = [];
/** Invocations the twin's Lambda service started so far (one START line each). */
const starts = () => lines.filter((line) => line.startsWith('START RequestId:')).length;

beforeAll(async () => {
  twin = await startTwin({
    apiEntry: PROBE,
    logFile: false,
    sweepSeconds: 0,
    onLog: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await twin?.close();
});

describe('the HTTP API the twin serves', () => {
  it("is the stack's: its route and IAM authorization, payload format 2.0 to the function, the $default stage, the default timeout", async () => {
    const template = await cloudTemplate({ ingest: 'direct', deviceIdentity: 'any' });
    const of = (type: string) => Object.values(template.resources).filter((r) => r.Type === type);
    expect(of('AWS::ApiGatewayV2::Route').map((r) => [r.Properties!['RouteKey'], r.Properties!['AuthorizationType']])).toEqual([
      [HTTP_API.routeKey, 'AWS_IAM'],
    ]);
    const integrations = of('AWS::ApiGatewayV2::Integration').map((r) => r.Properties!);
    expect(integrations.map((p) => [p['IntegrationType'], p['PayloadFormatVersion'], p['TimeoutInMillis']])).toEqual([
      ['AWS_PROXY', HTTP_API.payloadFormatVersion, undefined],
    ]);
    expect(of('AWS::ApiGatewayV2::Stage').map((r) => r.Properties!['StageName'])).toEqual([HTTP_API.stage]);
  });
});

describe('the request, as the function receives it', () => {
  it('is a payload 2.0 event: raw path and query, lower-cased headers with repeats comma-joined, cookies, IAM caller', async () => {
    const reply = await raw(twin.httpUrl, 'GET', '/api/printers/a%20b?x=1&x=2&y=&z=%C3%A9', [
      'X-Multi',
      'a',
      'x-multi',
      'b',
      'Cookie',
      'c1=v1; c2=v2',
      'User-Agent',
      'probe/1',
    ]);
    expect(reply.status).toBe(200);
    expect(reply.headers['apigw-requestid']).toMatch(/\S/);
    const { event } = json(reply);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /api/{proxy+}',
      rawPath: '/api/printers/a%20b',
      rawQueryString: 'x=1&x=2&y=&z=%C3%A9',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { x: '1,2', y: '', z: 'é' },
      pathParameters: { proxy: 'printers/a%20b' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        routeKey: HTTP_API.routeKey,
        stage: '$default',
        http: { method: 'GET', path: '/api/printers/a%20b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'probe/1' },
        authorizer: { iam: { userArn: 'local', accountId: '000000000000' } },
      },
    });
    expect(event.headers['x-multi']).toBe('a,b');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((name: string) => name === name.toLowerCase())).toBe(true);
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toBe(reply.headers['apigw-requestid']);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(60_000);
    expect(event.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  });

  it('carries a text body as it is and any other body base64-encoded', async () => {
    const text = await raw(twin.httpUrl, 'PUT', '/api/printers/P', ['content-type', 'application/json'], Buffer.from('{"é":1}'));
    expect(json(text).event).toMatchObject({ body: '{"é":1}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 1, 254, 255]);
    const binary = await raw(twin.httpUrl, 'POST', '/api/printers/P', ['content-type', 'application/octet-stream'], bytes);
    expect(json(binary).event).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  it('runs with the environment the stack gives the API function, and its role', async () => {
    const { env } = json(await raw(twin.httpUrl, 'GET', '/api/env'));
    const template = await cloudTemplate({ ingest: 'direct', deviceIdentity: 'any' });
    const fn = template.resources[template.paths[STACK_PATHS.api]!]!;
    const variables = Object.keys(fn.Properties!['Environment'].Variables as object);
    // Every variable the stack sets, and besides them only what Lambda sets and the twin's own endpoints.
    const twinOnly = ['DYNAMODB_ENDPOINT', 'SNS_ENDPOINT', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
    const own = Object.keys(env).filter((name) => !/^(AWS_|LAMBDA_|_)/.test(name) || twinOnly.includes(name));
    expect(own.filter((name) => !twinOnly.includes(name)).sort()).toEqual([...variables].sort());
    expect(env.AWS_ACCESS_KEY_ID).toBe(twin.iam.functionRoleAt(STACK_PATHS.api).accessKeyId);
    expect(env.AWS_LAMBDA_FUNCTION_NAME).toBe(`${twin.functionName}-api`);
  });
});

describe("the function's answer, as API Gateway makes it a response", () => {
  it('takes status, headers, cookies and a base64 body from a structured result', async () => {
    const result = {
      statusCode: 201,
      headers: { 'X-Answer': 'yes', 'content-type': 'text/plain; charset=utf-8' },
      cookies: ['s=1', 't=2; Path=/'],
      body: Buffer.from('héllo').toString('base64'),
      isBase64Encoded: true,
    };
    const reply = await raw(twin.httpUrl, 'GET', `/api/r?reply=${encodeURIComponent(JSON.stringify(result))}`);
    expect(reply.status).toBe(201);
    expect(reply.headers['x-answer']).toBe('yes');
    expect(reply.headers['set-cookie']).toEqual(['s=1', 't=2; Path=/']);
    expect(reply.body.toString('utf8')).toBe('héllo');
  });

  it('answers any other JSON value as a 200 application/json body, and a failed function with a 500', async () => {
    const plain = await raw(twin.httpUrl, 'GET', `/api/r?reply=${encodeURIComponent('{"a":[1,2]}')}`);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('application/json');
    expect(json(plain)).toEqual({ a: [1, 2] });
    const failed = await raw(twin.httpUrl, 'GET', '/api/r?fail');
    expect({ status: failed.status, body: json(failed) }).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
  });
});

describe("API Gateway's quotas", () => {
  it(`passes a body of exactly ${HTTP_API.maxPayloadBytes} bytes; one byte more is 413 and never invokes the function`, async () => {
    const type = ['content-type', 'application/octet-stream'];
    const atLimit = await raw(twin.httpUrl, 'POST', '/api/r?size', type, Buffer.alloc(HTTP_API.maxPayloadBytes, 7));
    expect(json(atLimit)).toEqual({ bytes: HTTP_API.maxPayloadBytes });
    const before = starts();
    const over = await raw(twin.httpUrl, 'POST', '/api/r?size', type, Buffer.alloc(HTTP_API.maxPayloadBytes + 1, 7));
    expect({ status: over.status, body: json(over) }).toEqual({ status: 413, body: { message: 'Request Entity Too Large' } });
    await twin.flushLogs();
    expect(starts()).toBe(before);
  });

  it("answers API Gateway's 503 when the function takes longer than the integration timeout", async () => {
    // Its own twin with a short timeout: the probe's `?hang` never answers, so no machine is fast enough.
    const slow = await startTwin({ apiEntry: PROBE, apiIntegrationTimeoutMs: 100, logFile: false, sweepSeconds: 0 });
    try {
      const invoked = new Promise<void>((resolve) =>
        slow.events.on('log', (line) => {
          if (line.startsWith('START RequestId:')) resolve();
        }),
      );
      const reply = await raw(slow.httpUrl, 'GET', '/api/slow?hang');
      expect({ status: reply.status, body: json(reply) }).toEqual({ status: 503, body: { message: 'Service Unavailable' } });
      expect(reply.headers['content-type']).toBe('application/json');
      // The function was invoked (and runs on, as in AWS, until its own timeout).
      await invoked;
    } finally {
      await slow.close();
    }
  });
});
