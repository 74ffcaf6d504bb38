/**
 * Plans: what to do with a message's readings, computed from a printer's
 * state with the pure detector, and what each reading did. A plan skips (every
 * reading a duplicate, late or already applied) or is one guarded write.
 */
import type { AnomalyEvent } from '../contract/index.ts';
import { detect, type PrinterState, type Reading } from './core/detector.ts';
import { foldReadings } from './core/fold.ts';
import { isAfter } from './core/stream.ts';
import type { Transition } from './ports.ts';

/**
 * What one reading did. `duplicate` and `late`: the device sent it again or
 * too late (by `seq` or `timestamp`); `redelivered`: Lambda delivered this
 * invocation again after its write had gone through.
 */
export type Outcome =
  | 'invalid'
  | 'unknown-printer'
  | 'bad-profile'
  | 'foreign-printer'
  | 'duplicate'
  | 'late'
  | 'redelivered'
  | 'in-bounds'
  | 'out-of-bounds'
  | 'event';

/** Every {@link Outcome}, in a stable order (for counters). */
export const OUTCOMES: readonly Outcome[] = [
  'invalid',
  'unknown-printer',
  'bad-profile',
  'foreign-printer',
  'duplicate',
  'late',
  'redelivered',
  'in-bounds',
  'out-of-bounds',
  'event',
];

/** The readings one stream record holds for a printer (a reading, or a batch's), with its sequence number. */
export interface StreamRecordReadings {
  readonly sequence: string;
  readonly readings: readonly Reading[];
}

/** Readings per outcome. */
export type OutcomeCounts = Readonly<Partial<Record<Outcome, number>>>;

/**
 * What to do with the readings, computed from a printer's state: skip them
 * all (each duplicate or late), or write one transition that counts `events`.
 */
export type Plan =
  | {
      readonly kind: 'skip';
      readonly readings: OutcomeCounts;
      /** Every reading was applied before (a redelivered stream record): republish what that write counted. */
      readonly redelivered?: boolean;
    }
  | { readonly kind: 'write'; readonly transition: Transition; readonly events: readonly string[]; readonly readings: OutcomeCounts };

/** One reading: skipped (duplicate or late), or one write that resets, increments or counts an event. */
export function singlePlan(state: PrinterState, reading: Reading, requestId: string, appliedAt: string): Plan {
  const verdict = detect(state, reading);
  if (!verdict.applied) return { kind: 'skip', readings: { [verdict.reason]: 1 } };
  const event = verdict.event ? JSON.stringify(anomalyEvent(state, reading, verdict.next.eventCount, appliedAt)) : undefined;
  const outcome: Outcome = verdict.event ? 'event' : verdict.outOfBounds ? 'out-of-bounds' : 'in-bounds';
  return {
    kind: 'write',
    transition: {
      kind: event ? 'event' : verdict.outOfBounds ? 'increment' : 'reset',
      expected: state,
      reading,
      requestId,
      appliedAt,
      ...(event ? { event } : {}),
    },
    events: event ? [event] : [],
    readings: { [outcome]: 1 },
  };
}

/** A batch: skipped when no reading applies, else one write of the folded state and every event it counted. */
export function batchPlan(state: PrinterState, readings: readonly Reading[], requestId: string, appliedAt: string): Plan {
  const fold = foldReadings(state, readings);
  const last = fold.applied.at(-1);
  if (last === undefined) return { kind: 'skip', readings: fold.counts };
  const events = fold.events.map(({ reading, eventCount }) => JSON.stringify(anomalyEvent(state, reading, eventCount, appliedAt)));
  return {
    kind: 'write',
    transition: { kind: 'batch', expected: state, next: fold.next, last, requestId, appliedAt, events },
    events,
    readings: fold.counts,
  };
}

/** Stream records of one printer: the new ones (after its last applied position) folded into one write. */
export function streamPlan(state: PrinterState, records: readonly StreamRecordReadings[], requestId: string, appliedAt: string): Plan {
  const fresh = records.filter((record) => isAfter(record.sequence, state.lastStreamSequence));
  const redelivered = records.length - fresh.length;
  const again = records.slice(0, redelivered).reduce((n, record) => n + record.readings.length, 0);
  const lastFresh = fresh.at(-1);
  if (lastFresh === undefined) return { kind: 'skip', readings: { redelivered: again }, redelivered: true };
  const plan = batchPlan(
    state,
    fresh.flatMap((record) => record.readings),
    requestId,
    appliedAt,
  );
  const readings = again > 0 ? { ...plan.readings, redelivered: again } : plan.readings;
  if (plan.kind === 'skip') return { ...plan, readings };
  if (plan.transition.kind !== 'batch') throw new TypeError('a stream plan writes a batch');
  return { ...plan, readings, transition: { ...plan.transition, streamSequence: lastFresh.sequence } };
}

/** What an invalid message (not one printer's readings at all) did: nothing but be counted. */
export function invalidMessage(reason: string, printerId: string | undefined): ProcessResultBase {
  return {
    outcome: 'invalid',
    readings: { invalid: 1 },
    reason,
    ...(printerId !== undefined ? { printerId } : {}),
    published: [],
    conflicts: 0,
  };
}

/** The part of a processing result an invalid message has. */
export interface ProcessResultBase {
  readonly outcome: Outcome;
  readonly readings: OutcomeCounts;
  readonly reason?: string;
  readonly printerId?: string;
  readonly published: readonly [];
  readonly conflicts: 0;
}

/** A message's outcome from its readings': an event if any, else the most telling one. */
export function summaryOutcome(counts: OutcomeCounts): Outcome {
  const order: Outcome[] = ['event', 'out-of-bounds', 'in-bounds', 'redelivered', 'duplicate', 'late'];
  return order.find((outcome) => (counts[outcome] ?? 0) > 0) ?? 'duplicate';
}

/** The event published when `reading` completes a window of the printer in `state`. */
function anomalyEvent(state: PrinterState, reading: Reading, events: number, at: string): AnomalyEvent {
  return {
    PrinterId: state.printerId,
    events,
    value: reading.value,
    window: state.window,
    thresholds: { Lower: state.lower, Upper: state.upper },
    at,
  };
}
