/**
 * What the backend will make of generated readings, computed by the
 * function's own core: each printer's rules from its profile (`parseRules`,
 * with the fleet defaults), each reading through `step` (the detector, then
 * the alarm), and the clock through `stepAlarm`. So the window rule and the
 * alarm have one definition: `npm run gen-data` summarises its streams with
 * them and the benchmarks check the events they count against them. (The
 * tests check the core against independent models instead.)
 *
 * Time is the readings' own: each reading arrives at its `timestamp`, and the
 * clock sweeps at every deadline (silence, re-notification) as it falls.
 */
import type { AlarmState, ProfileInput, Severity } from '../contract/index.ts';
import { alarmDeadline, stepAlarm } from '../lambda/core/alarm.ts';
import { moreSevere } from '../lambda/core/severity.ts';
import type { AlarmTransition, Reading, PrinterState, Rules } from '../lambda/core/types.ts';
import type { Verdict } from '../lambda/core/detector.ts';
import { isNotified, transitionPayload } from '../lambda/core/outbox.ts';
import { alarmRules, initialState as startingState, step } from '../lambda/core/step.ts';
import { profileRules, splitDefaults } from './fleet-profiles.ts';
import type { GeneratedReading } from './generate.ts';

/** A printer as a freshly seeded profile leaves it: its rules (with the fleet defaults), counters at 0, alarm NORMAL. */
export function initialState(profile: ProfileInput, defaults?: ProfileInput): PrinterState {
  return startingState(profile.PrinterId, profileRules(profile, defaults));
}

/** A generated reading as the detector receives it (generated metrics are always finite numbers). */
export function toReading(reading: GeneratedReading): Reading {
  return { printerId: reading.PrinterId, metrics: reading.data, seq: reading.seq, timestamp: reading.timestamp };
}

/** How a printer's readings add up to an event: `consecutive 5`, `m-of-n 3/8`, `duration 20 s`, and `+ adaptive`. */
export function describeMode(rules: Rules): string {
  const base =
    rules.mode === 'm-of-n'
      ? `m-of-n ${rules.window}/${rules.of ?? rules.window}`
      : rules.mode === 'duration'
        ? `duration ${(rules.durationMs ?? 0) / 1000} s`
        : `consecutive ${rules.window}`;
  return isAdaptive(rules) ? `${base} + adaptive` : base;
}

export function isAdaptive(rules: Rules): boolean {
  return Object.values(rules.bands).some((band) => band.adaptive !== undefined);
}

/** The detector's verdict on one reading, with the reading's index in the stream and what the alarm did. */
export interface ExpectedVerdict {
  readonly index: number;
  readonly reading: GeneratedReading;
  readonly verdict: Verdict;
  /** The printer after the reading (and the clock before it), alarm included. */
  readonly state: PrinterState;
  /** The alarm transitions the clock made before the reading arrived, then the reading's own. */
  readonly transitions: readonly AlarmTransition[];
  /** Re-notifications the clock sent before the reading arrived. */
  readonly renotifications: number;
}

interface Clocked {
  readonly state: PrinterState;
  readonly transitions: AlarmTransition[];
  readonly renotifications: number;
}

/** The clock, sweeping at every deadline of the printer's alarm up to `until` (epoch ms). */
function runClock(state: PrinterState, until: number): Clocked {
  const rules = alarmRules(state.rules);
  let alarm = state.alarm;
  const transitions: AlarmTransition[] = [];
  let renotifications = 0;
  let due = alarmDeadline(alarm, rules);
  while (due !== undefined && due <= until) {
    const ticked = stepAlarm(alarm, rules, { kind: 'tick', at: due });
    if (!ticked.ok) break;
    alarm = ticked.alarm;
    transitions.push(...ticked.transitions);
    if (ticked.renotify !== undefined) renotifications++;
    const next = alarmDeadline(alarm, rules);
    // A deadline the tick did not move on would never end: the clock is done with this alarm.
    if (next !== undefined && next <= due) break;
    due = next;
  }
  return { state: alarm === state.alarm ? state : { ...state, alarm }, transitions, renotifications };
}

/**
 * Applies `readings` in order with `step`, every printer of `profiles` (a
 * `*` entry is the fleet defaults) starting from {@link initialState}: one
 * verdict per reading of a printer with a profile (the backend counts the
 * others as unknown, and they are skipped).
 */
export function* expectedVerdicts(profiles: readonly ProfileInput[], readings: readonly GeneratedReading[]): Generator<ExpectedVerdict> {
  const { defaults, printers } = splitDefaults(profiles);
  const states = new Map(printers.map((profile) => [profile.PrinterId, initialState(profile, defaults)]));
  for (const [index, reading] of readings.entries()) {
    const before = states.get(reading.PrinterId);
    if (before === undefined) continue;
    const clocked = runClock(before, reading.timestamp);
    const stepped = step(clocked.state, toReading(reading), reading.timestamp);
    const state = stepped.applied ? stepped.next : clocked.state;
    states.set(reading.PrinterId, state);
    yield {
      index,
      reading,
      verdict: stepped.verdict,
      state,
      transitions: stepped.applied ? [...clocked.transitions, ...stepped.transitions] : clocked.transitions,
      renotifications: clocked.renotifications,
    };
  }
}

