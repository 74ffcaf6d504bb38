/**
 * API Gateway's HTTP API on the twin, in front of the operator API function
 * as the stack deploys it (`lib/operator-api.ts`): each `/api/*` request is
 * read whole (up to API Gateway's payload quota), becomes a payload 2.0
 * event (`http-api-event.ts`), and invokes the function, if API Gateway's
 * invoke permission on it allows (decided at start, `cloud-iam.ts`); the
 * function's answer becomes the response. What API Gateway answers itself
 * (too large, integration timeout, a failed or refused invocation) is its
 * `{"message": ...}` body. docs/design.md, "The operator API on the twin".
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HTTP_API } from '../contract/index.ts';
import type { ApiFetch } from '../dashboard/serve.ts';
import type { InvokeOutcome } from './execution-environment.ts';
import {
  type GatewayIdentity,
  type GatewayResponse,
  gatewayError,
  gatewayResponse,
  type HttpApiEvent,
  httpApiEvent,
  INTERNAL_SERVER_ERROR,
} from './http-api-event.ts';

export interface HttpApiGatewayOptions {
  readonly identity: GatewayIdentity;
  /** Invokes the function synchronously (Lambda's `RequestResponse`). */
  readonly invoke: (requestId: string, event: HttpApiEvent) => Promise<InvokeOutcome>;
  /** Whether IAM lets API Gateway invoke the function: the denial's message, or undefined when allowed. */
  readonly invokeDenied: string | undefined;
  /** How long the gateway waits for the function. @default HTTP_API.integrationTimeoutSeconds, in ms */
  readonly integrationTimeoutMs?: number | undefined;
  readonly now?: () => Date;
}

const PROXY_PREFIX = HTTP_API.routePath.slice(0, HTTP_API.routePath.indexOf('{'));

class PayloadTooLarge extends Error {
  override readonly name = 'PayloadTooLarge';
}

/** The body, read up to `limit` bytes; more rejects with PayloadTooLarge (the rest is never read). */
async function readBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLarge();
    }
    chunks.push(value);
  }
}

function toResponse(reply: GatewayResponse, requestId: string): Response {
  const headers = new Headers();
  for (const [name, value] of reply.headers) headers.append(name, value);
  headers.set('apigw-requestid', requestId);
  return new Response(reply.body.byteLength === 0 ? null : new Uint8Array(reply.body), { status: reply.status, headers });
}

/** The `/api/*` handler: the HTTP API's one route, integrated with the function. */
export function httpApiGateway(options: HttpApiGatewayOptions): ApiFetch {
  const timeoutMs = options.integrationTimeoutMs ?? HTTP_API.integrationTimeoutSeconds * 1000;
  const now = options.now ?? (() => new Date());

  const integrate = async (requestId: string, event: HttpApiEvent): Promise<GatewayResponse> => {
    if (options.invokeDenied !== undefined) return INTERNAL_SERVER_ERROR();
    let timer: NodeJS.Timeout | undefined;
    // The function runs on after the gateway gives up, as in AWS; its answer is then dropped.
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([options.invoke(requestId, event), timedOut]);
      if (outcome === 'timeout') return gatewayError(503, 'Service Unavailable');
      return outcome.ok ? gatewayResponse(outcome.value) : INTERNAL_SERVER_ERROR();
    } finally {
      clearTimeout(timer);
    }
  };

  return async (request, env) => {
    const requestId = randomUUID();
    const url = new URL(request.url);
    const target = url.pathname + url.search;
    // The route needs one segment or more below its prefix; anything else matches no route.
    if (!url.pathname.startsWith(PROXY_PREFIX) || url.pathname.length === PROXY_PREFIX.length) {
      return toResponse(gatewayError(404, 'Not Found'), requestId);
    }
    const declared = Number(request.headers.get('content-length') ?? 0);
    let body: Buffer;
    try {
      if (declared > HTTP_API.maxPayloadBytes) throw new PayloadTooLarge();
      body = await readBody(request.body, HTTP_API.maxPayloadBytes);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return toResponse(gatewayError(413, 'Request Entity Too Large'), requestId);
      throw error;
    }
    const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const headers: [string, string][] = [];
    if (incoming) {
      for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.push([incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!]);
    } else {
      for (const [name, value] of request.headers) headers.push([name, value]);
    }
    const sourceIp = incoming?.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    const event = httpApiEvent({ method: request.method, target, headers, body, sourceIp }, options.identity, requestId, now());
    return toResponse(await integrate(requestId, event), requestId);
  };
}
