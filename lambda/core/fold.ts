/**
 * Folding a batch of one printer's readings, in order, into one new state:
 * exactly what applying them one by one would do (`step` on each), so that
 * a batch costs one guarded write. Pure.
 */
import type { Severity } from '../../contract/index.ts';
import type { AlarmTransition, Reading, PrinterState } from './types.ts';
import { step } from './step.ts';

/** What a reading did within a fold. */
export type FoldOutcome = 'invalid' | 'duplicate' | 'late' | 'in-bounds' | 'out-of-bounds' | 'event';

/** One anomaly event: the reading that completed the window, the EventCount it made, the metrics out of bounds. */
export interface FoldEvent {
  readonly reading: Reading;
  readonly eventCount: number;
  readonly broken: Readonly<Record<string, number>>;
  readonly severity: Severity;
}

export interface Fold {
  /** The state after every reading. */
  readonly next: PrinterState;
  /** Readings per outcome. */
  readonly counts: Readonly<Partial<Record<FoldOutcome, number>>>;
  /** The readings that changed the state, in order. */
  readonly applied: readonly Reading[];
  readonly events: readonly FoldEvent[];
  /** The alarm transitions, in order. */
  readonly transitions: readonly AlarmTransition[];
  /** Why readings were invalid for this printer's profile (a monitored metric missing or bad), in order. */
  readonly invalid: readonly string[];
}

export function foldReadings(state: PrinterState, readings: readonly Reading[], arrival: number): Fold {
  let next = state;
  const counts: Partial<Record<FoldOutcome, number>> = {};
  const applied: Reading[] = [];
  const events: FoldEvent[] = [];
  const transitions: AlarmTransition[] = [];
  const invalid: string[] = [];
  for (const reading of readings) {
    const stepped = step(next, reading, arrival);
    const { verdict } = stepped;
    const outcome: FoldOutcome = !verdict.applied
      ? verdict.reason
      : verdict.event
        ? 'event'
        : verdict.outOfBounds
          ? 'out-of-bounds'
          : 'in-bounds';
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (!stepped.applied) {
      if (stepped.verdict.reason === 'invalid') invalid.push(stepped.verdict.detail);
      continue;
    }
    next = stepped.next;
    applied.push(reading);
    transitions.push(...stepped.transitions);
    if (stepped.verdict.event) {
      events.push({ reading, eventCount: next.eventCount, broken: stepped.verdict.broken, severity: stepped.verdict.severity });
    }
  }
  return { next, counts, applied, events, transitions, invalid };
}
