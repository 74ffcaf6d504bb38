/**
 * Conditions callers wait for (`waitForIdle`, `waitUntilProcessed`, the drain
 * at close), checked each time the state they read changes. A wait can time
 * out; once closed, every wait still pending fails.
 */
import { withTimeout } from '../common/async.ts';
import { TwinWaitError } from './errors.ts';

interface Waiter {
  readonly ready: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class Waiters {
  private readonly waiting = new Set<Waiter>();
  private closed = false;

  /** `progress` says how far things are, for the message of a wait that timed out. */
  constructor(private readonly progress: () => string) {}

  /** Resolves once `ready()` holds; rejects with a {@link TwinWaitError} after `timeoutMs` or at close. */
  wait(ready: () => boolean, timeoutMs: number | undefined, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    if (this.closed) return Promise.reject(new TwinWaitError(`the twin is closed: ${what}`));
    let waiter!: Waiter;
    const done = new Promise<void>((resolve, reject) => {
      waiter = { ready, resolve, reject };
      this.waiting.add(waiter);
    });
    if (timeoutMs === undefined) return done;
    return withTimeout(done, timeoutMs, () => {
      this.waiting.delete(waiter);
      throw new TwinWaitError(`timed out after ${timeoutMs} ms waiting for ${what} (${this.progress()})`);
    });
  }

  /** Resolves the waits whose condition now holds; call after every change. */
  check(): void {
    for (const waiter of this.waiting) {
      if (waiter.ready()) {
        this.waiting.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Fails every pending wait, and every later one whose condition does not already hold. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting) waiter.reject(new TwinWaitError('the twin was closed'));
    this.waiting.clear();
  }
}
