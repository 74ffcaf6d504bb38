/**
 * What a replay sends, from a readings file and the emitter's options: the
 * readings, repeated (`--count`, `--loop`), seq stamped per printer
 * (`--add-seq`, before batching, so that each reading keeps its own seq),
 * then batched (`--batch`, `batch.ts`). Pure, and lazy: an endless replay
 * holds at most one open batch per printer.
 */
import type { ReadingPayload } from '../contract/index.ts';
import { batchReadings, countBatches, type EmitterMessage } from './batch.ts';
import { repeatReadings, stampSeq } from './replay.ts';

export interface ReplayPlanOptions {
  /** Readings in all, cycling through the file. @default the file once */
  readonly count?: number | undefined;
  /** Again and again, endlessly (`count` is then ignored). */
  readonly loop?: boolean | undefined;
  /** Stamp per-printer seq 1, 2, 3... in file order. */
  readonly addSeq?: boolean | undefined;
  /** Readings per batched message; 1 sends single readings. @default 1 */
  readonly batch?: number | undefined;
}

/** The messages to publish and how many there are. */
export interface ReplayPlan {
  /** A fresh iteration each time it is iterated. */
  readonly messages: Iterable<EmitterMessage>;
  /** Messages in all; Infinity for an endless replay. */
  readonly totalMessages: number;
  /** Readings in all; Infinity for an endless replay. */
  readonly totalReadings: number;
}

/** The replay of `readings` with `options`. */
export function planReplay(readings: readonly ReadingPayload[], options: ReplayPlanOptions = {}): ReplayPlan {
  const count = options.loop ? undefined : (options.count ?? readings.length);
  const batch = options.batch ?? 1;
  const readingsOf = (): Iterable<ReadingPayload> => {
    const repeated = count === readings.length ? readings : repeatReadings(readings, count);
    return options.addSeq ? stampSeq(repeated) : repeated;
  };
  const messages: Iterable<EmitterMessage> = {
    [Symbol.iterator]: () => (batch === 1 ? readingsOf() : batchReadings(readingsOf(), batch))[Symbol.iterator](),
  };
  if (count === undefined || readings.length === 0) {
    const total = count === undefined && readings.length > 0 ? Infinity : 0;
    return { messages, totalMessages: total, totalReadings: total };
  }
  return { messages, totalMessages: batch === 1 ? count : countBatches(readingsOf(), batch), totalReadings: count };
}
