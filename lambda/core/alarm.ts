/**
 * A printer's alarm: a pure state machine (`docs/design.md`, "Alarms").
 * States NORMAL, ACTIVE, ACKNOWLEDGED, LATCHED, SNOOZE_DISABLED, DISABLED;
 * inputs: an applied reading (with its anomaly event, if any), a clock tick,
 * and the operator's actions. Each step returns the next alarm and the
 * transitions it made, or why the input was refused (and nothing changes).
 * No I/O, no clock: times come in with the input.
 */
import { ALARM_ACTION_RULES as ACTIONS } from '../../contract/alarm-actions.js';
import type { AlarmActionName, AlarmCause, AlarmState, Severity } from '../../contract/index.ts';
import { moreSevere } from './severity.ts';
import type { Alarm, AlarmOwner, AlarmTransition } from './types.ts';

/** A printer's alarm before anything happened. */
export const INITIAL_ALARM: Alarm = {
  state: 'NORMAL',
  severity: null,
  cause: null,
  since: null,
  transitionCount: 0,
  clearCount: 0,
  silent: false,
  renotified: 0,
};

/** What of the printer's rules the alarm needs. */
export interface AlarmRules {
  /** Severity of a silence activation (the profile's). */
  readonly severity: Severity;
  readonly clearAfter: number;
  readonly latch: boolean;
  readonly silenceMs?: number;
  readonly renotifyMs?: number;
}

export type AlarmInput =
  /**
   * A valid reading was applied: `at` is its time (its `timestamp`, else its arrival; epoch ms), which its transitions
   * carry; `arrival` (default `at`) is when it arrived, which the silence deadline counts from.
   * `inClear`: inside the clear band; `event`: it completed a window.
   */
  | {
      readonly kind: 'reading';
      readonly at: number;
      readonly arrival?: number;
      readonly inClear: boolean;
      readonly event?: { readonly severity: Severity };
    }
  /** The clock at `at` (epoch ms): silence, snooze expiry and re-notification. */
  | { readonly kind: 'tick'; readonly at: number }
  /** An operator's action; `until` (epoch ms) for snooze. */
  | {
      readonly kind: 'action';
      readonly action: AlarmActionName;
      readonly at: number;
      readonly by: string;
      readonly note?: string;
      readonly until?: number;
    };

export type AlarmStep =
  | {
      readonly ok: true;
      readonly alarm: Alarm;
      /** In order; empty when the state did not move. */
      readonly transitions: readonly AlarmTransition[];
      /** A tick that re-notifies the activation: the re-notification's number (1 for the first). */
      readonly renotify?: number;
    }
  /** `invalid`: the input itself is wrong (HTTP 400); `refused`: the action does not apply now (HTTP 409). */
  | { readonly ok: false; readonly kind: 'invalid' | 'refused'; readonly reason: string };

/** Longest accepted note on an operator's action, in characters. */
export const MAX_NOTE_LENGTH = 1000;

/** Applies one input to an alarm. */
export function stepAlarm(alarm: Alarm, rules: AlarmRules, input: AlarmInput): AlarmStep {
  switch (input.kind) {
    case 'reading':
      return onReading(alarm, rules, input.at, input.arrival ?? input.at, input.inClear, input.event?.severity);
    case 'tick':
      return onTick(alarm, rules, input.at);
    case 'action':
      return onAction(alarm, input);
  }
}

/** When the clock next has something to do for this alarm (epoch ms), or undefined. */
export function alarmDeadline(alarm: Alarm, rules: AlarmRules): number | undefined {
  const due: number[] = [];
  // A silence deadline counts in every state: only the clock consumes it, even when it raises nothing.
  if (alarm.silenceAt !== undefined) due.push(alarm.silenceAt);
  if (alarm.state === 'SNOOZE_DISABLED' && alarm.until !== undefined) due.push(alarm.until);
  const renotifyAt = nextRenotification(alarm, rules);
  if (renotifyAt !== undefined) due.push(renotifyAt);
  return due.length === 0 ? undefined : Math.min(...due);
}

/**
 * The alarm after its printer's rules changed (a profile write): a pending
 * silence deadline is re-derived from the last reading's arrival `lastAt`
 * (epoch ms) and the new rules, or dropped when they have no silence rule.
 * No deadline pending: nothing to re-derive; the next reading arms one.
 */
export function rederiveSilence(alarm: Alarm, rules: AlarmRules, lastAt: number | undefined): Alarm {
  if (alarm.silenceAt === undefined) return alarm;
  const { silenceAt: _stale, ...rest } = alarm;
  if (rules.silenceMs === undefined) return rest;
  return lastAt === undefined ? alarm : { ...rest, silenceAt: lastAt + rules.silenceMs };
}

