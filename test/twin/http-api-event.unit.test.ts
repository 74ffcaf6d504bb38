/**
 * API Gateway's payload format 2.0 both ways (twin/http-api-event.ts),
 * against models written from AWS's description of the format: repeated
 * query parameters and headers comma-joined, header names lower-cased,
 * every cookie in `cookies`, a binary body base64-encoded; and the response
 * made of a structured result or of any other JSON value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GatewayRequest, gatewayResponse, httpApiEvent } from '../../twin/http-api-event.ts';

const IDENTITY = { apiId: 'api', accountId: '000000000000', callerArn: 'local', accessKey: 'AKIDLOCAL' };
const AT = new Date('2026-03-12T19:03:58.123Z');

const request = (overrides: Partial<GatewayRequest>): GatewayRequest => ({
  method: 'GET',
  target: '/api/x',
  headers: [['Host', '127.0.0.1:8080']],
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  ...overrides,
});

/** `[name, value]` pairs grouped by name in first-seen order, values joined with commas. */
function joined(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const model = new Map<string, string[]>();
  for (const [name, value] of pairs) model.set(name, [...(model.get(name) ?? []), value]);
  return Object.fromEntries([...model].map(([name, values]) => [name, values.join(',')]));
}

const tokenChar = fc.constantFrom(...'abcxyzABCXYZ019-_'.split(''));
const headerName = fc.string({ unit: tokenChar, minLength: 1, maxLength: 8 }).filter((n) => !['cookie', 'host'].includes(n.toLowerCase()));
const headerValue = fc.string({ unit: fc.constantFrom(...'ab ,;=/"1'.split('')), maxLength: 10 }).map((v) => v.trim());
const queryText = fc.string({ unit: fc.constantFrom(...'ab =&+,%é/?#'.split('')), maxLength: 6 });

describe('the event of a request', () => {
  it('keeps the raw query and gives each parameter once, its repeats comma-joined, decoded', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(queryText, queryText), { maxLength: 6 }), (pairs) => {
        const raw = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const event = httpApiEvent(request({ target: `/api/x${raw === '' ? '' : `?${raw}`}` }), IDENTITY, 'r', AT);
        expect(event.rawPath).toBe('/api/x');
        expect(event.rawQueryString).toBe(raw);
        expect(event.queryStringParameters).toEqual(raw === '' ? undefined : joined(pairs));
      }),
    );
  });

  it('lower-cases header names and comma-joins repeats in order; cookies go to `cookies`, not the headers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }),
        fc.array(fc.array(fc.tuple(headerName, headerName), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
        (headers, cookieHeaders) => {
          const cookieLines = cookieHeaders.map((cookies) => cookies.map(([k, v]) => `${k}=${v}`).join('; '));
          const all: [string, string][] = [
            ['Host', '127.0.0.1:8080'],
            ...headers,
            ...cookieLines.map((l) => ['Cookie', l] as [string, string]),
          ];
          const event = httpApiEvent(request({ headers: all }), IDENTITY, 'r', AT);
          const lower = headers.map(([n, v]) => [n.toLowerCase(), v] as const);
          expect(event.headers).toEqual({ host: '127.0.0.1:8080', ...joined(lower) });
          expect(event.cookies).toEqual(cookieLines.length === 0 ? undefined : cookieHeaders.flat().map(([k, v]) => `${k}=${v}`));
        },
      ),
    );
  });

  it('carries a text body as it is and any other body base64-encoded, byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1 }), (bytes, text) => {
        const binary = httpApiEvent(
          request({ method: 'POST', headers: [['Content-Type', 'application/octet-stream']], body: Buffer.from(bytes) }),
          IDENTITY,
          'r',
          AT,
        );
        expect(binary.isBase64Encoded).toBe(true);
        expect(Buffer.from(binary.body!, 'base64').equals(Buffer.from(bytes))).toBe(true);
        const json = httpApiEvent(
          request({ method: 'POST', headers: [['content-type', 'application/json; charset=utf-8']], body: Buffer.from(text) }),
          IDENTITY,
          'r',
          AT,
        );
        expect({ body: json.body, isBase64Encoded: json.isBase64Encoded }).toEqual({ body: text, isBase64Encoded: false });
      }),
    );
    expect(httpApiEvent(request({}), IDENTITY, 'r', AT)).toMatchObject({ isBase64Encoded: false });
    expect(httpApiEvent(request({}), IDENTITY, 'r', AT).body).toBeUndefined();
  });

  it('gives the route, the stage, the caller and the time as API Gateway writes them', () => {
    const event = httpApiEvent(request({ target: '/api/printers/P1/alarm' }), IDENTITY, 'req-1', AT);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /api/{proxy+}',
      pathParameters: { proxy: 'printers/P1/alarm' },
      requestContext: {
        apiId: 'api',
        requestId: 'req-1',
        stage: '$default',
        domainName: '127.0.0.1',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: AT.getTime(),
        authorizer: { iam: { userArn: 'local', accessKey: 'AKIDLOCAL', accountId: '000000000000' } },
      },
    });
  });
});

describe('the response of an answer', () => {
  it('takes status, lower-cased headers, one set-cookie per cookie and the decoded body from a structured result', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        fc.array(fc.string({ unit: tokenChar, minLength: 1 }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 64 }),
        (statusCode, headers, cookies, bytes) => {
          const reply = gatewayResponse({
            statusCode,
            headers,
            cookies,
            body: Buffer.from(bytes).toString('base64'),
            isBase64Encoded: true,
          });
          expect(reply.status).toBe(statusCode);
          expect(reply.headers).toEqual([
            ...Object.entries(headers).map(([n, v]) => [n.toLowerCase(), v]),
            ...cookies.map((c) => ['set-cookie', c]),
          ]);
          expect(reply.body.equals(Buffer.from(bytes))).toBe(true);
        },
      ),
    );
  });

  it('answers any other JSON value as a 200 application/json body; a status API Gateway cannot send is a 500', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || !('statusCode' in v)),
        (value) => {
          const reply = gatewayResponse(value);
          expect(reply.status).toBe(200);
          expect(reply.headers).toEqual([['content-type', 'application/json']]);
          expect(JSON.parse(reply.body.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(value)));
        },
      ),
    );
    for (const statusCode of [99, 600, 200.5, '200', null]) {
      const reply = gatewayResponse({ statusCode, body: 'x' });
      expect({ status: reply.status, body: JSON.parse(reply.body.toString('utf8')) }).toEqual({
        status: 500,
        body: { message: 'Internal Server Error' },
      });
    }
  });
});
