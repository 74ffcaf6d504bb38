/**
 * The `UpdateItem` of each guarded write: its condition (the state the
 * detector computed from, so that a stale writer fails and recomputes) and
 * its update. Why each guard is there: `docs/design.md`, "Guarantees".
 */
import {
  ALARM_PARTITION_VALUE,
  ATTR,
  alarmKey,
  DUE_PARTITION_VALUE,
  MAX_RECENT_REQUEST_IDS,
  RANK_PARTITION_VALUE,
  RECENT_REQUEST_IDS,
  rankKey,
} from '../../contract/index.ts';
import { alarmDeadline } from '../core/alarm.ts';
import type { Reading, PrinterState } from '../core/types.ts';
import { storedAlarm, storedLastNotified, storedMemory } from './profile-item.ts';
import { requestTag } from '../core/request-tag.ts';
import { alarmRules } from '../core/step.ts';
import type { FullWrite, ReadingWrite, GuardedWrite } from '../ports.ts';

/** An UpdateItem's expressions (values as plain JS; the store converts them). */
export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** Recent values kept per printer (slots of a ring, overwritten in turn). */
export const RECENT_SLOTS = 12;

/** Collects the names, values, conditions and actions of one update. */
class Update {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly conditions: string[] = [];
  readonly sets: string[] = [];
  readonly removes: string[] = [];
  readonly adds: string[] = [];
  private placeholders = 0;

