/**
 * The detector function as the twin's Lambda service runs it: its name and
 * ARN, its settings (the stack's, from `DETECTOR_FUNCTION`, unless a test
 * overrides them), its environment (what the Lambda service sets for every
 * function, then the function's own environment exactly as the stack sets it,
 * pointing its unchanged AWS clients at the twin), and its start: the bundle
 * built as deployed, one execution environment warmed.
 */
import {
  DETECTOR_FUNCTION,
  defaultLogGroupName,
  detectorEnvironment,
  type DetectorEnvironmentSettings,
  SERVICE_NAME,
} from '../contract/index.ts';
import { LOCAL_AWS } from './dynamodb.ts';
import { TwinStartError } from './errors.ts';
import { buildFunctionBundle, type FunctionEntry } from './lambda-bundle.ts';
import { FunctionRuntime } from './lambda-runtime.ts';

/** The function's timeout as the stack deploys it, in milliseconds. */
export const FUNCTION_TIMEOUT_MS = DETECTOR_FUNCTION.timeoutSeconds * 1000;

/** The function the twin runs. */
export interface LocalFunction {
  readonly functionName: string;
  readonly functionArn: string;
  readonly region: string;
  readonly memorySizeMb: number;
  readonly timeoutMs: number;
  /** Retries of a failed asynchronous invocation. */
  readonly retryAttempts: number;
}

/**
 * The twin's function: the stack's settings, each one overridable (tests
 * shorten the timeout or the retries). Stream ingest's is named apart, as the
 * stack deploys a function of its own for the stream.
 */
export function localFunction(overrides: {
  readonly memorySizeMb?: number | undefined;
  readonly functionTimeoutMs?: number | undefined;
  readonly retryAttempts?: number | undefined;
  readonly ingest?: 'direct' | 'stream' | undefined;
}): LocalFunction {
  const region = LOCAL_AWS.region;
  const functionName = overrides.ingest === 'stream' ? `${SERVICE_NAME}-stream-local` : `${SERVICE_NAME}-local`;
  return {
    functionName,
    // A made-up account: the ARN only names the function in dead-letter records.
    functionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    region,
    memorySizeMb: overrides.memorySizeMb ?? DETECTOR_FUNCTION.memorySizeMb,
    timeoutMs: overrides.functionTimeoutMs ?? FUNCTION_TIMEOUT_MS,
    retryAttempts: overrides.retryAttempts ?? DETECTOR_FUNCTION.retryAttempts,
  };
}

/** What the function's environment is built from: the stack's settings, plus what only the twin adds. */
export interface FunctionEnvironmentSettings extends DetectorEnvironmentSettings {
  /** The access key id that names the function's execution role on the twin (`iam.ts`). @default the local key */
  readonly accessKeyId?: string | undefined;
  /** Extra (or overriding) variables, set last. */
  readonly extra?: Readonly<Record<string, string>> | undefined;
}

/** The function's whole `process.env` in each execution environment; `taskRoot` is the bundle's folder. */
export function functionEnvironment(fn: LocalFunction, taskRoot: string, settings: FunctionEnvironmentSettings): Record<string, string> {
  const { extra, accessKeyId, ...detector } = settings;
  return {
    // What the Lambda service sets for every function.
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_ACCESS_KEY_ID: accessKeyId ?? LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_LOG_GROUP_NAME: defaultLogGroupName(fn.functionName),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${DETECTOR_FUNCTION.runtime}`,
    LAMBDA_TASK_ROOT: taskRoot,
    // The function's own environment, as the stack sets it.
    ...detectorEnvironment(detector),
    // The bundle targets the deployed runtime (`DETECTOR_FUNCTION.runtime`): the SDK's notice about older Node.js versions is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/**
 * Builds the bundle of `entry` (the detector unless said) and starts the
 * function's Lambda service with one warm execution environment; a function
 * that cannot initialise rejects with a `TwinStartError`.
 */
export async function startFunction(
  fn: LocalFunction,
  settings: FunctionEnvironmentSettings,
  options: { readonly concurrency?: number | undefined; readonly onLog: (line: string) => void; readonly entry?: FunctionEntry },
): Promise<FunctionRuntime> {
  const bundle = await buildFunctionBundle(undefined, options.entry);
  const runtime = new FunctionRuntime({
    bundle,
    environment: functionEnvironment(fn, bundle.dir, settings),
    functionName: fn.functionName,
    functionArn: fn.functionArn,
    concurrency: options.concurrency,
    timeoutMs: fn.timeoutMs,
    memorySizeMb: fn.memorySizeMb,
    onLog: options.onLog,
  });
  try {
    await runtime.warm();
    return runtime;
  } catch (error) {
    await runtime.close();
    throw new TwinStartError((error as Error).message);
  }
}
