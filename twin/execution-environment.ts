/**
 * One execution environment of the twin's Lambda service: a worker thread
 * that loads the function bundle (module scope runs once: a cold start) and
 * runs one invocation at a time, with its own `process.env` and module state.
 * What it writes is handed to `onLog` line by line, as CloudWatch Logs would
 * receive it; an invocation completes only once its REPORT line has been
 * read, so its log is complete when its promise settles.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DETECTOR_FUNCTION, defaultLogGroupName } from '../contract/index.ts';
import type { BootstrapData, FromWorker, SerializedError, ToWorker } from './lambda-bootstrap.ts';
import type { FunctionBundle } from './lambda-bundle.ts';
import { JsonEvent } from './rule.ts';

export type { SerializedError };

/** How one invocation ended. */
export type InvokeOutcome =
  | { readonly ok: true; readonly value: unknown; readonly durationMs: number; readonly coldStart: boolean }
  | { readonly ok: false; readonly error: SerializedError; readonly durationMs: number; readonly coldStart: boolean };

/** What an execution environment runs: the function as configured. */
export interface EnvironmentOptions {
  readonly bundle: FunctionBundle;
  /** The function's environment variables (its whole `process.env`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly functionName: string;
  readonly functionArn: string;
  /** The function's memory size (also the worker's heap limit). @default DETECTOR_FUNCTION.memorySizeMb */
  readonly memorySizeMb?: number | undefined;
  /** Receives every log line, in order per environment. */
  readonly onLog?: (line: string) => void;
}

/** The runtime could not create an execution environment (init failed). */
export class FunctionInitError extends Error {
  override readonly name = 'FunctionInitError';
  constructor(readonly error: SerializedError) {
    super(`the function failed to initialise: ${error.errorType}: ${error.errorMessage}`);
  }
}

interface Pending {
  readonly requestId: string;
  readonly started: number;
  readonly coldStart: boolean;
  result?: Extract<FromWorker, { type: 'result' }>;
  reported: boolean;
  timer?: NodeJS.Timeout;
  settle(outcome: InvokeOutcome): void;
}

let environmentCounter = 0;

