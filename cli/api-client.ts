/**
 * Reaching the operator API from the CLIs (`alarm`, `history`) and the
 * dashboard's forwarder: the local twin's, or the deployed one, signed with
 * SigV4 (service `execute-api`) using the user's credentials from the
 * standard provider chain. The deployed API records the signer's IAM ARN as
 * who acted; the twin records `local`.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { OUTPUTS_FILE, STACK_OUTPUT } from '../contract/index.ts';
import { DEFAULT_HTTP_PORT } from '../twin/paths.ts';
import { CliError, localTwin, readStackOutputs, UsageError } from './kit.ts';

export const FORWARD_TIMEOUT_MS = 10_000;
const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])$/i;

/** Where API calls go; `region` set: signed for that region. */
export interface ApiTarget {
  readonly url: URL;
  readonly what: string;
  readonly region?: string;
}

/** How the API CLIs pick their target, for their `--help`. */
export const API_TARGET_RULE =
  'Target: the running local twin (npm run local, whatever its state folder and ports; else http://127.0.0.1:8080) by default. The deployed ' +
  `API instead when ${OUTPUTS_FILE} (written by npm run deploy) is in the current folder; --api-url always wins.`;

export const API_TARGET_OPTIONS = { 'api-url': { type: 'string' }, region: { type: 'string' } } as const;

export const API_TARGET_HELP = {
  'api-url': 'the API to use, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com or the twin http://127.0.0.1:8080',
  region: "region to sign for (default: from the API's host name, cdk-outputs.json or AWS_REGION)",
} as const;

/** A target from a URL: loopback is the twin (not signed); anything else must be https and is signed. */
export function apiTargetOf(text: string, from: string, region: string | undefined): ApiTarget {
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol))
    throw new UsageError(`${from} must be an http(s) URL, got "${text}"`);
  const url = new URL(text);
  if (url.search || url.hash || url.username)
    throw new UsageError(`${from} must be a base URL without query, fragment or user, got "${text}"`);
  if (LOOPBACK.test(url.hostname)) return { url, what: `the API at ${url.origin}` };
  if (url.protocol !== 'https:') throw new UsageError(`${from}: a deployed API is reached over https, got "${text}"`);
  const signFor =
    region ??
    /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1] ??
    (process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION']);
  if (!signFor) throw new UsageError(`cannot tell the region of ${url.host} from its name: pass --region R`);
  return { url, what: `the deployed API at ${url.origin} (${signFor}, signed with SigV4)`, region: signFor };
}

/** The deployed API from the stack's outputs, or undefined when there are none; an outputs file without the API is an error. */
export function stackApiTarget(region: string | undefined, required: boolean): ApiTarget | undefined {
  const outputs = readStackOutputs();
  if (outputs === undefined) {
    if (required) throw new UsageError(`--stack reads ${OUTPUTS_FILE} (written by npm run deploy); there is none in this folder`);
    return undefined;
  }
  const url = outputs[STACK_OUTPUT.apiUrl];
  if (!url) throw new UsageError(`${OUTPUTS_FILE} names no ${STACK_OUTPUT.apiUrl}: deploy the current stack, or pass --api-url URL`);
  return apiTargetOf(url, `${STACK_OUTPUT.apiUrl} in ${OUTPUTS_FILE}`, region ?? outputs.Region);
}

/** The running twin's API (through its discovery file), else the default port. */
export function twinApiTarget(): ApiTarget {
  const http = localTwin()?.http ?? `http://127.0.0.1:${DEFAULT_HTTP_PORT}`;
  return { url: new URL(http), what: `the local twin at ${http}` };
}

/** The target by {@link API_TARGET_RULE}. */
export function resolveApiTarget(values: { 'api-url'?: string; region?: string }): ApiTarget {
  const region = values.region?.trim();
  if (values.region !== undefined && !region) throw new UsageError('--region must not be empty');
  if (values['api-url'] !== undefined) return apiTargetOf(values['api-url'], '--api-url', region);
  return stackApiTarget(region, false) ?? twinApiTarget();
}

/** A failed call as one line: what went wrong, in words, with no stack. */
export function describeApiFailure(error: unknown, target: ApiTarget): string {
  const err = error as Error & { cause?: { code?: string } };
  if (err.name === 'CredentialsProviderError') return `no AWS credentials to sign with (${err.message.split('\n')[0]})`;
  if (err.name === 'TimeoutError') return `${target.what} did not answer within ${FORWARD_TIMEOUT_MS / 1000} s`;
  const code = err.cause?.code;
  const reason = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'unknown host' : (code ?? err.message);
  return `cannot reach ${target.what} (${reason})`;
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/** Sends one request to the target's API (`path` from `/api/...`), signed when the target is deployed. */
export function apiSender(target: ApiTarget) {
  const signer =
    target.region === undefined
      ? undefined
      : new SignatureV4({ service: 'execute-api', region: target.region, credentials: defaultProvider(), sha256: Sha256 });
  const basePath = target.url.pathname.replace(/\/+$/, '');
  return async (method: string, pathAndQuery: string, body?: string, contentType?: string): Promise<Response> => {
    const url = new URL(`${basePath}${pathAndQuery}`, target.url.origin);
    const headers: Record<string, string> = { accept: 'application/json', host: url.host };
    if (contentType !== undefined) headers['content-type'] = contentType;
    const signed = signer
      ? (
          await signer.sign({
            method,
            protocol: url.protocol,
            hostname: url.hostname,
            path: url.pathname,
            query: queryOf(url),
            headers,
            ...(body === undefined ? {} : { body }),
          })
        ).headers
      : headers;
    // fetch sets Host from the URL itself, the same value that was signed.
    const { host: _host, ...send } = signed;
    return fetch(url, {
      method,
      headers: send,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
  };
}

/**
 * Calls the API and returns its JSON on success. Bad input (400) becomes a
 * {@link UsageError} (exit 2), another refusal (404, 409) or failure a
 * {@link CliError} (exit 1), each with the API's one-line reason.
 */
export async function callApi<T>(target: ApiTarget, method: string, pathAndQuery: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await apiSender(target)(
      method,
      pathAndQuery,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? undefined : 'application/json',
    );
  } catch (error) {
    throw new CliError(describeApiFailure(error, target));
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok) return json as T;
  const said = (json as { error?: unknown; message?: unknown } | undefined) ?? {};
  const reason = typeof said.error === 'string' ? said.error : typeof said.message === 'string' ? said.message : text.slice(0, 200);
  const line = reason.replace(/\s+/g, ' ') || `${target.what} answered ${response.status}`;
  // The API refusing the input itself is bad input (exit 2); anything else it refused, or failed, exits 1.
  throw response.status === 400 ? new UsageError(line) : new CliError(line);
}
