/**
 * Which profiles table a DynamoDB CLI (`ranked`, `seed`) talks to, by the
 * one rule every CLI follows ({@link TARGET_RULE} in `kit.ts`), and how its
 * AWS errors read as one line.
 *
 * - `--endpoint URL` (or `--endpoint-url`, the AWS CLI's spelling): that
 *   endpoint, e.g. the twin; fake credentials unless AWS credentials are set;
 * - otherwise, with `cdk-outputs.json` (written by `npm run deploy`) or
 *   `--region`: the deployed table in AWS (`--table` overrides its name);
 * - otherwise: the running twin (`twin/locate.ts`), else `npm run local`'s default, http://127.0.0.1:8000.
 * `--table` alone only names the table, wherever it is.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DEFAULT_TABLE_NAME } from '../contract/index.ts';
import { LOCAL_AWS } from '../twin/dynamodb.ts';
import { DEFAULT_DYNAMODB_PORT } from '../twin/paths.ts';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type AwsCallTarget, describeAwsError } from './aws-errors.ts';
import { localTwin, readStackOutputs, UsageError, type StackOutputs } from './kit.ts';

export interface TableTarget {
  readonly tableName: string;
  readonly clientConfig: DynamoDBClientConfig;
  /** Where the table is, for messages: the endpoint URL or `AWS <region>`. */
  readonly where: string;
  readonly endpoint?: string;
}

/** The twin's DynamoDB endpoint with `npm run local`'s default port. */
export const DEFAULT_LOCAL_ENDPOINT = `http://127.0.0.1:${DEFAULT_DYNAMODB_PORT}`;

function hasAwsCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    env['AWS_ACCESS_KEY_ID'] ||
      env['AWS_PROFILE'] ||
      env['AWS_WEB_IDENTITY_TOKEN_FILE'] ||
      env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] ||
      env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'],
  );
}

/** The flags that pick a table (read by {@link resolveTableTarget}): every table CLI declares these. */
export const TABLE_TARGET_OPTIONS = {
  table: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
} as const;

/** The AWS CLI's spelling of `--endpoint`, accepted too. */
export const TABLE_TARGET_ALIASES = { 'endpoint-url': 'endpoint' } as const;

/** `--help` lines of {@link TABLE_TARGET_OPTIONS}. */
export const TABLE_TARGET_HELP = {
  table: `the profiles table (default: TableName from cdk-outputs.json, else ${DEFAULT_TABLE_NAME})`,
  region: 'an AWS region: use the deployed table there (default: Region from cdk-outputs.json)',
  endpoint: `a DynamoDB endpoint (also --endpoint-url); default: the running twin's, else ${DEFAULT_LOCAL_ENDPOINT}`,
} as const;

/** Resolves the table a CLI works on from its flags, `cdk-outputs.json` and defaults. */
export function resolveTableTarget(
  flags: { table?: string | undefined; region?: string | undefined; endpoint?: string | undefined },
  outputs: StackOutputs | undefined = readStackOutputs(),
  env: NodeJS.ProcessEnv = process.env,
): TableTarget {
  const table = flags.table?.trim();
  if (flags.table !== undefined && !table) throw new UsageError('--table must not be empty');
  if (flags.region !== undefined && !flags.region.trim()) throw new UsageError('--region must not be empty');
  const local = flags.endpoint !== undefined || (outputs === undefined && flags.region === undefined);
  if (local) {
    const twin = flags.endpoint === undefined ? localTwin() : undefined;
    const endpoint = flags.endpoint ?? twin?.dynamodb ?? DEFAULT_LOCAL_ENDPOINT;
    if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
      throw new UsageError(`--endpoint must be an http(s) URL, got "${endpoint}"`);
    }
    const region = flags.region ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || LOCAL_AWS.region);
    return {
      tableName: table ?? twin?.table ?? DEFAULT_TABLE_NAME,
      endpoint,
      where: endpoint,
      clientConfig: {
        endpoint,
        region,
        maxAttempts: 2,
        ...(hasAwsCredentials(env) ? {} : { credentials: LOCAL_AWS.credentials }),
      },
    };
  }
  const tableName = table ?? outputs?.TableName;
  if (!tableName) throw new UsageError('cdk-outputs.json names no TableName: pass --table NAME');
  const region = flags.region ?? outputs?.Region;
  return {
    tableName,
    where: `AWS ${region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? '(default region)'}`,
    clientConfig: region ? { region } : {},
  };
}

/** A failed call on the table as one line (see `aws-errors.ts`). */
export function describeTableError(error: unknown, target: TableTarget) {
  const call: AwsCallTarget = {
    what: `table ${target.tableName}`,
    where: target.where,
    service: 'DynamoDB',
    notFound: ResourceNotFoundException,
    local: target.endpoint !== undefined,
  };
  return describeAwsError(error, call);
}
