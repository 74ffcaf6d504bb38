/**
 * A stand-in for the operator API function (the twin's `apiEntry`), bundled
 * and run as the twin runs the real one, behind the same gateway. It shows
 * what API Gateway handed the function and answers as asked:
 * - by default, the event and the function's environment, as JSON;
 * - `?size`: how many bytes of body it received (decoded);
 * - `?reply=<JSON>`: that value as its result (a structured response or any other JSON);
 * - `?fail`: it throws (a function error);
 * - `?hang`: it never answers, so it is slower than any integration timeout.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';

export const handler = async (event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<unknown> => {
  const query = event.queryStringParameters ?? {};
  if (query['hang'] !== undefined) return new Promise(() => undefined);
  if (query['fail'] !== undefined) throw new Error('the probe fails as asked');
  if (query['reply'] !== undefined) return JSON.parse(query['reply']);
  if (query['size'] !== undefined) {
    const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').byteLength;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bytes }) };
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event, env: process.env }) };
};
