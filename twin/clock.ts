/**
 * The twin's clock: it runs the sweep function (the stack's every-minute
 * schedule) every `intervalSeconds`, one sweep at a time, passing the time as
 * the schedule does. Tests drive it instead through `sweep(at)`, with the
 * interval off (0), so no test waits for a minute to pass.
 */
export interface ClockOptions {
  readonly sweep: (at: Date) => Promise<unknown>;
  readonly now: () => Date;
  /** 0: no automatic sweeps. */
  readonly intervalSeconds: number;
  readonly log: (line: string) => void;
}

export class Clock {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ClockOptions) {
    if (options.intervalSeconds > 0) {
      this.timer = setInterval(() => {
        this.sweep(options.now()).catch((error: unknown) =>
          options.log(
            JSON.stringify({ level: 'ERROR', message: 'sweep failed; the next one tries again', error: (error as Error).message }),
          ),
        );
      }, options.intervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** One sweep at `at`, after any sweep in progress. */
  sweep(at: Date): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error('the twin is closing: no more sweeps'));
    const run = this.running.catch(() => undefined).then(() => this.options.sweep(at));
    this.running = run;
    return run;
  }

  /** Stops the interval and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running.catch(() => undefined);
  }
}