/** States the alarm rests in: no activation, nothing counted towards clearing. */
const RESTING: ReadonlySet<AlarmState> = new Set<AlarmState>(['NORMAL', 'LATCHED', 'DISABLED', 'SNOOZE_DISABLED']);

const isRaised = (state: AlarmState) => state === 'ACTIVE' || state === 'ACKNOWLEDGED';

/** An alarm with every optional field that is undefined left out, so equal alarms compare equal. */
function compact(alarm: Alarm): Alarm {
  const { until, activation, silenceAt, owner, ...rest } = alarm;
  return {
    ...rest,
    ...(until === undefined ? {} : { until }),
    ...(activation === undefined ? {} : { activation }),
    ...(silenceAt === undefined ? {} : { silenceAt }),
    ...(owner === undefined ? {} : { owner }),
  };
}

/** States an operator holds an alarm in: the alarm keeps who did it. */
const HELD: ReadonlySet<AlarmState> = new Set<AlarmState>(['ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED']);

/** Who holds the alarm after `t`: the operator whose action it is, or, while an acknowledged alarm escalates, the same one. */
function ownerAfter(alarm: Alarm, t: AlarmTransition): AlarmOwner | undefined {
  if (!HELD.has(t.to)) return undefined;
  if (Object.hasOwn(ACTIONS, t.cause)) return { by: t.by, note: t.note };
  return t.from === t.to ? alarm.owner : undefined;
}

function transition(
  alarm: Alarm,
  to: AlarmState,
  cause: AlarmCause,
  severity: Severity | null,
  by: string,
  at: number,
  note: string | null = null,
): AlarmTransition {
  return { from: alarm.state, to, cause, severity, by, note, at: new Date(at).toISOString(), seq: alarm.transitionCount + 1 };
}

/**
 * The alarm after transition `t`. What the alarm carries besides its summary follows from the kind of move:
 * resting states drop the activation and the clear count; a fresh activation starts them; an escalation
 * re-arms re-notification but keeps counting; acknowledging only changes the state.
 */
function after(alarm: Alarm, t: AlarmTransition, until?: number): Alarm {
  const summary = {
    state: t.to,
    severity: t.severity,
    cause: t.cause,
    since: t.at,
    transitionCount: t.seq,
    silenceAt: alarm.silenceAt,
    owner: ownerAfter(alarm, t),
  };
  if (RESTING.has(t.to)) {
    return compact({ ...summary, clearCount: 0, silent: false, renotified: 0, until: t.to === 'SNOOZE_DISABLED' ? until : undefined });
  }
  if (t.from === t.to) {
    return compact({ ...summary, clearCount: alarm.clearCount, silent: alarm.silent, renotified: 0, activation: t });
  }
  if (t.to === 'ACKNOWLEDGED') {
    const { clearCount, silent, renotified, activation } = alarm;
    return compact({ ...summary, clearCount, silent, renotified, activation });
  }
  return compact({ ...summary, clearCount: 0, silent: t.cause === 'silent', renotified: 0, activation: t });
}

/** Collects the transitions of one step, in order. */
class Steps {
  readonly transitions: AlarmTransition[] = [];
  alarm: Alarm;

  constructor(alarm: Alarm) {
    this.alarm = alarm;
  }

  move(t: AlarmTransition, until?: number): void {
    this.transitions.push(t);
    this.alarm = after(this.alarm, t, until);
  }
}

function onReading(alarm: Alarm, rules: AlarmRules, at: number, arrival: number, inClear: boolean, event: Severity | undefined): AlarmStep {
  // Without a silence rule no deadline is kept: one left from an older profile must not fire later.
  const { silenceAt: _previous, ...unarmed } = alarm;
  const steps = new Steps(rules.silenceMs === undefined ? unarmed : { ...alarm, silenceAt: arrival + rules.silenceMs });
  // Data is back: an activation by silence ends whatever the value says, latch or not.
  if (isRaised(steps.alarm.state) && steps.alarm.silent) {
    steps.move(transition(steps.alarm, 'NORMAL', 'clear', steps.alarm.severity, 'detector', at));
  }
  let activated = false;
  if (event !== undefined) {
    const { state, severity } = steps.alarm;
    if (state === 'NORMAL' || state === 'LATCHED') {
      steps.move(transition(steps.alarm, 'ACTIVE', 'threshold', event, 'detector', at));
      activated = true;
    } else if (isRaised(state) && moreSevere(event, severity)) {
      steps.move(transition(steps.alarm, state, 'threshold', event, 'detector', at));
    }
    // Snoozed or disabled: the detector counted the event; the alarm stays where the operator put it.
  }
  // Counting towards clearing starts with the reading after the activation.
  if (!activated && isRaised(steps.alarm.state)) {
    const clearCount = inClear ? steps.alarm.clearCount + 1 : 0;
    if (clearCount >= rules.clearAfter) {
      const to = steps.alarm.state === 'ACTIVE' && rules.latch ? 'LATCHED' : 'NORMAL';
      steps.move(transition(steps.alarm, to, 'clear', steps.alarm.severity, 'detector', at));
    } else {
      steps.alarm = { ...steps.alarm, clearCount };
    }
  }
  return { ok: true, alarm: steps.alarm, transitions: steps.transitions };
}

