/**
 * The item codec: a stored profile item (already converted to plain JS
 * values) to the core's printer state, and the state's parts to their stored
 * forms. The only place that knows the DynamoDB attribute names inside the
 * memory, the alarm and the last notification (`Bits`, `RunStart`,
 * `Activation`, ...); the core works on `core/types.ts`. A profile that
 * breaks the profile rules (`docs/design.md`, "Data formats") is a
 * configuration error for that printer, reported with a one-line reason.
 */
import { isRecord } from '../../common/guards.ts';
import { ATTR, type AlarmCause, type AlarmState, type Severity } from '../../contract/index.ts';
import { INITIAL_ALARM } from '../core/alarm.ts';
import type {
  Alarm,
  AlarmTransition,
  LastNotified,
  ProfileGuard,
  StoredPrinter,
  PrinterState,
  Memory,
  MetricStats,
} from '../core/types.ts';
import { requestTag } from '../core/request-tag.ts';
import { parseRules } from '../core/rules.ts';

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
    ...recentRequests(item[ATTR.recentRequests]),
    ...recordedWrites(item),
    ...readLastNotified(item[ATTR.lastNotified]),
  };
  return {
    ok: true,
    printer: {
      state,
      pendingEntries: pendingEvents instanceof Set ? [...pendingEvents].filter((e): e is string => typeof e === 'string') : [],
    },
  };
}

/** Each recorded write's entries, by request id (also from the former `LastEvent` form). */
function recordedWrites(item: Record<string, unknown>): { recorded?: Record<string, readonly string[]> } {
  const recorded: Record<string, readonly string[]> = {};
  const lastEventRequestId = item[ATTR.lastEventRequestId];
  const lastEvent = item[ATTR.lastEvent];
  if (typeof lastEvent === 'string' && typeof lastEventRequestId === 'string') {
    recorded[requestTag(lastEventRequestId)] = recordedEntries(lastEvent);
  }
  const entries = item[ATTR.requestEntries];
  if (isRecord(entries)) {
    for (const [id, json] of Object.entries(entries)) if (typeof json === 'string') recorded[id] = recordedEntries(json);
  }
  return Object.keys(recorded).length > 0 ? { recorded } : {};
}

/** The request ids the item keeps, when it keeps a list of them. */
function recentRequests(value: unknown): { requests?: readonly string[] } {
  if (!Array.isArray(value)) return {};
  // Kept at the stored length (a write is guarded by it), whatever an element is.
  return { requests: value.map((id) => (typeof id === 'string' ? id : '')) };
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
  const by = text('By');
  return {
    state: value['State'] as AlarmState,
    severity: text('Severity') as Severity | null,
    cause: text('Cause') as AlarmCause | null,
    since: text('Since'),
    transitionCount: count('Seq'),
    clearCount: count('ClearCount'),
    silent: value['Silent'] === true,
    renotified: count('Renotified'),
    ...(typeof until === 'number' ? { until } : {}),
    ...(activation ? { activation: JSON.parse(activation) as AlarmTransition } : {}),
    ...(by !== null ? { owner: { by, note: text('Note') } } : {}),
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
    Seq: alarm.transitionCount,
    ClearCount: alarm.clearCount,
    Silent: alarm.silent,
    Renotified: alarm.renotified,
    ...(alarm.until !== undefined ? { Until: alarm.until } : {}),
    ...(alarm.activation ? { Activation: JSON.stringify(alarm.activation) } : {}),
    ...(alarm.owner ? { By: alarm.owner.by, Note: alarm.owner.note } : {}),
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
 * A write's recorded entries: one entry's JSON, or a JSON array of them:
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

/** What a full write changes besides the state it was computed to leave. */
export interface FullWriteExtras {
  /** The write sets the printer's last value (the ring of recent values exists after it). */
  readonly setsRecent: boolean;
  /** Stream ingest: the position it records. */
  readonly streamSequence?: string;
  /** The request ids the write leaves listed, and the entries recorded under them (`adapters/profile-updates.ts`). */
  readonly requests?: readonly string[];
  readonly recorded?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The state a full write leaves on the item, as {@link parseProfile} reads
 * it back: for a write whose request returns no item (a transaction). The
 * memory and the alarm go through their stored forms; the profile and its
 * guard are the ones the write was guarded by; the revision is the next.
 */
export function writtenState(expected: PrinterState, next: PrinterState, write: FullWriteExtras): PrinterState {
  const lastSeq = next.lastSeq ?? expected.lastSeq;
  const lastTimestamp = next.lastTimestamp ?? expected.lastTimestamp;
  const lastStreamSequence = write.streamSequence ?? expected.lastStreamSequence;
  return {
    printerId: expected.printerId,
    rules: expected.rules,
    outOfBoundsCount: next.outOfBoundsCount,
    eventCount: next.eventCount,
    ...(lastSeq !== undefined ? { lastSeq } : {}),
    ...(lastTimestamp !== undefined ? { lastTimestamp } : {}),
    ...(lastStreamSequence !== undefined ? { lastStreamSequence } : {}),
    memory: readMemory(storedMemory(next.memory)),
    alarm: readAlarm(storedAlarm(next.alarm), next.alarm.silenceAt),
    rev: expected.rev + 1,
    guard: expected.guard,
    ...(expected.hasRecent === true || write.setsRecent ? { hasRecent: true } : {}),
    ...(next.lastNotified !== undefined ? { lastNotified: next.lastNotified } : {}),
    ...(write.requests !== undefined ? { requests: write.requests } : {}),
    ...(write.recorded !== undefined && Object.keys(write.recorded).length > 0 ? { recorded: write.recorded } : {}),
  };
}
