/**
 * Folding a batch of one printer's readings, in order, into one new state:
 * exactly what applying them one by one would do (`detect` on each), so that
 * a batch costs one guarded write. Pure.
 */
import { detect, type PrinterState, type Reading } from './detector.ts';

/** What a reading did within a fold. */
export type FoldOutcome = 'duplicate' | 'late' | 'in-bounds' | 'out-of-bounds' | 'event';

export interface Fold {
  /** The state after every reading. */
  readonly next: PrinterState;
  /** Readings per outcome. */
  readonly counts: Readonly<Partial<Record<FoldOutcome, number>>>;
  /** The readings that changed the state, in order. */
  readonly applied: readonly Reading[];
  /** Each anomaly event: the reading that completed the window, and the EventCount it made. */
  readonly events: readonly { readonly reading: Reading; readonly eventCount: number }[];
}

export function foldReadings(state: PrinterState, readings: readonly Reading[]): Fold {
  let next = state;
  const counts: Partial<Record<FoldOutcome, number>> = {};
  const applied: Reading[] = [];
  const events: { reading: Reading; eventCount: number }[] = [];
  for (const reading of readings) {
    const verdict = detect(next, reading);
    const outcome: FoldOutcome = !verdict.applied
      ? verdict.reason
      : verdict.event
        ? 'event'
        : verdict.outOfBounds
          ? 'out-of-bounds'
          : 'in-bounds';
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (!verdict.applied) continue;
    next = verdict.next;
    applied.push(reading);
    if (verdict.event) events.push({ reading, eventCount: next.eventCount });
  }
  return { next, counts, applied, events };
}
