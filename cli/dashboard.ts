/**
 * `npm run dashboard`: serves the operator dashboard on 127.0.0.1 and
 * forwards the page's API calls to the local twin or to the deployed API.
 * Calls to the deployed API are signed here with the user's AWS credentials
 * (SigV4, service `execute-api`, the standard provider chain): the page only
 * ever sees the API's answers, never a credential or a signature.
 */
import { type ApiTarget, apiSender, apiTargetOf, describeApiFailure, stackApiTarget, twinApiTarget } from './api-client.ts';
import { CliError, intOption, runCli, UsageError } from './kit.ts';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { OUTPUTS_FILE, STACK_OUTPUT } from '../contract/index.ts';
import { type ApiFetch, dashboardServer } from '../dashboard/serve.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../lambda/api/app.ts';
import { listen } from '../twin/listen.ts';

const DEFAULT_PORT = 8081;

const spec = {
  usage: 'npm run dashboard -- [--port N] [--stack | --api-url URL] [--region R]',
  summary:
    'Serves the operator dashboard on http://127.0.0.1:PORT and forwards its API calls: by default to the running local twin ' +
    '(npm run local), with --stack to the deployed API named in cdk-outputs.json, or to --api-url. Calls to a deployed API are ' +
    'signed with your AWS credentials (SigV4, from the standard provider chain: environment, profile, SSO, instance role); the page ' +
    'never sees them. Ctrl-C stops it.',
  targetRule:
    'Target: the running local twin (whatever its state folder and ports; else http://127.0.0.1:8080) unless --stack or --api-url says otherwise. ' +
    'Unlike the table CLIs, a cdk-outputs.json in the folder does not switch it to AWS: --stack does.',
  options: {
    port: { type: 'string', short: 'p' },
    stack: { type: 'boolean' },
    'api-url': { type: 'string' },
    region: { type: 'string' },
  },
  help: {
    port: `port to serve the page on, on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)`,
    stack: `use the deployed API: ${STACK_OUTPUT.apiUrl} from ${OUTPUTS_FILE} (written by npm run deploy)`,
    'api-url': 'the API to use, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com (a loopback URL is not signed)',
    region: "region to sign for (default: from the API's host name, cdk-outputs.json or AWS_REGION)",
  },
} as const;

type Values = { port?: string; stack?: boolean; 'api-url'?: string; region?: string };

/** The API to forward to, by the rule in `spec.targetRule`. */
function resolveTarget(values: Values): ApiTarget {
  const region = values.region?.trim();
  if (values.region !== undefined && !region) throw new UsageError('--region must not be empty');
  if (values.stack && values['api-url'] !== undefined) throw new UsageError('choose --stack or --api-url, not both');
  if (values['api-url'] !== undefined) return apiTargetOf(values['api-url'], '--api-url', region);
  if (values.stack) return stackApiTarget(region, true) as ApiTarget;
  return twinApiTarget();
}

const jsonError = (status: number, error: string) =>
  new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

/** The API's answer as the page expects it: its own JSON, or a gateway's refusal (`{"message": ...}`) as `{"error": ...}`. */
async function relay(response: Response): Promise<Response> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const own = typeof body === 'object' && body !== null && (response.ok || typeof (body as { error?: unknown }).error === 'string');
  if (own) {
    return new Response(text, { status: response.status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  const said = typeof message === 'string' ? message : text.slice(0, 200) || response.statusText;
  return jsonError(response.ok ? 502 : response.status, `the API answered ${response.status}: ${said.replace(/\s+/g, ' ')}`);
}

/** Forwards each `/api/*` request to `target`, signed when it is a deployed API; failures are logged once each on stderr. */
function forwarder(target: ApiTarget): ApiFetch {
  const send = apiSender(target);
  let lastLogged = '';
  return async (request) => {
    const incoming = new URL(request.url);
    const method = request.method;
    let body: string | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      body = (await request.text()) || undefined;
      if (body !== undefined && Buffer.byteLength(body) > DEFAULT_MAX_BODY_BYTES)
        return jsonError(413, `the body is over the ${DEFAULT_MAX_BODY_BYTES}-byte limit`);
    }
    try {
      const response = await send(method, `${incoming.pathname}${incoming.search}`, body, request.headers.get('content-type') ?? undefined);
      lastLogged = '';
      return await relay(response);
    } catch (error) {
      const line = describeApiFailure(error, target);
      if (line !== lastLogged) process.stderr.write(`npm run dashboard: ${line}\n`);
      lastLogged = line;
      return jsonError(502, line);
    }
  };
}

await runCli(spec, async (values) => {
  const port = intOption('port', values.port, { min: 0, max: 65_535 }) ?? DEFAULT_PORT;
  const target = resolveTarget(values);
  const forward = forwarder(target);
  // Node's own Request and Response stay in place for the SDK and fetch used here.
  const server = createAdaptorServer({ fetch: dashboardServer(forward).fetch, overrideGlobalObjects: false }) as Server;
  const bound = await listen(server, { host: '127.0.0.1', port }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE' ? new CliError(`port ${port} on 127.0.0.1 is in use: pass --port N`) : error;
  });
  process.stdout.write(`dashboard: http://127.0.0.1:${bound.port}/ (API: ${target.what}); Ctrl-C to stop\n`);
  const health = await forward(new Request(`http://127.0.0.1:${bound.port}/api/health`));
  if (health.status !== 200) {
    const { error } = (await health.json().catch(() => ({}))) as { error?: string };
    process.stderr.write(`note: GET /api/health answered ${health.status}${error ? `: ${error}` : ''}; the page retries every second\n`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
