/**
 * The AWS IoT APIs the detector calls, served locally so that its unchanged
 * SDK clients work through an endpoint override: the Data Plane's `Publish`
 * (`POST /topics/{topic}?qos=N`), which the twin hands to its MQTT broker
 * (tests can record or fail them), and the registry's `DescribeThing`
 * (`GET /things/{thingName}`), answered from the twin's things (device
 * identity mode, for gateways).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from './listen.ts';

/** One `Publish` call as the API received it. */
export interface DataPlanePublish {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export interface IotDataServer {
  /** `http://127.0.0.1:PORT`: the value for the detector's IoT Data endpoint. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 128 * 1024; // the service's own payload limit

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Starts the API on 127.0.0.1 (port 0: a free one). A publish is acknowledged
 * only after `onPublish` resolves; if it throws, the caller gets a retryable
 * `ServiceUnavailableException`, as from the real service.
 */
export async function startIotDataServer(
  onPublish: (publish: DataPlanePublish) => unknown,
  options: { host?: string; port?: number; things?: Readonly<Record<string, Readonly<Record<string, string>>>> } = {},
): Promise<IotDataServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const thing = /^\/things\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && thing?.[1]) {
        const thingName = decodeURIComponent(thing[1]);
        const attributes = options.things && Object.hasOwn(options.things, thingName) ? options.things[thingName] : undefined;
        if (attributes === undefined) {
          sendError(res, 404, 'ResourceNotFoundException', `Thing ${thingName} cannot be found.`);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ thingName, defaultClientId: thingName, attributes, version: 1 }));
        return;
      }
      const match = /^\/topics\/(.+)$/.exec(url.pathname);
      if (req.method !== 'POST' || !match?.[1]) {
        sendError(res, 404, 'ResourceNotFoundException', `no such operation: ${req.method} ${url.pathname}`);
        return;
      }
      const qos = Number(url.searchParams.get('qos') ?? '0');
      if (qos !== 0 && qos !== 1) {
        sendError(res, 400, 'InvalidRequestException', 'qos must be 0 or 1');
        return;
      }
      const payload = await readBody(req);
      if (payload === undefined) {
        sendError(res, 413, 'RequestEntityTooLargeException', 'payload over 128 KB');
        return;
      }
      try {
        await onPublish({
          topic: decodeURIComponent(match[1]),
          payload,
          qos,
          retain: url.searchParams.get('retain') === 'true',
        });
      } catch (error) {
        sendError(res, 503, 'ServiceUnavailableException', (error as Error).message ?? String(error));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    })();
  });
  const { host: address, port } = await listen(server, options);
  return {
    endpoint: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
