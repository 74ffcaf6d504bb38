/**
 * How every function of the stack is made (the detector, the sweep, the
 * operator API): bundled with esbuild from one entry file with the one
 * bundling definition in `lambda/bundling.ts`, on nodejs22.x and arm64, with
 * an explicit role (no AWSLambdaBasicExecutionRole: logs go only to the
 * function's own log group) and the environment the function reads.
 */
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, type Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { DETECTOR_BUNDLE, DETECTOR_EXTERNALS, DETECTOR_HANDLER } from '../lambda/bundling.ts';

/**
 * The repository's lock file, named rather than searched for from the working
 * folder: the twin synthesizes the stack in whatever folder a CLI runs in
 * (`twin/cloud-template.ts`).
 */
const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

export interface BundledFunctionOptions {
  /** The entry file (one of `lambda/bundling.ts`'s). */
  readonly entry: string;
  readonly description: string;
  /** What the role is for (its description). */
  readonly roleDescription: string;
  readonly memorySizeMb: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly tracing: Tracing;
  /** @default - no reserved concurrency */
  readonly reservedConcurrency?: number;
  /** Asynchronous invocation settings and the like. */
  readonly extra?: Pick<NodejsFunctionProps, 'retryAttempts' | 'maxEventAge' | 'onFailure'>;
}

/** The function, its log group and its role, made in `scope` as `Function`, `LogGroup` and `Role`. */
export function createBundledFunction(
  scope: Construct,
  options: BundledFunctionOptions,
): { function: NodejsFunction; logGroup: LogGroup; role: Role } {
  const logGroup = new LogGroup(scope, 'LogGroup', { retention: options.logRetention, removalPolicy: RemovalPolicy.DESTROY });
  const role = new Role(scope, 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: options.roleDescription,
  });
  const fn = new NodejsFunction(scope, 'Function', {
    description: options.description,
    entry: options.entry,
    depsLockFilePath: LOCK_FILE,
    handler: DETECTOR_HANDLER,
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: options.memorySizeMb,
    timeout: options.timeout,
    role,
    logGroup,
    tracing: options.tracing,
    environment: options.environment,
    bundling: {
      forceDockerBundling: false,
      format: DETECTOR_BUNDLE.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
      target: DETECTOR_BUNDLE.target,
      minify: DETECTOR_BUNDLE.minify,
      sourceMap: DETECTOR_BUNDLE.sourcemap,
      banner: DETECTOR_BUNDLE.banner,
      mainFields: [...DETECTOR_BUNDLE.mainFields],
      externalModules: [...DETECTOR_EXTERNALS],
    },
    ...(options.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: options.reservedConcurrency } : {}),
    ...options.extra,
  });
  role.addToPrincipalPolicy(
    new PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  const pinnedRuntime =
    'Pinned to nodejs22.x on purpose: the bundle targets node22 (lambda/bundling.ts) and relies on the AWS SDK v3 ' +
    'that this runtime ships; a runtime upgrade is a deliberate change together with that target.';
  Validations.of(fn).acknowledge(
    { id: 'AwsSolutions-L1', reason: pinnedRuntime },
    { id: 'Serverless-LambdaLatestVersion', reason: pinnedRuntime },
  );
  return { function: fn, logGroup, role };
}
