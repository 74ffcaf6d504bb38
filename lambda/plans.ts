/**
 * Plans: what to do with a message's readings, computed from a printer's
 * state with the pure detector, and what each reading did. A plan skips (every
 * reading a duplicate, late or already applied) or is one guarded write.
 */
import { type AnomalyEvent, MAX_RECENT_REQUEST_IDS } from '../contract/index.ts';
import type { Reading, PrinterState } from './core/types.ts';
import { type FoldEvent, foldReadings } from './core/fold.ts';
import { eventEntry, groupTransitions, pacingOf } from './core/outbox.ts';
import { readingTime, type Step, step } from './core/step.ts';
import { isAfter } from './core/stream.ts';
import type { GuardedWrite } from './ports.ts';

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
 * all (each duplicate or late), or make one guarded write that counts `events`.
 */
export type Plan =
  | {
      readonly kind: 'skip';
      readonly readings: OutcomeCounts;
      /** Every reading was applied before (a redelivered stream record): deliver again what that write counted. */
      readonly redelivered?: boolean;
      /**
       * The message is the device sending again the reading (or batch) the printer's
       * latest write applied: that write's entries are delivered again, since the
       * invocation that made them may have died before delivering them.
       */
      readonly resent?: boolean;
      /** Why readings were invalid for the printer's profile. */
      readonly invalid?: readonly string[];
    }
  | {
      readonly kind: 'write';
      readonly write: GuardedWrite;
      /** The outbox entries the write counts (JSON). */
      readonly events: readonly string[];
      readonly readings: OutcomeCounts;
      readonly invalid?: readonly string[];
    };

/** One reading: skipped (invalid, duplicate or late), a commuting counter write, or a full write. */
export function singlePlan(state: PrinterState, reading: Reading, requestId: string, arrival: number): Plan {
  const stepped = step(state, reading, arrival);
  const appliedAt = new Date(arrival).toISOString();
  if (!stepped.applied) {
    const { verdict } = stepped;
    return {
      kind: 'skip',
      readings: { [verdict.reason]: 1 },
      ...(verdict.reason === 'invalid' ? { invalid: [verdict.detail] } : {}),
      ...(resendsLast(state, [reading]) ? { resent: true } : {}),
    };
  }
  const { verdict, next } = stepped;
  if (commutes(state, stepped)) {
    return {
      kind: 'write',
      write: { kind: verdict.outOfBounds ? 'increment' : 'reset', expected: state, next, reading, requestId, appliedAt },
      events: [],
      readings: { [verdict.outOfBounds ? 'out-of-bounds' : 'in-bounds']: 1 },
    };
  }
  return batchPlan(state, [reading], requestId, arrival);
}

/**
 * Whether a reading's write may commute with concurrent ones: it only resets
 * or adds one to the count under the consecutive rule, with no event, no
 * alarm move and nothing a mode remembers. Anything else is a full write.
 */
function commutes(state: PrinterState, stepped: Extract<Step, { applied: true }>): boolean {
  const { verdict, next, transitions } = stepped;
  if (verdict.event || transitions.length > 0 || state.rules.mode !== 'consecutive') return false;
  // A full list of request ids is trimmed by a full write (`adapters/profile-updates.ts`).
  if ((state.requests?.length ?? 0) >= MAX_RECENT_REQUEST_IDS) return false;
  if (next.memory.stats !== undefined || state.memory.stats !== undefined) return false;
  const { silenceAt: _before, ...alarmBefore } = state.alarm;
  const { silenceAt: _after, ...alarmAfter } = next.alarm;
  return JSON.stringify(alarmBefore) === JSON.stringify(alarmAfter);
}

/** Whether the readings end with the `seq` the printer's latest write applied: the device sent them again. */
function resendsLast(state: PrinterState, readings: readonly Reading[]): boolean {
  const last = readings.at(-1)?.seq;
  return last !== undefined && last === state.lastSeq;
}

