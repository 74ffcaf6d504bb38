/**
 * The twin's Lambda service for one function: a pool of execution
 * environments, each a worker thread that loads the function bundle (module
 * scope runs once per environment: a cold start) and runs one invocation at a
 * time, as Lambda does. Environments are created on demand up to a
 * concurrency limit and reused while warm. Each has its own `process.env`
 * (the function's environment) and module state, so twins in one process
 * never share state.
 *
 * Everything an environment writes to stdout/stderr (the handler's JSON log
 * lines, EMF metrics, the platform's START/END/REPORT lines) is handed to
 * `onLog` line by line, as CloudWatch Logs would receive it. An invocation
 * completes only once its REPORT line has been read, so its log is complete
 * when its promise settles.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { BootstrapData, FromWorker, SerializedError, ToWorker } from './lambda-bootstrap.ts';
import type { FunctionBundle } from './lambda-bundle.ts';

export type { SerializedError };

/** How one invocation ended. */
export type InvokeOutcome =
  | { readonly ok: true; readonly value: unknown; readonly durationMs: number; readonly coldStart: boolean }
  | { readonly ok: false; readonly error: SerializedError; readonly durationMs: number; readonly coldStart: boolean };

export interface FunctionRuntimeOptions {
  readonly bundle: FunctionBundle;
  /** The function's environment variables (its whole `process.env`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly functionName: string;
  readonly functionArn: string;
  /** Most execution environments at once. @default 4 */
  readonly concurrency?: number;
  /** The function's timeout. @default 10_000 */
  readonly timeoutMs?: number;
  /** The function's memory size (also the worker's heap limit). @default 256 */
  readonly memorySizeMb?: number;
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
class ExecutionEnvironment {
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
    private readonly options: FunctionRuntimeOptions,
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
      memorySizeMb: options.memorySizeMb ?? 256,
      logGroupName: `/aws/lambda/${options.functionName}`,
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
      resourceLimits: { maxOldGenerationSizeMb: options.memorySizeMb ?? 256 },
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
      const message: ToWorker = { type: 'invoke', requestId, event, deadlineMs: Date.now() + timeoutMs };
      this.worker.postMessage(message);
    });
  }
}

/** Statistics of the function's execution environments. */
export interface RuntimeStats {
  /** Environments created so far (each one a cold start). */
  readonly coldStarts: number;
  /** Environments alive now. */
  readonly environments: number;
}

/**
 * The function as the twin's Lambda service runs it. `invoke` waits for a
 * free environment (creating one while under the concurrency limit).
 */
export class FunctionRuntime {
  private readonly environments = new Set<ExecutionEnvironment>();
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly waiting: { resolve(env: ExecutionEnvironment): void; reject(error: unknown): void }[] = [];
  private coldStarts = 0;
  private closed = false;
  readonly concurrency: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: FunctionRuntimeOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  stats(): RuntimeStats {
    return { coldStarts: this.coldStarts, environments: this.environments.size };
  }

  /** Creates one environment ahead of the first invocation; rejects if the function cannot initialise. */
  async warm(): Promise<void> {
    const env = await this.create();
    this.release(env);
  }

  private async create(): Promise<ExecutionEnvironment> {
    this.coldStarts += 1;
    const env = new ExecutionEnvironment(this.options, (dead) => {
      this.environments.delete(dead);
      const index = this.idle.indexOf(dead);
      if (index >= 0) this.idle.splice(index, 1);
    });
    this.environments.add(env);
    await env.ready;
    return env;
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    const free = this.idle.pop();
    if (free) return free;
    if (this.environments.size < this.concurrency) return this.create();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(env: ExecutionEnvironment): void {
    env.busy = false;
    if (env.dead || this.closed) return;
    const next = this.waiting.shift();
    if (next) {
      env.busy = true;
      next.resolve(env);
    } else {
      this.idle.push(env);
    }
  }

  /** Invokes the function once with `event`; never rejects for a function error. */
  async invoke(requestId: string, event: unknown): Promise<InvokeOutcome> {
    if (this.closed) throw new Error('the function runtime is closed');
    let env: ExecutionEnvironment;
    const started = performance.now();
    try {
      env = await this.acquire();
    } catch (error) {
      const init =
        error instanceof FunctionInitError ? error.error : { errorType: 'Runtime.Unknown', errorMessage: String(error), trace: [] };
      this.options.onLog?.(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(init)}`);
      this.wakeWaiter();
      return { ok: false, error: init, durationMs: performance.now() - started, coldStart: true };
    }
    env.busy = true;
    try {
      return await env.invoke(requestId, event, this.timeoutMs);
    } finally {
      if (env.dead) this.wakeWaiter();
      else this.release(env);
    }
  }

  /** A dead environment frees a slot: a waiting invocation gets a new one. */
  private wakeWaiter(): void {
    if (this.closed || this.waiting.length === 0) return;
    if (this.environments.size >= this.concurrency) return;
    const next = this.waiting.shift()!;
    this.create().then(
      (env) => {
        env.busy = true;
        next.resolve(env);
      },
      (error: unknown) => next.reject(error),
    );
  }

  /** Terminates every environment. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('the function runtime is closed'));
    await Promise.all([...this.environments].map((env) => env.worker.terminate()));
    this.environments.clear();
    this.idle.length = 0;
  }
}
