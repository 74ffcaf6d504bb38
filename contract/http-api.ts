/**
 * API Gateway's HTTP API in front of the operator API function: the route the
 * stack creates (`lib/operator-api.ts`) and the quotas AWS applies to it,
 * which the twin enforces in front of the same function (`twin/api-gateway.ts`).
 */

import { AWS_LIMITS } from './aws-limits.ts';

/** The HTTP API as the stack configures it, and API Gateway's fixed quotas for it (from `AWS_LIMITS`). */
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
  maxPayloadBytes: AWS_LIMITS.httpApiPayloadBytes,
  /** API Gateway's quota: the longest an HTTP API waits for its integration (30 s, not adjustable upwards). */
  integrationTimeoutSeconds: AWS_LIMITS.httpApiIntegrationTimeoutMs / 1000,
} as const;
