/**
 * API Gateway's HTTP API payload format 2.0, both ways: the event the
 * gateway hands its Lambda integration for a request, and the HTTP response
 * it makes of the function's answer (AWS's developer guide, "Create AWS
 * Lambda proxy integrations for HTTP APIs"). Pure: the twin's gateway
 * (`api-gateway.ts`) reads the request and invokes the function.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HTTP_API } from '../contract/index.ts';

export type HttpApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

/** The request as it reached the gateway. */
export interface GatewayRequest {
  readonly method: string;
  /** The request target: path and query, as sent. */
  readonly target: string;
  /** Header names and values in the order received, repeats included (Node's `rawHeaders`, paired). */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** Who the gateway is and who IAM authorization found the caller to be. */
export interface GatewayIdentity {
  readonly apiId: string;
  readonly accountId: string;
  /** The verified caller's ARN (`local` on the twin, whose API is loopback-only and unsigned). */
  readonly callerArn: string;
  /** The caller's access key id. */
  readonly accessKey: string;
}

/** Content types API Gateway passes as text; any other body is base64-encoded. */
const TEXT_TYPE = /^\s*(text\/[^;]*|application\/([a-z0-9.+-]*\+)?(json|xml|javascript)|application\/x-www-form-urlencoded)\s*(;|$)/i;

/** `12/Mar/2020:19:03:58 +0000`, as `requestContext.time` is written. */
function requestTime(at: Date): string {
  const [, day, month, year, time] = /^\w+, (\d\d) (\w+) (\d+) (\S+) GMT$/.exec(at.toUTCString()) ?? [];
  return `${day}/${month}/${year}:${time} +0000`;
}

/** The payload 2.0 event of `request`, on the stack's one route. */
export function httpApiEvent(request: GatewayRequest, identity: GatewayIdentity, requestId: string, at: Date): HttpApiEvent {
  const query = request.target.indexOf('?');
  const rawPath = query < 0 ? request.target : request.target.slice(0, query);
  const rawQueryString = query < 0 ? '' : request.target.slice(query + 1);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    if (key === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      );
    } else {
      headers[key] = key in headers ? `${headers[key]},${value}` : value;
    }
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const host = headers['host'] ?? '';
  const domainName = host.replace(/:\d+$/, '');
  const text = TEXT_TYPE.test(headers['content-type'] ?? '');
  const hasBody = request.body.byteLength > 0;
  const prefix = HTTP_API.routePath.slice(0, HTTP_API.routePath.indexOf('{'));
  return {
    version: HTTP_API.payloadFormatVersion,
    routeKey: HTTP_API.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString === '' ? {} : { queryStringParameters }),
    requestContext: {
      accountId: identity.accountId,
      apiId: identity.apiId,
      authorizer: {
        iam: {
          accessKey: identity.accessKey,
          accountId: identity.accountId,
          callerId: identity.callerArn,
          cognitoIdentity: null as never,
          principalOrgId: null as never,
          userArn: identity.callerArn,
          userId: identity.callerArn,
        },
      },
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: HTTP_API.routeKey,
      stage: HTTP_API.stage,
      time: requestTime(at),
      timeEpoch: at.getTime(),
    },
    pathParameters: { proxy: rawPath.slice(prefix.length) },
    ...(hasBody ? { body: text ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !text,
  };
}

/** The HTTP response API Gateway makes. */
export interface GatewayResponse {
  readonly status: number;
  /** Header pairs; `set-cookie` may repeat. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: Buffer;
}

/** API Gateway's own answer: `{"message": ...}`. */
export function gatewayError(status: number, message: string): GatewayResponse {
  return { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ message })) };
}

/** What API Gateway answers when the function failed, or its answer is not a response it can read. */
export const INTERNAL_SERVER_ERROR = () => gatewayError(500, 'Internal Server Error');

/**
 * The response of the function's answer: a structured result (`statusCode`,
 * `headers`, `cookies`, `body`, `isBase64Encoded`) as given; any other JSON
 * value is the body of a 200 `application/json` response, as API Gateway
 * assumes for format 2.0.
 */
export function gatewayResponse(value: unknown): GatewayResponse {
  const structured = typeof value === 'object' && value !== null && 'statusCode' in value;
  if (!structured) {
    return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(value) ?? 'null') };
  }
  const result = value as APIGatewayProxyStructuredResultV2;
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return INTERNAL_SERVER_ERROR();
  const headers: [string, string][] = Object.entries(result.headers ?? {}).map(([name, v]) => [name.toLowerCase(), String(v)]);
  for (const cookie of result.cookies ?? []) headers.push(['set-cookie', cookie]);
  const body = result.body ?? '';
  return { status, headers, body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body) };
}
