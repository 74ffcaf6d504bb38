/**
 * AWS's own sample events (`test/fixtures/aws-events/`, sources in its
 * README), with their `{{{placeholders}}}` filled, as AWS SAM CLI fills its
 * generated events: the handlers are tested with the shapes AWS sends, not
 * only with shapes the tests made up.
 */
import { readFileSync } from 'node:fs';
import { TWIN_ACCOUNT } from '../../twin/template-resolver.ts';

const FIXTURES = new URL('../fixtures/aws-events/', import.meta.url);

/** A fixture refers to a placeholder no value was given for. */
export class UnfilledPlaceholderError extends Error {
  override readonly name = 'UnfilledPlaceholderError';
}

/** The fixture's JSON with each `{{{name}}}` replaced by `values[name]` (inside JSON strings); every placeholder must be given. */
export function awsEvent<T = Record<string, unknown>>(fixture: string, values: Readonly<Record<string, string>> = {}): T {
  const text = readFileSync(new URL(fixture, FIXTURES), 'utf8').replace(/\{\{\{([a-z_]+)\}\}\}/g, (_, name: string) => {
    const value = values[name] ?? (name === 'account_id' ? TWIN_ACCOUNT : undefined);
    if (value === undefined) throw new UnfilledPlaceholderError(`${fixture}: no value for {{{${name}}}}`);
    return JSON.stringify(value).slice(1, -1);
  });
  return JSON.parse(text) as T;
}

/** The field names of a JSON value, recursively (`a`, `a.b`, `a[].c`): its shape, without its values. */
export function shapeOf(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((item) => shapeOf(item, `${prefix}[]`)))].sort();
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value)
    .flatMap(([key, child]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      return [path, ...shapeOf(child, path)];
    })
    .sort();
}

export interface HttpApiRequest {
  readonly method: string;
  /** The path with its query string, as the caller sent it (`/api/printers?limit=2&limit=3`). */
  readonly url: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The caller's IAM ARN, as API Gateway's IAM authorizer verified it. */
  readonly userArn: string;
  /** API Gateway's route key for the request (`ANY /api/{proxy+}`). */
  readonly routeKey: string;
}

/**
 * API Gateway's HTTP API payload 2.0 event for one request: the SAM sample
 * with the IAM authorizer's context, the body base64-encoded, and the query
 * string as API Gateway gives it: `rawQueryString` as sent, and repeated
 * parameters comma-joined in `queryStringParameters`.
 */
export function httpApiEvent(request: HttpApiRequest): Record<string, unknown> {
  const [path = '', rawQueryString] = request.url.split(/\?(.*)/s);
  const event = awsEvent('http-api-v2-iam.json', {
    path,
    method: request.method,
    route_key: request.routeKey,
    proxy: path.replace(/^\/api\//, ''),
    body: Buffer.from(request.body ?? '').toString('base64'),
    access_key: 'ASIAEXAMPLEKEY',
    caller_id: 'AROAEXAMPLEID:operator',
    user_arn: request.userArn,
    dns_suffix: 'amazonaws.com',
  });
  const { queryStringParameters: _, body, isBase64Encoded, ...rest } = event;
  // A GET carries no body: API Gateway leaves the field out.
  const withBody = request.body === undefined ? { ...rest, isBase64Encoded: false } : { ...rest, body, isBase64Encoded };
  const headers = { ...(event['headers'] as Record<string, string>), ...request.headers };
  if (rawQueryString === undefined) return { ...withBody, headers, rawQueryString: '' };
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  return { ...withBody, headers, rawQueryString, queryStringParameters };
}
