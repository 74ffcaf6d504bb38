/**
 * Grouping readings into batched messages (`BatchPayload` in `contract/wire.ts`): each
 * printer's readings, in file order, go into messages of up to `size`
 * readings, `{"PrinterId": ..., "readings": [...]}` whose elements carry no
 * PrinterId. A message never exceeds the contract's limits
 * ({@link MAX_BATCH_READINGS} readings, {@link MAX_BATCH_BYTES} bytes as
 * published): a reading that does not fit starts the printer's next message.
 * Pure: no I/O, and the input is never modified.
 */
import { type BatchElement, type BatchPayload, MAX_BATCH_BYTES, MAX_BATCH_READINGS, type ReadingPayload } from '../contract/index.ts';

/** A message a replay publishes: a batch, or a reading on its own. */
export type EmitterMessage = BatchPayload | ReadingPayload;

/** The most a batched message may hold. @default the contract's limits */
export interface BatchLimits {
  readonly readings: number;
  readonly bytes: number;
}

const CONTRACT_LIMITS: BatchLimits = { readings: MAX_BATCH_READINGS, bytes: MAX_BATCH_BYTES };

/** A printer's message being filled. */
interface OpenBatch {
  readonly PrinterId: string;
  readonly readings: BatchElement[];
  /** Bytes of `JSON.stringify` of the message so far. */
  bytes: number;
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** How many readings a message holds. */
export function readingsIn(message: object): number {
  const readings = (message as { readings?: unknown }).readings;
  return Array.isArray(readings) ? readings.length : 1;
}

/**
 * The readings as batched messages of up to `size` readings per printer.
 * Messages go out as soon as they are full; the rest at the end, in the
 * order of their first reading. A printer's messages come in its file order,
 * so its readings keep their order; messages of different printers may
 * interleave differently than their readings did in the file. A reading too
 * large for any batch on its own is passed on alone, unbatched, for the
 * function to judge.
 */
export function* batchReadings(
  readings: Iterable<ReadingPayload>,
  size: number,
  limits: BatchLimits = CONTRACT_LIMITS,
): Generator<EmitterMessage> {
  if (!Number.isSafeInteger(size) || size < 1 || size > limits.readings) {
    throw new RangeError(`a batch holds 1 to ${limits.readings} readings, not ${size}`);
  }
  const open = new Map<string, OpenBatch>();
  const close = (batch: OpenBatch): BatchPayload => {
    open.delete(batch.PrinterId);
    return { PrinterId: batch.PrinterId, readings: batch.readings };
  };
  for (const reading of readings) {
    const { PrinterId, ...element } = reading;
    const elementBytes = byteLength(element);
    const emptyBytes = byteLength({ PrinterId, readings: [] });
    if (emptyBytes + elementBytes > limits.bytes) {
      yield reading;
      continue;
    }
    let batch = open.get(PrinterId);
    // `,` before every element but the first.
    if (batch && batch.bytes + 1 + elementBytes > limits.bytes) yield close(batch);
    batch = open.get(PrinterId);
    if (batch === undefined) {
      batch = { PrinterId, readings: [], bytes: emptyBytes };
      open.set(PrinterId, batch);
    }
    batch.bytes += (batch.readings.length > 0 ? 1 : 0) + elementBytes;
    batch.readings.push(element);
    if (batch.readings.length >= size) yield close(batch);
  }
  for (const batch of [...open.values()]) yield close(batch);
}

/** How many messages {@link batchReadings} makes of `readings` (one pass, nothing kept). */
export function countBatches(readings: Iterable<ReadingPayload>, size: number, limits?: BatchLimits): number {
  let count = 0;
  for (const _ of batchReadings(readings, size, limits)) count += 1;
  return count;
}
