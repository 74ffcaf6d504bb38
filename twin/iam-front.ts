/**
 * A front for an embedded service that speaks AWS's JSON protocol
 * (`X-Amz-Target`): DynamoDB (dynalite) and Kinesis (kinesalite). It reads
 * the SigV4 access key of each request to know the caller's role, asks
 * `iam.ts` whether the role may make the request, and either forwards it to
 * the embedded server unchanged or refuses it the way the service does: HTTP
 * 400 with an `AccessDeniedException`, which the SDK raises to the caller.
 * Requests not signed with a role's key (the operator's) pass unevaluated.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { AWS_LIMITS } from '../contract/index.ts';
import type { IamDenial, IamRequest, TwinIam } from './iam.ts';
import { listen } from './listen.ts';

/** The IAM requests one call makes: `operation` is the target's (`GetItem`), `body` its JSON. */
export type IamRequestsOf = (operation: string, body: Record<string, unknown>) => IamRequest[];

export interface IamFront {
  /** `http://127.0.0.1:PORT`: the endpoint to give the functions instead of the embedded server's. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The access key id of a SigV4-signed request (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

/** One line for the twin's log naming the function (role), action and resource IAM refused. */
export function denialLine(denial: IamDenial, service: string): string {
  const role = typeof denial.role === 'string' ? denial.role : denial.role.name;
  return JSON.stringify({
    level: 'ERROR',
    message: `IAM denied ${role}: ${denial.request.action} on ${denial.request.resource}`,
    timestamp: new Date().toISOString(),
    service,
    reason: denial.message,
  });
}

const tableArn = (iam: TwinIam, table: unknown, index?: unknown): string =>
  `arn:aws:dynamodb:${iam.resolver.region}:${iam.resolver.account}:table/${String(table)}${index === undefined ? '' : `/index/${String(index)}`}`;

/** DynamoDB: the table (and index) each operation names, batch and transaction items included. */
export function dynamoDbRequests(iam: TwinIam): IamRequestsOf {
  return (operation, body) => {
    const action = `dynamodb:${operation}`;
    const items = body['RequestItems'] as Record<string, unknown> | undefined;
    if (items !== undefined) return Object.keys(items).map((table) => ({ action, resource: tableArn(iam, table) }));
    const transact = body['TransactItems'] as Record<string, { TableName?: string }>[] | undefined;
    if (transact !== undefined) {
      const actionOf: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return transact.flatMap((item) =>
        Object.entries(item).map(([kind, op]) => ({ action: `dynamodb:${actionOf[kind] ?? kind}`, resource: tableArn(iam, op.TableName) })),
      );
    }
    if (body['TableName'] === undefined) return [{ action, resource: '*' }];
    return [{ action, resource: tableArn(iam, body['TableName'], body['IndexName']) }];
  };
}

/**
 * Kinesis's record limits, stricter than the embedded server's: a record's
 * data (decoded) and partition key together, the records of one PutRecords,
 * and their total (`AWS_LIMITS`). The reason for refusing, or undefined.
 */
export function kinesisLimits(operation: string, body: Record<string, unknown>): string | undefined {
  const size = (record: { Data?: unknown; PartitionKey?: unknown }) =>
    Buffer.from(String(record.Data ?? ''), 'base64').length + Buffer.byteLength(String(record.PartitionKey ?? ''));
  const records =
    operation === 'PutRecord' ? [body as { Data?: unknown }] : operation === 'PutRecords' ? (body['Records'] as object[]) : [];
  if (!Array.isArray(records)) return undefined;
  if (records.length > AWS_LIMITS.kinesisPutRecordsEntries) {
    return `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${AWS_LIMITS.kinesisPutRecordsEntries}`;
  }
  const sizes = records.map(size);
  const over = sizes.findIndex((bytes) => bytes > AWS_LIMITS.kinesisRecordBytes);
  if (over >= 0)
    return `record ${over}: data and partition key are ${sizes[over]} bytes, over the ${AWS_LIMITS.kinesisRecordBytes}-byte limit`;
  const total = sizes.reduce((sum, bytes) => sum + bytes, 0);
  if (total > AWS_LIMITS.kinesisPutRecordsBytes)
    return `the records are ${total} bytes, over the ${AWS_LIMITS.kinesisPutRecordsBytes}-byte limit of one request`;
  return undefined;
}

/** Kinesis: the stream each operation names (by name or ARN). */
export function kinesisRequests(iam: TwinIam): IamRequestsOf {
  return (operation, body) => {
    const arn =
      (body['StreamARN'] as string | undefined) ??
      (body['StreamName'] === undefined
        ? undefined
        : `arn:aws:kinesis:${iam.resolver.region}:${iam.resolver.account}:stream/${String(body['StreamName'])}`);
    return [{ action: `kinesis:${operation}`, resource: arn ?? '*' }];
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a front for `upstream` (`http://HOST:PORT`) on 127.0.0.1 (a free port). */
export async function startIamFront(options: {
  readonly upstream: string;
  readonly iam: TwinIam;
  readonly requestsOf: IamRequestsOf;
  /** The service's own limits the embedded server does not keep: a reason refuses the call (`ValidationException`). */
  readonly limits?: (operation: string, body: Record<string, unknown>) => string | undefined;
  /** The service's name in log lines (`local-dynamodb`). */
  readonly service: string;
  readonly log: (line: string) => void;
  /** Where the front listens. @default 127.0.0.1, a free port */
  readonly host?: string;
  readonly port?: number;
}): Promise<IamFront> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const refuse = (res: ServerResponse, denial: IamDenial) => {
    options.log(denialLine(denial, options.service));
    const body = JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: denial.message });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(body);
  };
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const outgoing = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => res.destroy());
    outgoing.end(body);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const role = options.iam.roleOfAccessKey(accessKeyOf(req.headers.authorization));
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      let parsed: Record<string, unknown> = {};
      try {
        parsed = operation ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // The service itself answers a body that is not JSON.
      }
      const tooLarge = operation ? options.limits?.(operation, parsed) : undefined;
      if (tooLarge !== undefined) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ValidationException' });
        res.end(JSON.stringify({ __type: 'ValidationException', message: tooLarge }));
        return;
      }
      if (role !== undefined && operation) {
        const denial = await options.iam.authorize(role, options.requestsOf(operation, parsed));
        if (denial !== undefined) {
          refuse(res, denial);
          return;
        }
      }
      forward(req, res, body);
    })().catch(() => res.destroy());
  });
  const { host, port } = await listen(server, { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
