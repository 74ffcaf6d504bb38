/**
 * The AWS IoT APIs the detector calls, served locally so that its unchanged
 * SDK clients work through an endpoint override: the Data Plane's `Publish`
 * (`POST /topics/{topic}?qos=N`), which the twin hands to its MQTT broker
 * (tests can record or fail them), and the registry's `DescribeThing`
 * (`GET /things/{thingName}`), answered from the twin's things (device
 * identity mode, for gateways), and SNS's `Publish` (`POST /`, the query
 * protocol), which hands alarm notifications to the twin.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AWS_LIMITS, NOTIFICATION_ATTRIBUTE } from '../contract/index.ts';
import type { IamDenial, IamRequest } from './iam.ts';
import { accessKeyOf } from './iam-front.ts';
import { listen } from './listen.ts';

/** Decides whether the caller (by its SigV4 access key) may make `requests`; see `iam.ts`. */
export type AuthorizeCall = (accessKeyId: string | undefined, requests: readonly IamRequest[]) => Promise<IamDenial | undefined>;

/** One `Publish` call as the API received it. */
export interface DataPlanePublish {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/** One SNS `Publish` call: the subject, the message text, its message attributes, and the `Renotify` and `Folded` numbers among them, if any. */
export interface SnsPublish {
  readonly topicArn: string;
  readonly subject: string | undefined;
  readonly message: string;
  /** Every message attribute by name (its string value): what subscription filter policies are evaluated on. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly renotify?: number;
  readonly folded?: number;
}

export interface IotDataServer {
  /** `http://127.0.0.1:PORT`: the value for the detector's IoT Data endpoint. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** The most a request body may hold: a Publish's payload, or an SNS Publish (form-encoded, so its message's limit suffices). */
const MAX_BODY_BYTES = Math.max(AWS_LIMITS.iotMessageBytes, 4 * AWS_LIMITS.snsMessageBytes);

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

/** SNS's query protocol: a form-encoded `Action=Publish`, answered in XML as the service does. */
async function snsPublish(
  req: IncomingMessage,
  res: ServerResponse,
  onNotify: (publish: SnsPublish) => unknown,
  authorize: (topicArn: string) => Promise<IamDenial | undefined>,
): Promise<void> {
  const body = await readBody(req);
  const form = new URLSearchParams(body?.toString() ?? '');
  const xmlError = (status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></ErrorResponse>`,
    );
  };
  const message = form.get('Message');
  if (form.get('Action') !== 'Publish' || message === null) {
    xmlError(400, 'InvalidParameter', 'only Publish with a Message is served here');
    return;
  }
  const size = Buffer.byteLength(message) + Buffer.byteLength(form.get('Subject') ?? '');
  if (size > AWS_LIMITS.snsMessageBytes) {
    xmlError(400, 'InvalidParameter', `Invalid parameter: Message too long (${size} bytes, the limit is ${AWS_LIMITS.snsMessageBytes})`);
    return;
  }
  const denial = await authorize(form.get('TopicArn') ?? '');
  if (denial !== undefined) {
    xmlError(403, 'AuthorizationError', denial.message);
    return;
  }
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i += 1) {
    attributes[form.get(`MessageAttributes.entry.${i}.Name`) ?? ''] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
  }
  const number = (name: string) => (Object.hasOwn(attributes, name) ? Number(attributes[name]) : undefined);
  const renotify = number(NOTIFICATION_ATTRIBUTE.renotify);
  const folded = number(NOTIFICATION_ATTRIBUTE.folded);
  try {
    await onNotify({
      topicArn: form.get('TopicArn') ?? '',
      subject: form.get('Subject') ?? undefined,
      message,
      attributes,
      ...(renotify !== undefined ? { renotify } : {}),
      ...(folded !== undefined ? { folded } : {}),
    });
  } catch (error) {
    xmlError(500, 'InternalError', (error as Error).message ?? String(error));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(
    `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${crypto.randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  );
}

const escapeXml = (text: string) => text.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));

/**
 * Starts the API on 127.0.0.1 (port 0: a free one). A publish is acknowledged
 * only after `onPublish` resolves; if it throws, the caller gets a retryable
 * `ServiceUnavailableException`, as from the real service.
 */
export async function startIotDataServer(
  onPublish: (publish: DataPlanePublish) => unknown,
  options: {
    host?: string;
    port?: number;
    things?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** SNS `Publish`; acknowledged once it resolves. @default none: SNS answers 404 */
    onNotify?: (publish: SnsPublish) => unknown;
    /** IAM: each call is evaluated for its caller's role first. @default every call allowed */
    authorize?: AuthorizeCall;
    /** The KMS key that encrypts a topic, whose use a publish to it needs. */
    encryptionKeyOf?: (topicArn: string) => string | undefined;
    region?: string;
    account?: string;
  } = {},
): Promise<IotDataServer> {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${options.region ?? 'us-east-1'}:${options.account ?? '000000000000'}:${resource}`;
  const authorize = (req: IncomingMessage, requests: IamRequest[]) =>
    options.authorize ? options.authorize(accessKeyOf(req.headers.authorization), requests) : Promise.resolve(undefined);
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/' && options.onNotify) {
        await snsPublish(req, res, options.onNotify, (topicArn) => {
          const key = options.encryptionKeyOf?.(topicArn);
          const kms = key === undefined ? [] : ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ action, resource: key }));
          return authorize(req, [{ action: 'sns:Publish', resource: topicArn }, ...kms]);
        });
        return;
      }
      const thing = /^\/things\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && thing?.[1]) {
        const thingName = decodeURIComponent(thing[1]);
        const denial = await authorize(req, [{ action: 'iot:DescribeThing', resource: arn('iot', `thing/${thingName}`) }]);
        if (denial !== undefined) {
          sendError(res, 403, 'AccessDeniedException', denial.message);
          return;
        }
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
      const denial = await authorize(req, [{ action: 'iot:Publish', resource: arn('iot', `topic/${decodeURIComponent(match[1])}`) }]);
      if (denial !== undefined) {
        sendError(res, 403, 'ForbiddenException', denial.message);
        return;
      }
      const payload = await readBody(req);
      if (payload === undefined || payload.length > AWS_LIMITS.iotMessageBytes) {
        sendError(res, 413, 'RequestEntityTooLargeException', `payload over ${AWS_LIMITS.iotMessageBytes} bytes`);
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
