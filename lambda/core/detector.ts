/**
 * The detector: a pure function of (printer state, reading) -> verdict.
 *
 * It keeps the original system's behaviour exactly and adds the ordering
 * rules of `seq` and `timestamp` (both in `docs/design.md`, "Detection"
 * and "Guarantees"). It imports nothing and does no I/O.
 */

/** A printer's thresholds and window, validated (see `profile.ts`). */
export interface Profile {
  readonly lower: number;
  readonly upper: number;
  readonly window: number;
}

/** Everything the detector needs to know about one printer. */
export interface PrinterState extends Profile {
  readonly printerId: string;
  readonly outOfBoundsCount: number;
  readonly eventCount: number;
  /** `seq` of the last applied reading that had one. */
  readonly lastSeq?: number;
  /** `timestamp` (epoch ms) of the last applied reading that had one. */
  readonly lastTimestamp?: number;
  /** Sequence number of the last stream record applied (stream ingest only). */
  readonly lastStreamSequence?: string;
}

/** One valid reading (see `reading.ts`). */
export interface Reading {
  readonly printerId: string;
  readonly value: number;
  readonly seq?: number;
  /** Epoch milliseconds. */
  readonly timestamp?: number;
}

/** What a reading does to a printer. */
export type Verdict =
  | { readonly applied: false; readonly reason: 'duplicate' | 'late' }
  | {
      readonly applied: true;
      readonly outOfBounds: boolean;
      /** True when this reading completes a window: one anomaly event. */
      readonly event: boolean;
      readonly next: PrinterState;
    };

/** Out of bounds when strictly below `lower` or strictly above `upper`. */
export function isOutOfBounds(profile: Profile, value: number): boolean {
  return value < profile.lower || value > profile.upper;
}

/**
 * Whether a reading may be applied after what was already applied: a reading
 * with `seq` must be above the last applied `seq` (else duplicate or late);
 * without `seq`, a `timestamp` strictly older than the last applied one is late.
 */
export function ordering(state: PrinterState, reading: Reading): 'apply' | 'duplicate' | 'late' {
  if (reading.seq !== undefined) {
    if (state.lastSeq === undefined || reading.seq > state.lastSeq) return 'apply';
    return reading.seq === state.lastSeq ? 'duplicate' : 'late';
  }
  if (reading.timestamp !== undefined && state.lastTimestamp !== undefined) {
    return reading.timestamp < state.lastTimestamp ? 'late' : 'apply';
  }
  return 'apply';
}

/** Applies one reading to a printer's state (`docs/design.md`, "Detection"). */
export function detect(state: PrinterState, reading: Reading): Verdict {
  const order = ordering(state, reading);
  if (order !== 'apply') return { applied: false, reason: order };

  const outOfBounds = isOutOfBounds(state, reading.value);
  let outOfBoundsCount = outOfBounds ? state.outOfBoundsCount + 1 : 0;
  let eventCount = state.eventCount;
  const event = outOfBoundsCount >= state.window;
  if (event) {
    eventCount += 1;
    outOfBoundsCount = 0;
  }
  const next: PrinterState = {
    ...state,
    outOfBoundsCount,
    eventCount,
    ...(reading.seq !== undefined ? { lastSeq: reading.seq } : {}),
    ...(reading.timestamp !== undefined ? { lastTimestamp: reading.timestamp } : {}),
  };
  return { applied: true, outOfBounds, event, next };
}
