/**
 * Captures what the process writes to stdout (where the Powertools logger and
 * metrics write, as in Lambda) and parses the JSON lines.
 */
export function captureStdout() {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const line of text.split('\n')) if (line.trim()) lines.push(line);
    return true;
  }) as typeof process.stdout.write;
  const json = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    /** Structured log records (Powertools logger lines). */
    records: () => json().filter((r) => typeof r['level'] === 'string'),
    /** EMF metric documents (Powertools metrics lines). */
    metrics: () => json().filter((r) => typeof r['_aws'] === 'object'),
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      process.stdout.write = original as typeof process.stdout.write;
    },
  };
}