  /** A placeholder for an attribute name. */
  name(attribute: string): string {
    const existing = Object.entries(this.names).find(([, value]) => value === attribute);
    if (existing) return existing[0];
    const placeholder = `#n${this.placeholders++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** A placeholder for a value. */
  value(value: unknown): string {
    const placeholder = `:v${this.placeholders++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `path = value`, where an absent attribute counts as `absentIs` when given. */
  equals(path: string, value: number | string | undefined, absentIs?: number): string {
    if (value === undefined) return `attribute_not_exists(${path})`;
    const v = this.value(value);
    return value === absentIs ? `(attribute_not_exists(${path}) OR ${path} = ${v})` : `${path} = ${v}`;
  }

  set(attribute: string, value: unknown): void {
    if (value === undefined) this.removes.push(this.name(attribute));
    else this.sets.push(`${this.name(attribute)} = ${this.value(value)}`);
  }

  parts(): UpdateParts {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length > 0 ? `REMOVE ${this.removes.join(', ')}` : '',
      this.adds.length > 0 ? `ADD ${this.adds.join(', ')}` : '',
    ];
    return {
      UpdateExpression: clauses.filter(Boolean).join(' '),
      ConditionExpression: this.conditions.join(' AND '),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
    };
  }
}

/**
 * What every write starts with: the item must exist, its own profile scalars
 * must be the ones computed with, and its revision (memory and alarm) must
 * be the one read.
 */
function guarded(expected: PrinterState): Update {
  const u = new Update();
  u.conditions.push(`attribute_exists(${u.name(ATTR.printerId)})`);
  for (const { path, value } of expected.guard) {
    u.conditions.push(u.equals(path.map((part: string) => u.name(part)).join('.'), value));
  }
  u.conditions.push(u.equals(u.name(ATTR.rev), expected.rev, 0));
  return u;
}

/**
 * This invocation's request id must not be one the item keeps: a redelivery of
 * a write that went through is not applied twice, whatever landed in between
 * (up to the bound, `docs/design.md`, "Guarantees").
 */
function notThisRequest(u: Update, requestId: string): void {
  const req = u.name(ATTR.lastEventRequestId);
  const recent = u.name(ATTR.recentRequests);
  u.conditions.push(`(attribute_not_exists(${req}) OR ${req} <> ${u.value(requestId)})`);
  u.conditions.push(`(attribute_not_exists(${recent}) OR NOT contains(${recent}, ${u.value(requestTag(requestId))}))`);
}

/**
 * A counter-only write appends its request id while the list is below its
 * maximum (appends commute, like the counter's increments); at the maximum the
 * condition fails and the writer, seeing the full list, makes a full write.
 */
function appendRequest(u: Update, requestId: string): void {
  const recent = u.name(ATTR.recentRequests);
  u.conditions.push(`(attribute_not_exists(${recent}) OR size(${recent}) < ${u.value(MAX_RECENT_REQUEST_IDS)})`);
  u.sets.push(`${recent} = list_append(if_not_exists(${recent}, ${u.value([])}), ${u.value([requestTag(requestId)])})`);
}

/** The request ids a full write leaves listed (the latest ones and its own), and the entries kept under them. */
export function requestsAfter(t: FullWrite): { requests: readonly string[]; recorded: Record<string, readonly string[]> } {
  const own = requestTag(t.requestId);
  const requests = [...(t.expected.requests ?? []).slice(-(RECENT_REQUEST_IDS - 1)), own];
  const recorded: Record<string, readonly string[]> = {};
  for (const id of requests) {
    const list = id === own ? t.entries : t.expected.recorded?.[id];
    if (list !== undefined && list.length > 0) recorded[id] = list;
  }
  return { requests, recorded };
}

/**
 * A full write sets the list to its latest ids and its own, guarded by the
 * length it read (only appends change it meanwhile), and keeps the entries of
 * the writes still listed, with its own: one entry as itself, several as a
 * JSON array (read back by `profile-item.ts`).
 */
function recordRequest(u: Update, t: FullWrite): void {
  const recent = u.name(ATTR.recentRequests);
  const was = t.expected.requests;
  u.conditions.push(was === undefined ? `attribute_not_exists(${recent})` : `size(${recent}) = ${u.value(was.length)}`);
  const { requests, recorded } = requestsAfter(t);
  u.set(ATTR.recentRequests, [...requests]);
  const entries: Record<string, string> = {};
  const stored = (list: readonly string[]) => (list.length === 1 ? list[0]! : `[${list.join(',')}]`);
  for (const [id, list] of Object.entries(recorded)) entries[id] = stored(list);
  u.set(ATTR.requestEntries, Object.keys(entries).length > 0 ? entries : undefined);
  u.set(ATTR.lastEvent, undefined);
  u.set(ATTR.lastEventRequestId, undefined);
}

/** The reading's value and time become the printer's last; its value goes into a slot of the recent ring. */
function lastReading(u: Update, reading: Reading, appliedAt: string, hasRecent: boolean): void {
  const value = mainValue(reading);
  if (value !== undefined) u.set(ATTR.lastValue, value);
  u.set(ATTR.lastSeenAt, appliedAt);
  if (value === undefined) return;
  const time = reading.timestamp ?? Date.parse(appliedAt);
  const slot = `s${(reading.seq ?? Math.floor(time / 1000)) % RECENT_SLOTS}`;
  const point = [time, value];
  if (hasRecent) u.sets.push(`${u.name(ATTR.recent)}.${u.name(slot)} = ${u.value(point)}`);
  else u.set(ATTR.recent, { [slot]: point });
}

/** The value a printer's chart shows: `data.value`, else its first metric. */
export function mainValue(reading: Reading): number | undefined {
  return reading.metrics['value'] ?? Object.values(reading.metrics)[0];
}

/** The clock's deadline for the printer after the write, in the sparse deadline index (or out of it). */
function deadline(u: Update, next: PrinterState, dueBy?: number): void {
  const alarmDue = alarmDeadline(next.alarm, alarmRules(next.rules));
  const due = dueBy === undefined ? alarmDue : Math.min(alarmDue ?? dueBy, dueBy);
  u.set(ATTR.silenceAt, next.alarm.silenceAt);
  u.set(ATTR.dueAt, due);
  u.set(ATTR.duePartition, due === undefined ? undefined : DUE_PARTITION_VALUE);
}

/** Builds the expression names, values, condition and update of one guarded write. */
export function buildUpdate(t: GuardedWrite): UpdateParts {
  const hasRecent = t.expected.hasRecent === true;
  return t.kind === 'full' ? buildFullUpdate(t, hasRecent) : buildReadingUpdate(t, hasRecent);
}

/**
 * One reading that only moves the count. An in-bounds reading resets it; an
 * out-of-bounds one adds one while the count stays below the window, so
 * concurrent increments commute.
 */
function buildReadingUpdate(t: ReadingWrite, hasRecent: boolean): UpdateParts {
  const u = guarded(t.expected);
  notThisRequest(u, t.requestId);
  appendRequest(u, t.requestId);
  const { seq, timestamp } = t.reading;
  if (seq !== undefined) {
    const s = u.name(ATTR.lastSeq);
    u.conditions.push(`(attribute_not_exists(${s}) OR ${s} < ${u.value(seq)})`);
    u.set(ATTR.lastSeq, seq);
  }
  if (timestamp !== undefined) {
    const ts = u.name(ATTR.lastTimestamp);
    if (seq === undefined) u.conditions.push(`(attribute_not_exists(${ts}) OR ${ts} <= ${u.value(timestamp)})`);
    u.set(ATTR.lastTimestamp, timestamp);
  }
  const oob = u.name(ATTR.outOfBoundsCount);
  if (t.kind === 'reset') {
    u.set(ATTR.outOfBoundsCount, 0);
  } else {
    u.conditions.push(`(attribute_not_exists(${oob}) OR ${oob} < ${u.value(t.expected.rules.window - 1)})`);
    u.sets.push(`${oob} = if_not_exists(${oob}, ${u.value(0)}) + ${u.value(1)}`);
  }
  lastReading(u, t.reading, t.appliedAt, hasRecent);
  if (t.next.alarm.silenceAt !== t.expected.alarm.silenceAt) deadline(u, t.next);
  return u.parts();
}

/**
 * The whole new state, guarded by the exact state it was computed from:
 * counters, ordering fields, stream position, revision and profile. It sets
 * the counters, the memory, the alarm and its indexes, the clock's deadline
 * and a new revision, and records what it counted.
 */
function buildFullUpdate(t: FullWrite, hasRecent: boolean): UpdateParts {
  const { expected, next } = t;
  const u = guarded(expected);
  if (t.record === 'request') notThisRequest(u, t.requestId);
  /** Guarded by the value it had, set to the value it has now (when it has one). */
  const carry = (attribute: string, was: number | string | undefined, now: number | string | undefined) => {
    if (was === undefined && now === undefined) return;
    u.conditions.push(u.equals(u.name(attribute), was));
    if (now !== undefined) u.set(attribute, now);
  };
  u.conditions.push(u.equals(u.name(ATTR.outOfBoundsCount), expected.outOfBoundsCount, 0));
  u.conditions.push(u.equals(u.name(ATTR.eventCount), expected.eventCount, 0));
  u.set(ATTR.outOfBoundsCount, next.outOfBoundsCount);
  carry(ATTR.lastSeq, expected.lastSeq, next.lastSeq);
  carry(ATTR.lastTimestamp, expected.lastTimestamp, next.lastTimestamp);
  if (t.streamSequence !== undefined) carry(ATTR.lastStreamSequence, expected.lastStreamSequence, t.streamSequence);
  if (next.eventCount !== expected.eventCount) {
    u.set(ATTR.eventCount, next.eventCount);
    u.set(ATTR.lastEventAt, t.appliedAt);
    u.set(ATTR.rankPartition, RANK_PARTITION_VALUE);
    u.set(ATTR.rankKey, rankKey(next.eventCount, next.printerId));
  }
  u.set(ATTR.memory, storedMemory(next.memory));
  u.set(ATTR.alarm, storedAlarm(next.alarm));
  if (next.lastNotified !== expected.lastNotified) u.set(ATTR.lastNotified, storedLastNotified(next.lastNotified));
  const listed = next.alarm.state !== 'NORMAL';
  u.set(ATTR.alarmPartition, listed ? ALARM_PARTITION_VALUE : undefined);
  u.set(ATTR.alarmKey, next.alarm.state !== 'NORMAL' ? alarmKey(next.alarm.state, next.printerId) : undefined);
  deadline(u, next, t.dueBy);
  u.set(ATTR.rev, expected.rev + 1);
  if (t.last !== undefined) lastReading(u, t.last, t.appliedAt, hasRecent);
  if (t.record === 'request') {
    recordRequest(u, t);
  } else if (t.entries.length > 0) {
    u.adds.push(`${u.name(ATTR.pendingEvents)} ${u.value(new Set(t.entries))}`);
  }
  return u.parts();
}
