/**
 * The Lambda runtime inside one execution environment of the local twin (a
 * worker thread): imports the bundled function (its module scope runs once,
 * as on a cold start), then runs one invocation at a time and writes the
 * platform's START / END / REPORT lines around each, as Lambda writes them to
 * CloudWatch. Built by esbuild next to the function bundle; never imported by
 * the twin itself.
 *
 * Protocol with the parent (`execution-environment.ts`):
 * - worker -> parent `{ type: 'ready', initDurationMs }` or `{ type: 'init-error', error }`;
 * - parent -> worker `{ type: 'invoke', requestId, event, deadlineMs }`;
 * - worker -> parent `{ type: 'log', text }`: what a running invocation wrote so far (long invocations);
 * - worker -> parent `{ type: 'result', requestId, ok, value | error, log }`: `log` is the rest of what the
 *   invocation wrote, up to and including its REPORT line.
 * Lines written outside an invocation (init, stray asynchronous writes) are sent as `log` at once.
 * Every line goes over this one port, so the parent reads them all in the order they were written.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';

export interface BootstrapData {
  readonly handlerFile: string;
  readonly handlerName: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly functionArn: string;
  readonly memorySizeMb: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly runtimeVersion: string;
}

export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** An invocation; `eventJson`, when given, is the event as JSON text, parsed here as Lambda's runtime parses it. */
export type ToWorker = { type: 'invoke'; requestId: string; event: unknown; eventJson?: string; deadlineMs: number };
export type FromWorker =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'log'; text: string }
  | { type: 'result'; requestId: string; ok: true; value: unknown; durationMs: number; log: string }
  | { type: 'result'; requestId: string; ok: false; error: SerializedError; durationMs: number; log: string };

type Handler = (event: unknown, context: object) => Promise<unknown>;

function serialize(error: unknown): SerializedError {
  const err = error instanceof Error ? error : new Error(String(error));
  return { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
}

const port = parentPort;
if (!port) throw new Error('lambda-bootstrap runs in a worker thread only');
const data = workerData as BootstrapData;
const post = (message: FromWorker) => port.postMessage(message);

// Lambda sends stdout and stderr to the same log stream: one ordered stream here too,
// so that every line of an invocation is read before its REPORT line. What an
// invocation writes is passed on in one piece with its result, on the same port (so in
// order), or every 100 ms / 64 KB while it runs: one message between threads per
// invocation instead of one per line, and no stdout stream on either side.
let collected: string[] | undefined;
let collectedLength = 0;
let flushTimer: NodeJS.Timeout | undefined;
/** What the running invocation wrote and has not been passed on yet. */
function take(): string {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (collected === undefined || collected.length === 0) return '';
  const text = collected.length === 1 ? collected[0]! : collected.join('');
  collected = [];
  collectedLength = 0;
  return text;
}
function flush(): void {
  const text = take();
  if (text.length > 0) post({ type: 'log', text });
}
function collect(chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (collected === undefined) {
    post({ type: 'log', text });
  } else {
    collected.push(text);
    collectedLength += text.length;
    if (collectedLength > 64 * 1024) flush();
    else flushTimer ??= setTimeout(flush, 100);
  }
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
  return true;
}
process.stdout.write = collect as typeof process.stdout.write;
process.stderr.write = collect as typeof process.stderr.write;

// A worker thread takes no NODE_OPTIONS: honour the one the function's configuration sets.
if (process.env['NODE_OPTIONS']?.includes('--enable-source-maps')) process.setSourceMapsEnabled(true);

const write = (line: string) => process.stdout.write(`${line}\n`);

write(`INIT_START Runtime Version: ${data.runtimeVersion}\tRuntime Version ARN: local`);
const initStarted = performance.now();
let handler: Handler | undefined;
try {
  const module = (await import(pathToFileURL(data.handlerFile).href)) as Record<string, unknown>;
  const exported = module[data.handlerName];
  if (typeof exported !== 'function') {
    throw Object.assign(new Error(`${data.handlerFile} does not export a function named ${data.handlerName}`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  handler = exported as Handler;
} catch (error) {
  // The parent discards this environment when it reads the message.
  const serialized = serialize(error);
  write(`${new Date().toISOString()}\tundefined\tERROR\tInit Error \t${JSON.stringify(serialized)}`);
  post({ type: 'init-error', error: serialized });
}
const initDurationMs = performance.now() - initStarted;
let coldInvocation = true;

async function invoke({ requestId, event: given, eventJson, deadlineMs }: ToWorker): Promise<void> {
  collected = [];
  write(`START RequestId: ${requestId} Version: ${data.functionVersion}`);
  const context = {
    awsRequestId: requestId,
    functionName: data.functionName,
    functionVersion: data.functionVersion,
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memorySizeMb),
    logGroupName: data.logGroupName,
    logStreamName: data.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  const started = performance.now();
  let outcome: { ok: true; value: unknown } | { ok: false; error: SerializedError };
  try {
    const event = eventJson === undefined ? given : JSON.parse(eventJson);
    outcome = { ok: true, value: await handler!(event, context) };
  } catch (error) {
    const serialized = serialize(error);
    write(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(serialized)}`);
    outcome = { ok: false, error: serialized };
  }
  const durationMs = performance.now() - started;
  const usedMb = Math.ceil(getHeapStatistics().used_heap_size / 2 ** 20);
  write(`END RequestId: ${requestId}`);
  write(
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
      `Memory Size: ${data.memorySizeMb} MB\tMax Memory Used: ${usedMb} MB` +
      (coldInvocation ? `\tInit Duration: ${initDurationMs.toFixed(2)} ms` : ''),
  );
  coldInvocation = false;
  const log = take();
  collected = undefined;
  post(
    outcome.ok ? { type: 'result', requestId, durationMs, log, ...outcome } : { type: 'result', requestId, durationMs, log, ...outcome },
  );
}

if (handler) {
  port.on('message', (message: ToWorker) => {
    if (message.type === 'invoke') void invoke(message);
  });
  post({ type: 'ready', initDurationMs });
}
