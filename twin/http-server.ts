/**
 * The twin's own HTTP server, on 127.0.0.1 only: a small router of JSON routes
 * by method and exact path ({@link TwinHttpServer.route}), and a fallback for
 * the rest: the operator API behind its gateway and the dashboard
 * (`operator-api.ts`), whose `GET /api/health` also carries the twin's
 * counters (read by `npm run emit -- --wait` and `npm run ranked`).
 *
 * Loopback only, and only for requests addressed to a loopback name: the API
 * has no authentication, so neither another machine nor a web page that
 * rebinds its own host name to 127.0.0.1 may reach it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { portError } from './errors.ts';
import { listen } from './listen.ts';

/** The path of the health route. */
export const HEALTH_PATH = '/api/health';

/** What `GET /api/health` answers. */
export interface TwinHealth {
  readonly ok: true;
  readonly twin: {
    /** Messages the rule handed to the function since the twin started. */
    readonly received: number;
    /** Of those, the ones whose handling is over (processed, dead-lettered or refused). */
    readonly done: number;
    /** Invocations running now. `received - done` messages are still being processed (running or queued). */
    readonly inFlight: number;
  };
}

/** The health answer from the twin's counters. */
export function twinHealth(stats: { readonly received: number; readonly done: number; readonly inFlight: number }): TwinHealth {
  return { ok: true, twin: { received: stats.received, done: stats.done, inFlight: stats.inFlight } };
}

/** A route's answer: a JSON body and its status (200 unless said). */
export interface JsonReply {
  readonly status?: number;
  readonly body: unknown;
}

/** What a route is given: the parsed URL and the request itself (e.g. to read a body). */
export interface RouteRequest {
  readonly url: URL;
  readonly request: IncomingMessage;
}

export type RouteHandler = (request: RouteRequest) => JsonReply | Promise<JsonReply>;

export interface TwinHttpServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Adds (or replaces) the route for `method` on the exact `path`. */
  route(method: string, path: string, handler: RouteHandler): void;
  /** What answers a path no route has (the operator API and the dashboard); without one, 404. */
  fallback(listener: (request: IncomingMessage, response: ServerResponse) => unknown): void;
  close(): Promise<void>;
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

function send(res: ServerResponse, { status = 200, body }: JsonReply, headers: Record<string, string> = {}, head = false): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  // HEAD: the headers GET would send, and no body.
  res.end(head ? undefined : `${JSON.stringify(body)}\n`);
}

/** The methods a path answers: HEAD wherever GET is. */
function allowedMethods(byMethod: ReadonlyMap<string, unknown>): string[] {
  const methods = [...byMethod.keys()];
  return byMethod.has('GET') && !byMethod.has('HEAD') ? [...methods, 'HEAD'] : methods;
}

/**
 * Starts the server on 127.0.0.1 (port 0: a free one). A port in use rejects
 * with a one-line `TwinStartError`. Unknown paths get 404, a known path with
 * another method 405, a route that throws 500, each as `{"error": "..."}`.
 */
export async function startHttpServer(port = 0): Promise<TwinHttpServer> {
  const routes = new Map<string, Map<string, RouteHandler>>();
  let fallback: ((request: IncomingMessage, response: ServerResponse) => unknown) | undefined;
  const server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!LOOPBACK_HOST.test(req.headers.host ?? '')) {
        send(res, { status: 403, body: { error: 'the twin answers requests to 127.0.0.1 or localhost only' } });
        return;
      }
      const byMethod = routes.get(url.pathname);
      const head = method === 'HEAD';
      const handler = byMethod?.get(method) ?? (head ? byMethod?.get('GET') : undefined);
      if (byMethod === undefined && fallback !== undefined) {
        await fallback(req, res);
      } else if (byMethod === undefined) {
        send(res, { status: 404, body: { error: `no such resource: ${url.pathname}` } });
      } else if (handler === undefined) {
        const allowed = allowedMethods(byMethod).join(', ');
        send(
          res,
          { status: 405, body: { error: `${method} is not allowed on ${url.pathname} (allowed: ${allowed})` } },
          { allow: allowed },
        );
      } else {
        try {
          send(res, await handler({ url, request: req }), {}, head);
        } catch (error) {
          send(res, { status: 500, body: { error: (error as Error).message ?? String(error) } });
        }
      }
    })();
  });
  const bound = await listen(server, { host: '127.0.0.1', port }).catch((error: unknown) => Promise.reject(portError(error, 'HTTP', port)));
  return {
    url: `http://127.0.0.1:${bound.port}`,
    port: bound.port,
    fallback: (listener) => {
      fallback = listener;
    },
    route: (method, path, handler) => {
      const byMethod = routes.get(path) ?? new Map<string, RouteHandler>();
      byMethod.set(method.toUpperCase(), handler);
      routes.set(path, byMethod);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
