/**
 * Reading a stored profile item (already converted to plain JS values) into
 * the detector's state. Pure. A profile that breaks the profile rules
 * (`docs/design.md`, "Data formats") is a configuration error for that
 * printer, reported with a one-line reason.
 */
import { isRecord } from '../../common/guards.ts';
import { ATTR, type AlarmCause, type AlarmState, type Severity } from '../../contract/index.ts';
import { type Alarm, type AlarmTransition, INITIAL_ALARM } from './alarm.ts';
import type { LastNotified, Memory, MetricStats, PrinterState } from './detector.ts';
import { parseRules } from './rules.ts';

/**
 * One scalar of the printer's own profile that a write is guarded by: the
 * attribute path and the value the state was computed with. A profile changed
 * under a writer fails its guard, and the writer recomputes.
 */
export interface ProfileGuard {
  readonly path: readonly string[];
  readonly value: number | string;
}

/** A printer as stored: detector state plus the bookkeeping the handler needs. */
export interface StoredPrinter {
  readonly state: PrinterState;
  /** Outbox entries (events, alarm transitions, re-notifications) not delivered yet (JSON, as stored). */
  readonly pendingEvents: readonly string[];
  /** The outbox entries the latest recorded write made (JSON): what a redelivery of its invocation delivers again. */
  readonly lastEvents: readonly string[];
  /** Invocation id of the latest write that recorded its request id. */
  readonly lastEventRequestId?: string;
}

export type ParsedProfile = { readonly ok: true; readonly printer: StoredPrinter } | { readonly ok: false; readonly reason: string };

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Validates a profile item (with the fleet defaults, when there are any); never throws. */
export function parseProfile(item: Record<string, unknown>, defaults?: Record<string, unknown>): ParsedProfile {
  const printerId = item[ATTR.printerId];
  if (typeof printerId !== 'string') return { ok: false, reason: 'PrinterId is not a string' };
  const parsed = parseRules(item, defaults);
  if (!parsed.ok) return { ok: false, reason: parsed.reasons.join('; ') };

  const outOfBoundsCount = item[ATTR.outOfBoundsCount] ?? 0;
  if (!isCount(outOfBoundsCount)) return { ok: false, reason: 'OutOfBoundsCount must be a non-negative integer' };
  const eventCount = item[ATTR.eventCount] ?? 0;
  if (!isCount(eventCount)) return { ok: false, reason: 'EventCount must be a non-negative integer' };

  const lastSeq = item[ATTR.lastSeq];
  const lastTimestamp = item[ATTR.lastTimestamp];
  const lastStreamSequence = item[ATTR.lastStreamSequence];
  const pendingEvents = item[ATTR.pendingEvents];
  const lastEventRequestId = item[ATTR.lastEventRequestId];
  const lastEvent = item[ATTR.lastEvent];
  const rev = item[ATTR.rev];

  const state: PrinterState = {
    printerId,
    rules: parsed.rules,
    outOfBoundsCount,
    eventCount,
    ...(typeof lastSeq === 'number' ? { lastSeq } : {}),
    ...(typeof lastTimestamp === 'number' ? { lastTimestamp } : {}),
    ...(typeof lastStreamSequence === 'string' ? { lastStreamSequence } : {}),
    memory: readMemory(item[ATTR.memory]),
    alarm: readAlarm(item[ATTR.alarm], item[ATTR.silenceAt]),
    rev: isCount(rev) ? rev : 0,
    guard: profileGuard(item),
    ...(isRecord(item[ATTR.recent]) ? { hasRecent: true } : {}),
    ...readLastNotified(item[ATTR.lastNotified]),
  };
  return {
    ok: true,
    printer: {
      state,
      pendingEvents: pendingEvents instanceof Set ? [...pendingEvents].filter((e): e is string => typeof e === 'string') : [],
      lastEvents: typeof lastEvent === 'string' ? recordedEntries(lastEvent) : [],
      ...(typeof lastEventRequestId === 'string' ? { lastEventRequestId } : {}),
    },
  };
}

/** The scalars of the printer's own profile that decide what a reading does: thresholds, window and mode. */
function profileGuard(item: Record<string, unknown>): ProfileGuard[] {
  const guard: ProfileGuard[] = [];
  for (const name of [ATTR.window, ATTR.mode, ATTR.of, ATTR.durationSeconds]) {
    const value = item[name];
    if (typeof value === 'number' || typeof value === 'string') guard.push({ path: [name], value });
  }
  const thresholds = item[ATTR.thresholds];
  if (!isRecord(thresholds)) return guard;
  for (const [key, band] of Object.entries(thresholds)) {
    if (typeof band === 'number') guard.push({ path: [ATTR.thresholds, key], value: band });
    if (!isRecord(band)) continue;
    for (const bound of [ATTR.lower, ATTR.upper]) {
      const value = band[bound];
      if (typeof value === 'number') guard.push({ path: [ATTR.thresholds, key, bound], value });
    }
  }
  return guard;
}

