/**
 * Delivering the mixed-mode fleet (`mode-fleet.ts`) to the in-process
 * detector harness the way the cloud does: asynchronous invocations retried
 * with their request id until they succeed, each printer's messages in order
 * and printers at once, and stream batches retried from the first record a
 * partial batch failure reports. Plus seeded faults to inject.
 */
import { randomUUID } from 'node:crypto';
import type { DetectorHarness } from './detector-harness.ts';
import { byPrinter, prng } from './mode-fleet.ts';

type Invoked = Awaited<ReturnType<DetectorHarness['invoke']>>;

/** An SDK error as the service would send it. */
export function serviceError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'server', $metadata: {} });
}

/**
 * Invokes as Lambda's asynchronous invocation does, but without giving up
 * after two retries: a failed invocation is retried at once with the same
 * request id until it succeeds (`maxAttempts` bounds a test that would spin).
 */
export async function invokeWithRetries(
  h: DetectorHarness,
  payload: unknown,
  requestId: string = randomUUID(),
  maxAttempts = 60,
): Promise<{ result: Invoked; failures: number }> {
  for (let failures = 0; ; failures++) {
    try {
      return { result: await h.invoke(payload, requestId), failures };
    } catch (error) {
      if (failures + 1 >= maxAttempts) throw error;
    }
  }
}

/** Each printer's messages in order, one at a time; printers at once. */
export async function eachPrinterInOrder<T extends { PrinterId: string }>(messages: readonly T[], send: (m: T) => Promise<void>) {
  await Promise.all(
    [...byPrinter(messages).values()].map(async (group) => {
      for (const message of group) await send(message);
    }),
  );
}

/** Seeded coin flips: true for about `rate` of the calls. */
export function coin(seed: number, rate: number): () => boolean {
  const random = prng(seed);
  return () => random() < rate;
}

/**
 * DynamoDB faults for the harness: about `rate` of the requests fail, half
 * before reaching the table (throttled), half after it (the response lost,
 * the write done). Counts what it injected.
 */
export function dynamoDbFaults(seed: number, rate: number) {
  const random = prng(seed);
  const injected = { before: 0, after: 0 };
  const fault = (_command: string, phase: 'before' | 'after'): Error | undefined => {
    if (random() >= rate / 2) return undefined;
    injected[phase] += 1;
    return phase === 'before' ? serviceError('ThrottlingException') : serviceError('TimeoutError', 'socket hang up');
  };
  return { fault, injected };
}

/** Kinesis sequence numbers: increasing decimal strings. */
const sequenceOf = (n: number) => String(49_000_000_000 + n);

/**
 * Stream ingest as Lambda's event source mapping drives one shard: batches
 * of `batchSize` records in order; after a partial batch failure (or a failed
 * invocation) the next batch starts at the first record reported; a batch
 * that succeeded is delivered again when `again()` says so.
 */
export async function driveStream(
  h: DetectorHarness,
  payloads: readonly unknown[],
  options: { batchSize: number; again: () => boolean },
): Promise<{ invocations: number; partialFailures: number; redeliveries: number }> {
  const records = payloads.map((data, i) => ({ sequence: sequenceOf(i), data }));
  let position = 0;
  let invocations = 0;
  let partialFailures = 0;
  let redeliveries = 0;
  while (position < records.length) {
    if (invocations > records.length * 20) throw new Error('stream ingest made no progress');
    const batch = records.slice(position, position + options.batchSize);
    invocations += 1;
    let failed: string[];
    try {
      failed = (await h.invokeStream(batch)).batchItemFailures.map((f) => f.itemIdentifier);
    } catch {
      failed = [batch[0]!.sequence];
    }
    if (failed.length > 0) {
      partialFailures += 1;
      const first = failed.map((s) => BigInt(s)).reduce((a, b) => (b < a ? b : a));
      position = records.findIndex((r) => BigInt(r.sequence) === first);
      continue;
    }
    if (options.again()) {
      redeliveries += 1;
      continue;
    }
    position += batch.length;
  }
  return { invocations, partialFailures, redeliveries };
}
