/**
 * Outbox entries: what a write counted and must be delivered exactly once
 * when nothing fails (at least once when something does): anomaly events
 * (published on `anom/pred` and recorded in history), alarm transitions
 * (published on `anom/alarm/<PrinterId>`, recorded, and notified when they
 * are notifiable) and re-notifications (notified only). The write records its
 * entries as JSON; an entry whose delivery fails stays pending on the item
 * until a later invocation delivers it. Pure.
 */
import type { AlarmNotification, AlarmTransitionPayload, AnomalyEvent, HistoryItem } from '../../contract/index.ts';
import { moreSevere } from './severity.ts';
import type { AlarmTransition, LastNotified, PrinterState } from './types.ts';

export type OutboxEntry =
  | { readonly kind: 'event'; readonly event: AnomalyEvent }
  | {
      readonly kind: 'transition';
      readonly seq: number;
      readonly payload: AlarmTransitionPayload;
      /** Notified as one write's group (see {@link transitionEntries}); absent in entries written before grouping. */
      readonly group?: { readonly notify: false } | { readonly notify: true; readonly folded: number };
    }
  | { readonly kind: 'renotify'; readonly seq: number; readonly renotify: number; readonly payload: AlarmTransitionPayload };

/** The `anom/alarm` payload of a printer's transition. */
export function transitionPayload(printerId: string, t: AlarmTransition): AlarmTransitionPayload {
  return { PrinterId: printerId, From: t.from, To: t.to, Cause: t.cause, Severity: t.severity, By: t.by, Note: t.note, At: t.at };
}

/** An anomaly event's entry: the event's own JSON, as published (so entries written before alarms existed still read). */
export function eventEntry(event: AnomalyEvent): string {
  return JSON.stringify(event);
}

export function transitionEntry(printerId: string, t: AlarmTransition, group?: { notify: boolean; folded: number }): string {
  const grouping = group === undefined ? {} : group.notify ? { Folded: group.folded } : { Notify: false };
  return JSON.stringify({ Type: 'transition', Seq: t.seq, ...grouping, ...transitionPayload(printerId, t) });
}

/** The transitions' entries with no pacing (see {@link groupTransitions}). */
export function transitionEntries(printerId: string, transitions: readonly AlarmTransition[]): string[] {
  return groupTransitions(printerId, transitions).entries;
}

/** What paces a printer's notifications: its `NotifyMinIntervalSeconds` (ms), when it was last notified, the write's time. */
export interface Pacing {
  readonly minIntervalMs?: number;
  readonly last?: LastNotified;
  /** The write's time (epoch ms): a reading's arrival, the sweep's or the action's time. */
  readonly at: number;
}

/**
 * The entries of the transitions one write made, notified as one group (`docs/design.md`, "Alarms"): every
 * transition is recorded and published, but only the last notifiable one is notified, carrying how many earlier
 * notifiable ones of the write it stands for. A batch that flaps an alarm notifies its net effect once. With a
 * minimum interval, that one is held too (recorded and published, not notified) when the alarm was notified less
 * than the interval before, unless its severity is higher than that notification's. `lastNotified`: the
 * printer's pacing record after the write (kept only when the rules pace).
 */
export function groupTransitions(
  printerId: string,
  transitions: readonly AlarmTransition[],
  pacing?: Pacing,
): { entries: string[]; lastNotified?: LastNotified } {
  const payloads = transitions.map((t) => transitionPayload(printerId, t));
  const notifiable = payloads.filter(isNotified);
  const kept = pacing?.last === undefined ? {} : { lastNotified: pacing.last };
  const last = notifiable.at(-1);
  if (last === undefined) return { entries: transitions.map((t) => transitionEntry(printerId, t)), ...kept };
  const held = pacing !== undefined && isHeld(last, pacing);
  let seen = 0;
  const entries = transitions.map((t, i) => {
    if (!isNotified(payloads[i]!)) return transitionEntry(printerId, t);
    seen += 1;
    return transitionEntry(printerId, t, { notify: !held && seen === notifiable.length, folded: notifiable.length - 1 });
  });
  if (held || pacing?.minIntervalMs === undefined) return { entries, ...kept };
  return { entries, lastNotified: { at: pacing.at, severity: last.Severity } };
}

/** A printer's pacing for a write at `at` (epoch ms). */
export function pacingOf(state: PrinterState, at: number): Pacing {
  const { notifyMinIntervalMs } = state.rules;
  return {
    at,
    ...(notifyMinIntervalMs !== undefined ? { minIntervalMs: notifyMinIntervalMs } : {}),
    ...(state.lastNotified !== undefined ? { last: state.lastNotified } : {}),
  };
}