/** A batch: skipped when no reading applies, else one full write of the folded state and every entry it counted. */
export function batchPlan(state: PrinterState, readings: readonly Reading[], requestId: string, arrival: number): Plan {
  const fold = foldReadings(state, readings, arrival);
  const last = fold.applied.at(-1);
  const invalid = fold.invalid.length > 0 ? { invalid: fold.invalid } : {};
  if (last === undefined)
    return { kind: 'skip', readings: fold.counts, ...invalid, ...(resendsLast(state, readings) ? { resent: true } : {}) };
  const appliedAt = new Date(arrival).toISOString();
  const events = fold.events.map((event) =>
    eventEntry(anomalyEvent(state, event, new Date(readingTime(event.reading, arrival)).toISOString())),
  );
  const grouped = groupTransitions(state.printerId, fold.transitions, pacingOf(state, arrival));
  const entries = [...events, ...grouped.entries];
  const next = withLastNotified(fold.next, grouped.lastNotified);
  return {
    kind: 'write',
    write: { kind: 'full', expected: state, next, last, requestId, appliedAt, entries, record: 'request' },
    events: entries,
    readings: fold.counts,
    ...invalid,
  };
}

/** The state with the pacing record a write's notifications left (`groupTransitions`). */
export function withLastNotified(state: PrinterState, lastNotified: PrinterState['lastNotified']): PrinterState {
  if (lastNotified === state.lastNotified) return state;
  const { lastNotified: _before, ...rest } = state;
  return lastNotified === undefined ? rest : { ...rest, lastNotified };
}

/** Stream records of one printer: the new ones (after its last applied position) folded into one write. */
export function streamPlan(state: PrinterState, records: readonly StreamRecordReadings[], requestId: string, arrival: number): Plan {
  const fresh = records.filter((record) => isAfter(record.sequence, state.lastStreamSequence));
  const redelivered = records.length - fresh.length;
  const again = records.slice(0, redelivered).reduce((n, record) => n + record.readings.length, 0);
  const lastFresh = fresh.at(-1);
  if (lastFresh === undefined) return { kind: 'skip', readings: { redelivered: again }, redelivered: true };
  const plan = batchPlan(
    state,
    fresh.flatMap((record) => record.readings),
    requestId,
    arrival,
  );
  const readings = again > 0 ? { ...plan.readings, redelivered: again } : plan.readings;
  if (plan.kind === 'skip') return { ...plan, readings };
  if (plan.write.kind !== 'full') throw new TypeError('a stream plan writes the folded state');
  return { ...plan, readings, write: { ...plan.write, streamSequence: lastFresh.sequence } };
}

/** What an invalid message (not one printer's readings at all) did: nothing but be counted. */
export function invalidMessage(reason: string, printerId: string | undefined): ProcessResultBase {
  return {
    outcome: 'invalid',
    readings: { invalid: 1 },
    reason,
    ...(printerId !== undefined ? { printerId } : {}),
    deliveredEvents: [],
    conflicts: 0,
  };
}

/** The part of a processing result an invalid message has. */
export interface ProcessResultBase {
  readonly outcome: Outcome;
  readonly readings: OutcomeCounts;
  readonly reason?: string;
  readonly printerId?: string;
  readonly deliveredEvents: readonly [];
  readonly conflicts: 0;
}

/** A message's outcome from its readings': an event if any, else the most telling one. */
export function summaryOutcome(counts: OutcomeCounts): Outcome {
  const order: Outcome[] = ['event', 'out-of-bounds', 'in-bounds', 'redelivered', 'duplicate', 'late', 'invalid'];
  return order.find((outcome) => (counts[outcome] ?? 0) > 0) ?? 'duplicate';
}

/**
 * The event published when a reading completes a window. The original form
 * publishes exactly the original event; a metric map adds the metrics that
 * broke and the severity.
 */
function anomalyEvent(state: PrinterState, event: FoldEvent, at: string): AnomalyEvent {
  const { rules } = state;
  const value = event.reading.metrics['value'];
  const original = rules.form === 'original';
  const thresholds = original
    ? { Lower: rules.bands['value']?.lower ?? 0, Upper: rules.bands['value']?.upper ?? 0 }
    : Object.fromEntries(
        Object.entries(rules.bands).map(([metric, band]) => [
          metric,
          { ...(band.lower !== undefined ? { Lower: band.lower } : {}), ...(band.upper !== undefined ? { Upper: band.upper } : {}) },
        ]),
      );
  return {
    PrinterId: state.printerId,
    events: event.eventCount,
    ...(value !== undefined ? { value } : {}),
    window: rules.window,
    thresholds,
    at,
    ...(original ? {} : { metrics: event.broken, severity: event.severity }),
  };
}
