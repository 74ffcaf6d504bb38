/**
 * The bench's own output, and a sink for the handler's: the Powertools logger
 * and metrics write one JSON line per record to stdout, as in Lambda. While a
 * section measures, those lines are counted (their cost stays in the figures)
 * but not shown.
 */
const write = process.stdout.write.bind(process.stdout);

/** Prints one line of the bench's own output. */
export function log(line = ''): void {
  write(`${line}\n`);
}

/** Runs `fn` with stdout swallowed; resolves to its result and the bytes swallowed. */
export async function withMutedStdout<T>(fn: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  let bytes = 0;
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await fn();
    return { result, bytes };
  } finally {
    process.stdout.write = original;
  }
}
