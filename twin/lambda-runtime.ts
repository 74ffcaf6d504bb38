/**
 * The twin's Lambda service for one function: a pool of execution
 * environments (`execution-environment.ts`, worker threads), created on
 * demand up to a concurrency limit and reused while warm, as Lambda does.
 * Each has its own `process.env` (the function's environment) and module
 * state, so twins in one process never share state.
 */
import { performance } from 'node:perf_hooks';
import { DETECTOR_FUNCTION } from '../contract/index.ts';
import { type EnvironmentOptions, ExecutionEnvironment, FunctionInitError, type InvokeOutcome } from './execution-environment.ts';

export { FunctionInitError, type InvokeOutcome, type SerializedError } from './execution-environment.ts';

export interface FunctionRuntimeOptions extends EnvironmentOptions {
  /** Most execution environments at once. @default 4 */
  readonly concurrency?: number;
  /** The function's timeout in ms. @default DETECTOR_FUNCTION.timeoutSeconds, in ms */
  readonly timeoutMs?: number;
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
    this.timeoutMs = options.timeoutMs ?? DETECTOR_FUNCTION.timeoutSeconds * 1000;
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
