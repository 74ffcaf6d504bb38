/**
 * AWS SDK errors as one line a user can act on: the one place the CLIs turn
 * a failed AWS call (or an unreachable local endpoint) into a message.
 */
import { CliError } from './kit.ts';

/** What the failed call was about, for the message. */
export interface AwsCallTarget {
  /** e.g. `table PrinterProfiles`, `log group /aws/lambda/x`. */
  readonly what: string;
  /** Where: an endpoint URL or `AWS <region>`. */
  readonly where: string;
  /** The service, for "cannot reach DynamoDB at ...". */
  readonly service?: string;
  /** The client's own "not found" exception class (each SDK client has its own). */
  readonly notFound?: abstract new (
    ...args: never[]
  ) => Error;
  /** Set when `where` is a local endpoint: a refused connection then suggests starting the twin. */
  readonly local?: boolean;
  /** What to try instead when there are no credentials. @default 'pass --endpoint-url for the local twin' */
  readonly withoutCredentials?: string;
}

/** The first line of an error's message. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** `Name: first line of the message`. */
export function errorLine(error: unknown): string {
  return `${error instanceof Error ? error.name : 'Error'}: ${firstLine(error)}`;
}

function networkCode(error: unknown): string | undefined {
  const err = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = err?.code ?? err?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An AWS SDK error as a {@link CliError} with one line a user can act on. */
export function describeAwsError(error: unknown, target: AwsCallTarget): CliError {
  const message = firstLine(error);
  const code = networkCode(error);
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return new CliError(
      `cannot reach ${target.service ? `${target.service} at ` : ''}${target.where}${target.local ? ' (is the local twin running? npm run local)' : ''}`,
    );
  }
  if (code === 'EPROTO' || /wrong version number|EPROTO/i.test(message)) {
    return new CliError(`${target.where} does not speak TLS: use http:// for the local twin`);
  }
  if (target.notFound && error instanceof target.notFound) return new CliError(`${target.what} not found at ${target.where}`);
  // The credential provider chain's error class lives in a module the CLIs do not import; its name is its contract.
  if ((error instanceof Error && error.name === 'CredentialsProviderError') || /credential/i.test(message)) {
    return new CliError(
      `no AWS credentials found (${message}); configure them, or ${target.withoutCredentials ?? 'pass --endpoint-url for the local twin'}`,
    );
  }
  if (/region is missing/i.test(message)) return new CliError('no AWS region: pass --region or set AWS_REGION');
  return new CliError(`${errorLine(error)} (${target.what} at ${target.where})`);
}
