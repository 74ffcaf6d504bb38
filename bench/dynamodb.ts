/**
 * DynamoDB for the bench: the embedded server in a child process, and a client
 * that counts every request, the items it read and the capacity it consumed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type ConsumedCapacity,
  type DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { createProfilesTableRequest } from '../contract/index.ts';
import { LOCAL_AWS, localDynamoDbClient } from '../twin/dynamodb.ts';

export interface DynamoDbProcess {
  readonly endpoint: string;
  readonly pid: number;
  close(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./dynamodb-server.ts', import.meta.url));

/** Starts dynalite in a child process (`node --import tsx`). */
export async function startDynamoDbProcess(): Promise<DynamoDbProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dynalite did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { endpoint: string }).endpoint);
    });
  });
  return {
    endpoint,
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What a counting client saw since its last reset. */
export interface RequestCounts {
  /** Requests per operation name (`GetItemCommand`, ...). */
  readonly byCommand: Record<string, number>;
  readonly total: number;
  /** Items the requests read: 1 per GetItem that found one, every item a BatchGetItem returned, ScannedCount for Scan and Query. */
  readonly itemsRead: number;
  readonly readCapacityUnits: number;
  readonly writeCapacityUnits: number;
  /** Failed requests per error name (a failed conditional write is one). */
  readonly errors: Record<string, number>;
}

export interface CountingClient {
  readonly client: DynamoDBClient;
  counts(): RequestCounts;
  reset(): void;
}

const DATA_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

/** Adds consumed capacity to the read or write total (dynalite reports only `CapacityUnits`). */
function addCapacity(
  counts: { rcu: number; wcu: number },
  consumed: ConsumedCapacity | ConsumedCapacity[] | undefined,
  kind: 'read' | 'write',
): void {
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const units = c.CapacityUnits ?? (kind === 'read' ? c.ReadCapacityUnits : c.WriteCapacityUnits) ?? 0;
    if (kind === 'read') counts.rcu += units;
    else counts.wcu += units;
  }
}

/**
 * A DynamoDB client for `endpoint` that counts each request (once per call,
 * as the caller issued it) and asks for `ReturnConsumedCapacity: TOTAL`.
 */
export function countingClient(
  endpoint: string,
  options: {
    maxAttempts?: number /** Builds the client (default: a plain `DynamoDBClient`). */;
    create?: (config: DynamoDBClientConfig) => DynamoDBClient;
  } = {},
): CountingClient {
  const config: DynamoDBClientConfig = { ...LOCAL_AWS, endpoint, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) };
  const client = options.create ? options.create(config) : localDynamoDbClient(endpoint, config);
  let byCommand: Record<string, number> = {};
  let errors: Record<string, number> = {};
  let itemsRead = 0;
  const capacity = { rcu: 0, wcu: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      byCommand[name] = (byCommand[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      if (DATA_COMMANDS.has(name)) input['ReturnConsumedCapacity'] = 'TOTAL';
      try {
        const result = await next(args);
        const output = result.output as unknown as Record<string, unknown>;
        if (name === 'GetItemCommand' && output['Item']) itemsRead += 1;
        if (name === 'BatchGetItemCommand') {
          for (const items of Object.values((output['Responses'] ?? {}) as Record<string, unknown[]>)) itemsRead += items.length;
        }
        if (name === 'ScanCommand' || name === 'QueryCommand') itemsRead += Number(output['ScannedCount'] ?? 0);
        const consumed = output['ConsumedCapacity'] as ConsumedCapacity | ConsumedCapacity[] | undefined;
        addCapacity(capacity, consumed, /^(Get|Query|Scan|BatchGet)/.test(name) ? 'read' : 'write');
        return result;
      } catch (error) {
        const errorName = (error as Error).name ?? 'Error';
        errors[errorName] = (errors[errorName] ?? 0) + 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCountRequests' },
  );
  return {
    client,
    counts: () => ({
      byCommand: { ...byCommand },
      total: Object.values(byCommand).reduce((a, b) => a + b, 0),
      itemsRead,
      readCapacityUnits: capacity.rcu,
      writeCapacityUnits: capacity.wcu,
      errors: { ...errors },
    }),
    reset: () => {
      byCommand = {};
      errors = {};
      itemsRead = 0;
      capacity.rcu = 0;
      capacity.wcu = 0;
    },
  };
}

/** Creates a profiles table (the stack's schema, with the ranking index) and waits until it is active. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createProfilesTableRequest(tableName)));
  for (let i = 0; i < 500; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become active`);
}

/** Deletes a table, ignoring a table that is already gone. */
export async function dropTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where unavailable. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the file (11 and 12 after the command name), in clock ticks.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * (1000 / 100) : undefined;
  } catch {
    return undefined;
  }
}
