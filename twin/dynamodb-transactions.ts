/**
 * `TransactWriteItems` for the embedded DynamoDB: dynalite has no
 * transactions, so the twin's server answers them itself by making each
 * item's own request (`PutItem`, `UpdateItem`, `DeleteItem`) to dynalite,
 * the conditional item first. The detector's transactions have exactly that
 * shape (one guarded update of a printer and unconditional puts of its
 * history, `docs/design.md`, "Alarms, the outbox and the clock"): a failed
 * condition cancels the whole transaction before anything is written, as
 * DynamoDB does. A transaction with more than one conditional item is refused
 * (the twin could not undo the first). Consumed capacity is doubled per item,
 * as DynamoDB charges a transaction.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'DynamoDB_20120810.';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
const OPERATION: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' };

type Item = Record<string, Record<string, unknown>>;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const error = (type: string, message: string, extra: Record<string, unknown> = {}): Answer => ({
  status: 400,
  body: { __type: `${ERROR_PREFIX}${type}`, message, ...extra },
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Makes dynalite answer `TransactWriteItems`; call before it listens. */
export function acceptTransactions(server: Server): void {
  const dynalite = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-amz-target'] !== `${TARGET_PREFIX}TransactWriteItems`) {
      for (const listener of dynalite) listener.call(server, req, res);
      return;
    }
    void (async () => {
      const { port } = server.address() as AddressInfo;
      const answer = await transact(`http://127.0.0.1:${port}/`, req.headers, await readBody(req));
      send(res, answer.status, answer.body);
    })().catch((cause: unknown) => send(res, 500, { __type: `${ERROR_PREFIX}InternalServerError`, message: String(cause) }));
  });
}

async function transact(endpoint: string, headers: IncomingMessage['headers'], text: string): Promise<Answer> {
  let input: { TransactItems?: Item[]; ReturnConsumedCapacity?: string };
  try {
    input = JSON.parse(text) as typeof input;
  } catch {
    return error('SerializationException', 'the request body is not JSON');
  }
  const items = input.TransactItems ?? [];
  if (items.length === 0 || items.length > 100) return error('ValidationException', 'TransactItems must hold 1 to 100 items');
  const steps = items.map((item) => {
    const [kind, request] = Object.entries(item)[0] ?? [];
    return { kind: kind ?? '', request: request ?? {} };
  });
  const unsupported = steps.find((step) => OPERATION[step.kind] === undefined);
  if (unsupported !== undefined)
    return error('ValidationException', `the twin's transactions hold Put, Update and Delete, not ${unsupported.kind}`);
  const conditional = steps.filter((step) => step.request['ConditionExpression'] !== undefined);
  if (conditional.length > 1) return error('ValidationException', "the twin's transactions hold at most one conditional item");

  const call = async (kind: string, request: Record<string, unknown>): Promise<Answer> => {
    const { ReturnValuesOnConditionCheckFailure: _old, ...own } = request;
    const body = JSON.stringify({ ...own, ...(input.ReturnConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {}) });
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${TARGET_PREFIX}${OPERATION[kind]}`,
        authorization: String(headers.authorization ?? ''),
        'x-amz-date': String(headers['x-amz-date'] ?? ''),
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const units = new Map<string, number>();
  const count = (table: unknown, answer: Answer) => {
    const consumed = answer.body['ConsumedCapacity'] as { CapacityUnits?: number } | undefined;
    units.set(String(table), (units.get(String(table)) ?? 0) + 2 * (consumed?.CapacityUnits ?? 0));
  };
  const first = conditional[0];
  if (first !== undefined) {
    const answer = await call(first.kind, first.request);
    if (answer.status !== 200) {
      const type = String(answer.body['__type'] ?? '');
      if (!type.endsWith('ConditionalCheckFailedException')) return answer;
      const reasons = steps.map((step) =>
        step === first ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } : { Code: 'None' },
      );
      return error(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        { CancellationReasons: reasons },
      );
    }
    count(first.request['TableName'], answer);
  }
  for (const step of steps) {
    if (step === first) continue;
    const answer = await call(step.kind, step.request);
    if (answer.status !== 200) return answer;
    count(step.request['TableName'], answer);
  }
  const consumed = [...units].map(([TableName, CapacityUnits]) => ({ TableName, CapacityUnits }));
  return { status: 200, body: input.ReturnConsumedCapacity ? { ConsumedCapacity: consumed } : {} };
}