function isHeld(t: AlarmTransitionPayload, { minIntervalMs, last, at }: Pacing): boolean {
  if (minIntervalMs === undefined || last === undefined || at - last.at >= minIntervalMs) return false;
  return t.Severity === null || !moreSevere(t.Severity, last.severity);
}

export function renotifyEntry(printerId: string, activation: AlarmTransition, renotify: number): string {
  return JSON.stringify({ Type: 'renotify', Seq: activation.seq, Renotify: renotify, Message: transitionPayload(printerId, activation) });
}

/** Reads an entry; undefined for JSON this code did not write. */
export function parseEntry(json: string): OutboxEntry | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (value['Type'] === 'transition' && typeof value['Seq'] === 'number' && typeof value['PrinterId'] === 'string') {
    const { Type: _type, Seq: seq, Notify: notify, Folded: folded, ...payload } = value;
    const group =
      notify === false ? { notify: false as const } : typeof folded === 'number' ? { notify: true as const, folded } : undefined;
    return {
      kind: 'transition',
      seq: seq as number,
      payload: payload as unknown as AlarmTransitionPayload,
      ...(group === undefined ? {} : { group }),
    };
  }
  if (value['Type'] === 'renotify' && typeof value['Renotify'] === 'number' && typeof value['Message'] === 'object') {
    return {
      kind: 'renotify',
      seq: value['Seq'] as number,
      renotify: value['Renotify'],
      payload: value['Message'] as AlarmTransitionPayload,
    };
  }
  const event = value as unknown as AnomalyEvent;
  if (typeof event.PrinterId === 'string' && typeof event.events === 'number' && typeof event.at === 'string') {
    return { kind: 'event', event };
  }
  return undefined;
}

/** Delivery order: by time; at one time, events before transitions, each in its own count order. */
export function compareEntries(a: OutboxEntry, b: OutboxEntry): number {
  const time = (e: OutboxEntry) => (e.kind === 'event' ? e.event.at : e.payload.At);
  const rank = (e: OutboxEntry) => (e.kind === 'event' ? 0 : e.kind === 'transition' ? 1 : 2);
  const number = (e: OutboxEntry) => (e.kind === 'event' ? e.event.events : e.kind === 'transition' ? e.seq : e.renotify);
  return time(a).localeCompare(time(b)) || rank(a) - rank(b) || number(a) - number(b);
}

/**
 * Whether a transition is notified: an activation (to ACTIVE by threshold or
 * silence), an escalation, a latch, and a clear back to NORMAL. Operators'
 * actions and the clock's snooze expiry are not: whoever acted knows.
 */
export function isNotified(t: AlarmTransitionPayload): boolean {
  if (t.To === 'ACTIVE' && (t.Cause === 'threshold' || t.Cause === 'silent')) return true;
  if (t.From === t.To && t.Cause === 'threshold') return true;
  if (t.To === 'LATCHED') return true;
  return t.To === 'NORMAL' && t.Cause === 'clear';
}

/** A notification's subject: printer, state, cause and severity, on one line. */
export function notificationSubject(t: AlarmTransitionPayload, renotify?: number, folded?: number): string {
  const escalated = t.From === t.To && t.Cause === 'threshold';
  const what = `${t.To} (${t.Cause}${escalated ? `, escalated to ${t.Severity}` : ''})`;
  const again = renotify !== undefined ? ` [reminder ${renotify}]` : '';
  const group = folded !== undefined ? ` [after ${folded} more change${folded === 1 ? '' : 's'}]` : '';
  return `[${t.Severity ?? 'none'}] ${t.PrinterId} alarm ${what}${again}${group}`;
}

/** The notification an entry makes, if any. */
export function notificationOf(entry: OutboxEntry): AlarmNotification | undefined {
  if (entry.kind === 'renotify') {
    return { Subject: notificationSubject(entry.payload, entry.renotify), Message: entry.payload, Renotify: entry.renotify };
  }
  if (entry.kind === 'transition' && isNotified(entry.payload) && entry.group?.notify !== false) {
    const folded = entry.group?.notify === true && entry.group.folded > 0 ? entry.group.folded : undefined;
    if (folded === undefined) return { Subject: notificationSubject(entry.payload), Message: entry.payload };
    return { Subject: notificationSubject(entry.payload, undefined, folded), Message: entry.payload, Folded: folded };
  }
  return undefined;
}

/** The history item an entry makes, if any (re-notifications are not recorded). */
export function historyItemOf(entry: OutboxEntry): { item: HistoryItem; number: number } | undefined {
  if (entry.kind === 'event') return { item: { ...entry.event, Type: 'event' }, number: entry.event.events };
  if (entry.kind === 'transition') return { item: { ...entry.payload, Type: 'transition' }, number: entry.seq };
  return undefined;
}