/** One execution environment: a worker thread hosting the function. */
export class ExecutionEnvironment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  dead = false;
  busy = false;
  invocations = 0;
  private pending: Pending | undefined;
  private partial = '';
  /** Partial line of what an invocation sent over the message port (see `lambda-bootstrap.ts`). */
  private partialPort = '';

  constructor(
    private readonly options: EnvironmentOptions,
    private readonly onDead: (env: ExecutionEnvironment) => void,
  ) {
    environmentCounter += 1;
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
    const data: BootstrapData = {
      handlerFile: options.bundle.handlerFile,
      handlerName: options.bundle.handlerName,
      functionName: options.functionName,
      functionVersion: '$LATEST',
      functionArn: options.functionArn,
      memorySizeMb: options.memorySizeMb ?? DETECTOR_FUNCTION.memorySizeMb,
      logGroupName: defaultLogGroupName(options.functionName),
      logStreamName: `${day}/[$LATEST]local${process.pid}x${environmentCounter}`,
      runtimeVersion: `nodejs:${process.versions.node.split('.')[0]}.local`,
    };
    this.worker = new Worker(options.bundle.bootstrapFile, {
      workerData: data,
      env: { ...options.environment },
      // A plain Node.js runtime: no loaders or flags of the parent process.
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: options.memorySizeMb ?? DETECTOR_FUNCTION.memorySizeMb },
    });
    this.worker.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onOutput(chunk));
    this.worker.stderr.setEncoding('utf8').on('data', (chunk: string) => this.onOutput(chunk));

    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error') {
          reject(new FunctionInitError(message.error));
          this.discard();
        } else if (message.type === 'log') {
          this.onInvocationOutput(message.text);
        } else if (message.type === 'result') {
          // The invocation's log, REPORT line included, comes with its result.
          this.onInvocationOutput(message.log);
          if (this.pending?.requestId === message.requestId) {
            this.pending.result = message;
            this.maybeComplete();
          }
        }
      });
      this.worker.on('error', (error) => {
        const serialized = {
          errorType: 'Runtime.ExitError',
          errorMessage: `${error.name}: ${error.message}`,
          trace: (error.stack ?? '').split('\n'),
        };
        reject(new FunctionInitError(serialized));
        this.fail(serialized);
      });
      this.worker.on('exit', (code) => {
        const serialized = {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${this.pending?.requestId ?? '-'} Error: Runtime exited with error: exit status ${code}`,
          trace: [],
        };
        reject(new FunctionInitError(serialized));
        this.fail(serialized);
      });
    });
    this.ready.catch(() => undefined);
  }

  /** The worker's stdout and stderr (init, writes outside invocations). */
  private onOutput(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    this.onLines(lines);
  }

  /** What an invocation wrote, passed over the message port. */
  private onInvocationOutput(chunk: string): void {
    if (chunk.length === 0) return;
    const text = this.partialPort + chunk;
    const lines = text.split('\n');
    this.partialPort = lines.pop() ?? '';
    this.onLines(lines);
  }

  private onLines(lines: readonly string[]): void {
    for (const line of lines) {
      if (line.length === 0) continue;
      this.options.onLog?.(line);
      if (this.pending && line.startsWith(`REPORT RequestId: ${this.pending.requestId}\t`)) {
        this.pending.reported = true;
        this.maybeComplete();
      }
    }
  }

  private maybeComplete(): void {
    const pending = this.pending;
    if (!pending?.result || !pending.reported) return;
    const { result } = pending;
    const base = { durationMs: result.durationMs, coldStart: pending.coldStart };
    pending.settle(result.ok ? { ok: true, value: result.value, ...base } : { ok: false, error: result.error, ...base });
  }

  /** The environment died (crash, exit, timeout): the invocation in it fails. */
  private fail(error: SerializedError): void {
    if (this.pending) {
      const pending = this.pending;
      if (this.partial) this.options.onLog?.(this.partial);
      if (this.partialPort) this.options.onLog?.(this.partialPort);
      this.partial = '';
      this.partialPort = '';
      this.options.onLog?.(`END RequestId: ${pending.requestId}`);
      const durationMs = performance.now() - pending.started;
      this.options.onLog?.(
        `REPORT RequestId: ${pending.requestId}\tDuration: ${durationMs.toFixed(2)} ms\tStatus: error\tError Type: ${error.errorType}`,
      );
      pending.settle({ ok: false, error, durationMs, coldStart: pending.coldStart });
    }
    this.discard();
  }

  discard(): void {
    if (this.dead) return;
    this.dead = true;
    this.onDead(this);
    void this.worker.terminate();
  }

  invoke(requestId: string, event: unknown, timeoutMs: number): Promise<InvokeOutcome> {
    return new Promise<InvokeOutcome>((resolve) => {
      const pending: Pending = {
        requestId,
        started: performance.now(),
        coldStart: this.invocations === 0,
        reported: false,
        settle: (outcome) => {
          if (this.pending !== pending) return;
          clearTimeout(pending.timer);
          this.pending = undefined;
          resolve(outcome);
        },
      };
      this.pending = pending;
      this.invocations += 1;
      pending.timer = setTimeout(() => {
        this.options.onLog?.(`${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
        this.fail({
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          trace: [],
        });
      }, timeoutMs);
      const deadlineMs = Date.now() + timeoutMs;
      const message: ToWorker =
        event instanceof JsonEvent
          ? { type: 'invoke', requestId, event: undefined, eventJson: event.json, deadlineMs }
          : { type: 'invoke', requestId, event, deadlineMs };
      this.worker.postMessage(message);
    });
  }
}