function readMemory(value: unknown): Memory {
  if (!isRecord(value)) return {};
  const bits = value['Bits'];
  const runStart = value['RunStart'];
  const stats = value['Stats'];
  const read: Record<string, MetricStats> = {};
  if (isRecord(stats)) {
    for (const [metric, s] of Object.entries(stats)) {
      if (isRecord(s) && typeof s['N'] === 'number' && typeof s['Mean'] === 'number' && typeof s['Var'] === 'number') {
        read[metric] = { n: s['N'], mean: s['Mean'], variance: s['Var'] };
      }
    }
  }
  return {
    ...(typeof bits === 'string' && /^[01]*$/.test(bits) && bits !== '' ? { bits } : {}),
    ...(typeof runStart === 'number' ? { runStart } : {}),
    ...(Object.keys(read).length > 0 ? { stats: read } : {}),
  };
}

/** A memory as stored (the inverse of {@link readMemory}); undefined when empty. */
export function storedMemory(memory: Memory): Record<string, unknown> | undefined {
  const stats = memory.stats
    ? Object.fromEntries(Object.entries(memory.stats).map(([m, s]) => [m, { N: s.n, Mean: s.mean, Var: s.variance }]))
    : undefined;
  const stored = {
    ...(memory.bits ? { Bits: memory.bits } : {}),
    ...(memory.runStart !== undefined ? { RunStart: memory.runStart } : {}),
    ...(stats ? { Stats: stats } : {}),
  };
  return Object.keys(stored).length > 0 ? stored : undefined;
}

const STATES = new Set<AlarmState>(['NORMAL', 'ACTIVE', 'ACKNOWLEDGED', 'LATCHED', 'SNOOZE_DISABLED', 'DISABLED']);

function readAlarm(value: unknown, silenceAt: unknown): Alarm {
  const silence = typeof silenceAt === 'number' ? { silenceAt } : {};
  if (!isRecord(value) || !STATES.has(value['State'] as AlarmState)) return { ...INITIAL_ALARM, ...silence };
  const text = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : null);
  const count = (key: string) => (isCount(value[key]) ? (value[key] as number) : 0);
  const activation = text('Activation');
  const until = value['Until'];
  return {
    state: value['State'] as AlarmState,
    severity: text('Severity') as Severity | null,
    cause: text('Cause') as AlarmCause | null,
    since: text('Since'),
    seq: count('Seq'),
    clearCount: count('ClearCount'),
    silent: value['Silent'] === true,
    renotified: count('Renotified'),
    ...(typeof until === 'number' ? { until } : {}),
    ...(activation ? { activation: JSON.parse(activation) as AlarmTransition } : {}),
    ...silence,
  };
}

/** An alarm as stored in its map (the silence deadline is stored apart, at the top level). */
export function storedAlarm(alarm: Alarm): Record<string, unknown> {
  return {
    State: alarm.state,
    Severity: alarm.severity,
    Cause: alarm.cause,
    Since: alarm.since,
    Seq: alarm.seq,
    ClearCount: alarm.clearCount,
    Silent: alarm.silent,
    Renotified: alarm.renotified,
    ...(alarm.until !== undefined ? { Until: alarm.until } : {}),
    ...(alarm.activation ? { Activation: JSON.stringify(alarm.activation) } : {}),
  };
}

/** When and at what severity the alarm was last notified, as stored by {@link storedLastNotified}. */
function readLastNotified(value: unknown): { lastNotified?: LastNotified } {
  if (!isRecord(value) || typeof value['At'] !== 'number') return {};
  const severity = typeof value['Severity'] === 'string' ? (value['Severity'] as Severity) : null;
  return { lastNotified: { at: value['At'], severity } };
}

export function storedLastNotified(last: LastNotified | undefined): Record<string, unknown> | undefined {
  return last === undefined ? undefined : { At: last.at, Severity: last.severity };
}

/**
 * `LastEvent` holds one entry's JSON, or a JSON array of a write's entries:
 * either way, the entries' JSON one by one (as delivered).
 */
function recordedEntries(lastEvent: string): string[] {
  if (!lastEvent.startsWith('[')) return [lastEvent];
  try {
    const entries = JSON.parse(lastEvent) as unknown;
    return Array.isArray(entries) ? entries.map((entry) => JSON.stringify(entry)) : [lastEvent];
  } catch {
    return [lastEvent];
  }
}