function onTick(alarm: Alarm, rules: AlarmRules, at: number): AlarmStep {
  const steps = new Steps(alarm);
  const due: { readonly at: number; readonly handle: () => void }[] = [];
  if (alarm.state === 'SNOOZE_DISABLED' && alarm.until !== undefined && at >= alarm.until) {
    due.push({
      at: alarm.until,
      handle: () => steps.move(transition(steps.alarm, 'NORMAL', 'snooze-expired', steps.alarm.severity, 'clock', at)),
    });
  }
  const silenceAt = alarm.silenceAt;
  if (silenceAt !== undefined && at >= silenceAt) {
    due.push({
      at: silenceAt,
      handle: () => {
        const { silenceAt: _consumed, ...rest } = steps.alarm;
        steps.alarm = rest;
        // Only a quiet printer whose alarm is at rest goes ACTIVE; otherwise the next reading sets a new deadline.
        // A deadline the current rules no longer have (SilenceSeconds removed since) is consumed and raises nothing.
        if (steps.alarm.state === 'NORMAL' && rules.silenceMs !== undefined)
          steps.move(transition(steps.alarm, 'ACTIVE', 'silent', rules.severity, 'clock', at));
      },
    });
  }
  // Earlier deadline first; the sort is stable, so a snooze ending exactly when silence falls due ends first.
  for (const deadline of due.sort((a, b) => a.at - b.at)) deadline.handle();

  let renotify: number | undefined;
  const { activation } = steps.alarm;
  if (steps.alarm.state === 'ACTIVE' && activation !== undefined && rules.renotifyMs !== undefined && rules.renotifyMs > 0) {
    // One re-notification however many periods passed: a sweep that was down does not send a burst.
    const n = Math.floor((at - Date.parse(activation.at)) / rules.renotifyMs);
    if (n > steps.alarm.renotified) {
      renotify = n;
      steps.alarm = { ...steps.alarm, renotified: n };
    }
  }
  if (steps.alarm === alarm) return { ok: true, alarm, transitions: [] };
  return { ok: true, alarm: steps.alarm, transitions: steps.transitions, ...(renotify === undefined ? {} : { renotify }) };
}

function nextRenotification(alarm: Alarm, rules: AlarmRules): number | undefined {
  if (alarm.state !== 'ACTIVE' || alarm.activation === undefined || rules.renotifyMs === undefined || rules.renotifyMs <= 0) {
    return undefined;
  }
  return Date.parse(alarm.activation.at) + (alarm.renotified + 1) * rules.renotifyMs;
}

// A note is stored, published and mailed as written; a control character in it could forge log lines or headers.
const CONTROL = /\p{Cc}/u;

/** Whether `ms` is a time a Date can hold (an ISO string can be made of it). */
const isTime = (ms: number) => Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime());

function onAction(alarm: Alarm, input: Extract<AlarmInput, { kind: 'action' }>): AlarmStep {
  const invalid = (reason: string): AlarmStep => ({ ok: false, kind: 'invalid', reason });
  const refused = (reason: string): AlarmStep => ({ ok: false, kind: 'refused', reason });
  const { action, at, by, note, until } = input;
  if (!Object.hasOwn(ACTIONS, action)) {
    return invalid(`unknown action ${JSON.stringify(action)}; expected one of ${Object.keys(ACTIONS).join(', ')}`);
  }
  if (note !== undefined && note.length > MAX_NOTE_LENGTH) {
    return invalid(`note is ${note.length} characters, over ${MAX_NOTE_LENGTH}`);
  }
  if (note !== undefined && CONTROL.test(note)) return invalid('note must not contain control characters');
  if (action === 'snooze') {
    if (until === undefined || !isTime(until)) return invalid('snooze needs until, a time in epoch ms');
    if (until <= at) return invalid(`snooze until ${new Date(until).toISOString()} is not after ${new Date(at).toISOString()}`);
  }
  const rule = ACTIONS[action];
  const to = rule.to(alarm.state);
  if (to === undefined) return refused(`alarm is ${alarm.state}; ${action} applies to ${rule.appliesTo}`);
  if (to === alarm.state && alarm.until === until) {
    return refused(`alarm is ${alarm.state} until ${new Date(until ?? at).toISOString()}; snooze to the same time changes nothing`);
  }
  const t = transition(alarm, to, action, alarm.severity, by, at, note ?? null);
  return { ok: true, alarm: after(alarm, t, until), transitions: [t] };
}
