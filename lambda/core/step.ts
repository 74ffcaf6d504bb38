/**
 * One reading's whole effect on a printer: the detector's verdict, then the
 * alarm's step on it (an anomaly event, a reading inside or outside the clear
 * band, the end of a silence). Pure.
 */
import { type AlarmRules, INITIAL_ALARM, stepAlarm } from './alarm.ts';
import type { AlarmTransition, Reading, PrinterState, Rules } from './types.ts';
import { detect, type Verdict } from './detector.ts';

export type Step =
  | { readonly applied: false; readonly verdict: Exclude<Verdict, { applied: true }> }
  | {
      readonly applied: true;
      readonly verdict: Extract<Verdict, { applied: true }>;
      /** The state after the reading, alarm included. */
      readonly next: PrinterState;
      /** The alarm transitions the reading made, in order. */
      readonly transitions: readonly AlarmTransition[];
    };

/** What of a printer's rules its alarm follows. */
export function alarmRules(rules: Rules): AlarmRules {
  return {
    severity: rules.severity,
    clearAfter: rules.clearAfter,
    latch: rules.latch,
    ...(rules.silenceMs !== undefined ? { silenceMs: rules.silenceMs } : {}),
    ...(rules.renotifyMs !== undefined ? { renotifyMs: rules.renotifyMs } : {}),
  };
}

/**
 * A reading's time (epoch ms): its `timestamp`, else its arrival. Its event and its alarm transitions carry it, so a
 * batch reads exactly as its readings published one by one (`docs/design.md`, "Alarms").
 */
export function readingTime(reading: Reading, arrival: number): number {
  return reading.timestamp ?? arrival;
}

/** Applies one reading that arrived at `arrival` (epoch ms). */
export function step(state: PrinterState, reading: Reading, arrival: number): Step {
  const verdict = detect(state, reading, arrival);
  if (!verdict.applied) return { applied: false, verdict };
  const alarmStep = stepAlarm(state.alarm, alarmRules(state.rules), {
    kind: 'reading',
    at: readingTime(reading, arrival),
    arrival,
    inClear: verdict.inClear,
    ...(verdict.event ? { event: { severity: verdict.severity } } : {}),
  });
  // A reading is never refused by the alarm; should it be, the detector's verdict still stands.
  if (!alarmStep.ok) return { applied: true, verdict, next: verdict.next, transitions: [] };
  return { applied: true, verdict, next: { ...verdict.next, alarm: alarmStep.alarm }, transitions: alarmStep.transitions };
}

/** A printer's state before any reading (or with the counters given): empty memory, alarm NORMAL. */
export function initialState(
  printerId: string,
  rules: Rules,
  counters: { readonly outOfBoundsCount?: number; readonly eventCount?: number } = {},
): PrinterState {
  return {
    printerId,
    rules,
    outOfBoundsCount: counters.outOfBoundsCount ?? 0,
    eventCount: counters.eventCount ?? 0,
    memory: {},
    alarm: INITIAL_ALARM,
    rev: 0,
    guard: [],
  };
}
