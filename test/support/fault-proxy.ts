/**
 * An HTTP proxy that answers some requests with a server error instead of
 * forwarding them: a real service failing for one key (one printer's item,
 * one thing), which nothing else in the twin can be made to do. The stream
 * tests put it between the function and the twin's DynamoDB or thing registry.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fault decides on. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  /** Where requests go, `http://HOST:PORT`; may be set after the proxy starts. */
  target: string | undefined;
  /** Requests answered with an error so far. */
  readonly failed: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Starts the proxy. `fault` returns the error to answer with (the status and
 * the AWS error type), or undefined to forward the request.
 */
export async function startFaultProxy(
  fault: (request: ProxiedRequest) => { status: number; type: string } | undefined,
  target?: string,
): Promise<FaultProxy> {
  let failed = 0;
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const error = fault({ method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') });
    if (error !== undefined || proxy.target === undefined) {
      failed += 1;
      const type = error?.type ?? 'ServiceUnavailable';
      res.writeHead(error?.status ?? 503, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ __type: type, message: 'injected by the test fault proxy' }));
      return;
    }
    const upstream = new URL(proxy.target);
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target,
    get failed() {
      return failed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
