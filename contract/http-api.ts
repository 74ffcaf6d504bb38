/**
 * API Gateway's HTTP API in front of the operator API function: the route the
 * stack creates (`lib/operator-api.ts`) and the quotas AWS applies to it,
 * which the twin enforces in front of the same function (`twin/api-gateway.ts`).
 */

/** The HTTP API as the stack configures it, and API Gateway's fixed quotas for it. */
export const HTTP_API = {
  /** The one route: the Hono app routes below it. */
  routePath: '/api/{proxy+}',
  /** The route key API Gateway gives the function (`ANY` method, the route above). */
  routeKey: 'ANY /api/{proxy+}',
  /** The stage the stack deploys (auto-deployed, the API's root URL). */
  stage: '$default',
  /** The Lambda integration's payload format (the CDK's default for an HTTP API). */
  payloadFormatVersion: '2.0',
  /** API Gateway's quota: the largest request payload an HTTP API accepts (10 MB). */
  maxPayloadBytes: 10 * 1024 * 1024,
  /** API Gateway's quota: the longest an HTTP API waits for its integration (30 s, not adjustable upwards). */
  integrationTimeoutSeconds: 30,
} as const;
