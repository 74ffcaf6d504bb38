/** Waiting, with the timers cleaned up: one copy for every folder. Imports nothing but Node. */

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A wait that ran out of time; the message names what was awaited. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * `promise`, or after `ms` what `onTimeout` gives: a string rejects with a
 * {@link TimeoutError} "`<string>` timed out after N ms"; a function's result
 * (or its rejection) is used as it is. The timer never outlives the race.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: string | (() => T | Promise<T>)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      if (typeof onTimeout === 'string') reject(new TimeoutError(`${onTimeout} timed out after ${ms} ms`));
      else Promise.resolve().then(onTimeout).then(resolve, reject);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
