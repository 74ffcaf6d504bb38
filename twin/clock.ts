/**
 * The twin's clock: it runs the sweep function (the stack's every-minute
 * schedule) every `intervalSeconds`, one sweep at a time, passing the time as
 * the schedule does. Tests drive it instead through `sweep(at)`, with the
 * interval off (0), so no test waits for a minute to pass.
 */

/** EventBridge Scheduler's context attribute for the time a run was scheduled for. */
export const SCHEDULED_TIME_ATTRIBUTE = '<aws.scheduler.scheduled-time>';

/** A schedule's input asks for something the twin does not fill in. */
export class ScheduleInputError extends Error {
  override readonly name = 'ScheduleInputError';
}

/**
 * The event Scheduler invokes its target with for a run at `at`: the
 * schedule's input as the template writes it (`Target.Input`), each
 * scheduled-time attribute replaced by the time in ISO 8601 to the second, as
 * Scheduler writes it. A sweep the twin runs between two seconds (tests pick
 * any time) keeps its milliseconds.
 */
export function scheduledEvent(input: string, at: Date): unknown {
  const other = /<aws\.scheduler\.[a-z-]+>/.exec(input.replaceAll(SCHEDULED_TIME_ATTRIBUTE, ''));
  if (other) throw new ScheduleInputError(`the twin fills only ${SCHEDULED_TIME_ATTRIBUTE} in a schedule's input, not ${other[0]}`);
  const iso = at.toISOString();
  return JSON.parse(input.replaceAll(SCHEDULED_TIME_ATTRIBUTE, at.getUTCMilliseconds() === 0 ? iso.replace(/\.000Z$/, 'Z') : iso));
}
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