/** What one printer's stream holds, as the core sees it (`docs/design.md`, "Detection, extended" and "Alarms, the outbox and the clock"). */
export interface StreamSummary {
  readonly printerId: string;
  /** How its readings add up to an event (see {@link describeMode}). */
  readonly mode: string;
  readonly window: number;
  readonly readings: number;
  readonly outOfBounds: number;
  /** Anomaly events the stream produces. */
  readonly events: number;
  /** Runs of out-of-bounds readings that ended without an event. */
  readonly nearMisses: number;
  /** Readings with a monitored metric exactly on a bound (in bounds). */
  readonly onThreshold: number;
  /** The highest severity of its events; null without any. */
  readonly severity: Severity | null;
  /** Alarm transitions, the clock's included. */
  readonly transitions: number;
  /** Activations by silence: the printer stopped for longer than its `SilenceSeconds`. */
  readonly silences: number;
  /** Notifications: notified transitions and re-notifications. */
  readonly notifications: number;
  /** The alarm's state once the last reading of the whole stream has arrived. */
  readonly alarm: AlarmState;
}

interface Tally {
  readings: number;
  outOfBounds: number;
  events: number;
  nearMisses: number;
  onThreshold: number;
  severity: Severity | null;
  transitions: number;
  silences: number;
  notifications: number;
  run: number;
  runHadEvent: boolean;
  state: PrinterState;
}

function countTransitions(tally: Tally, printerId: string, transitions: readonly AlarmTransition[], renotifications: number): void {
  tally.transitions += transitions.length;
  tally.silences += transitions.filter((t) => t.cause === 'silent').length;
  tally.notifications += transitions.filter((t) => isNotified(transitionPayload(printerId, t))).length + renotifications;
}

/** Per printer of `profiles` (the `*` entry aside), in profile order: what its readings in `readings` hold. */
export function summarizeStreams(profiles: readonly ProfileInput[], readings: readonly GeneratedReading[]): StreamSummary[] {
  const { defaults, printers } = splitDefaults(profiles);
  const tallies = new Map(
    printers.map((p): [string, Tally] => [
      p.PrinterId,
      {
        readings: 0,
        outOfBounds: 0,
        events: 0,
        nearMisses: 0,
        onThreshold: 0,
        severity: null,
        transitions: 0,
        silences: 0,
        notifications: 0,
        run: 0,
        runHadEvent: false,
        state: initialState(p, defaults),
      },
    ]),
  );
  for (const { reading, verdict, state, transitions, renotifications } of expectedVerdicts(profiles, readings)) {
    const tally = tallies.get(reading.PrinterId);
    if (tally === undefined) continue;
    tally.readings++;
    tally.state = state;
    countTransitions(tally, reading.PrinterId, transitions, renotifications);
    if (!verdict.applied) continue; // a duplicate or late seq: the backend skips it
    const bands = Object.entries(state.rules.bands);
    if (bands.some(([metric, band]) => reading.data[metric] !== undefined && [band.lower, band.upper].includes(reading.data[metric])))
      tally.onThreshold++;
    if (verdict.event) {
      tally.events++;
      if (moreSevere(verdict.severity, tally.severity)) tally.severity = verdict.severity;
    }
    if (verdict.outOfBounds) {
      tally.outOfBounds++;
      tally.run++;
      tally.runHadEvent ||= verdict.event;
    } else {
      if (tally.run > 0 && !tally.runHadEvent) tally.nearMisses++;
      tally.run = 0;
      tally.runHadEvent = false;
    }
  }
  // The clock runs on to the last reading of the whole stream: a printer that stopped early may fall silent.
  const end = readings.reduce((latest, r) => Math.max(latest, r.timestamp), Number.NEGATIVE_INFINITY);
  return printers.map((profile) => {
    const tally = tallies.get(profile.PrinterId) as Tally;
    const clocked = runClock(tally.state, end);
    countTransitions(tally, profile.PrinterId, clocked.transitions, clocked.renotifications);
    const { rules, alarm } = clocked.state;
    return {
      printerId: profile.PrinterId,
      mode: describeMode(rules),
      window: rules.window,
      readings: tally.readings,
      outOfBounds: tally.outOfBounds,
      events: tally.events,
      nearMisses: tally.nearMisses,
      onThreshold: tally.onThreshold,
      severity: tally.severity,
      transitions: tally.transitions,
      silences: tally.silences,
      notifications: tally.notifications,
      alarm: alarm.state,
    };
  });
}
