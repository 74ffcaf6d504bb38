/**
 * The shapes that cross a boundary: what printers publish, what a profile
 * holds, what the detector republishes. One type each, used alike by the
 * function, the twin, the emitter, the CLIs, the benchmarks and the tests.
 * (The function validates what it receives: these describe valid input.)
 */

/** A reading as published on `anom/detect`. */
export interface ReadingPayload {
  readonly PrinterId: string;
  /** Named metrics; `value` is the one the original thresholds judge. */
  readonly data: { readonly value: number } & Readonly<Record<string, number>>;
  /** Epoch milliseconds or ISO-8601. */
  readonly timestamp?: number | string;
  /** Increasing per printer: makes processing exactly-once and ordered. */
  readonly seq?: number;
}

/** One element of a batched message: a reading without its `PrinterId`. */
export type BatchElement = Omit<ReadingPayload, 'PrinterId'>;

/**
 * Several readings of one printer in one message on `anom/detect`, applied in
 * array order exactly as if published one by one (README, "Batched readings").
 */
export interface BatchPayload {
  readonly PrinterId: string;
  readonly readings: readonly BatchElement[];
}

/**
 * A printer profile's user attributes, as `data/printer_profiles.json` and the
 * original `aws dynamodb put-item` commands write them. The function keeps its
 * own bookkeeping beside these and never removes one of them.
 */
export interface ProfileInput {
  readonly PrinterId: string;
  readonly Thresholds: { readonly Lower: number; readonly Upper: number };
  readonly Window: number;
}

/** The payload published on `anom/pred` (QoS 1) when a window completes. */
export interface AnomalyEvent {
  readonly PrinterId: string;
  /** The printer's new EventCount. */
  readonly events: number;
  readonly value: number;
  readonly window: number;
  readonly thresholds: { readonly Lower: number; readonly Upper: number };
  /** ISO time the event was counted. */
  readonly at: string;
}
