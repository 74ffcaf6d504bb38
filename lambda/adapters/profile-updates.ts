/**
 * The guarded `UpdateItem` of each transition: its condition (the state the
 * detector computed from, so that a stale writer fails and recomputes) and
 * its update. Why each guard is there: `docs/design.md`, "Guarantees".
 */
import { ATTR, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import type { PrinterState } from '../core/detector.ts';
import type { BatchTransition, ReadingTransition, Transition } from '../ports.ts';

/** An UpdateItem's expressions (values as plain JS; the store converts them). */
export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * What every write starts with: the item must exist, its profile must be the
 * one computed with, and this invocation's request id must not be the one
 * recorded (a retry of a write that went through is not applied twice); it
 * sets the last value and time.
 */
function guardedBase(expected: PrinterState, value: number, appliedAt: string, requestId: string) {
  const names: Record<string, string> = {
    '#id': ATTR.printerId,
    '#win': ATTR.window,
    '#thr': ATTR.thresholds,
    '#lo': ATTR.lower,
    '#up': ATTR.upper,
    '#oob': ATTR.outOfBoundsCount,
    '#val': ATTR.lastValue,
    '#seen': ATTR.lastSeenAt,
    '#evReq': ATTR.lastEventRequestId,
  };
  const values: Record<string, unknown> = {
    ':win': expected.window,
    ':lo': expected.lower,
    ':up': expected.upper,
    ':val': value,
    ':seen': appliedAt,
    ':rid': requestId,
  };
  const conditions = [
    'attribute_exists(#id)',
    '#win = :win AND #thr.#lo = :lo AND #thr.#up = :up',
    '(attribute_not_exists(#evReq) OR #evReq <> :rid)',
  ];
  const sets = ['#val = :val', '#seen = :seen'];
  /** `attr = value`, where a missing attribute counts as 0. */
  const equalsCount = (name: string, placeholder: string, count: number) => {
    values[placeholder] = count;
    return count === 0 ? `(attribute_not_exists(${name}) OR ${name} = ${placeholder})` : `${name} = ${placeholder}`;
  };
  /** The event-counting part: the new EventCount, its ranking keys, the time and the recorded events. */
  const countEvents = (eventCount: number, recorded: string) => {
    Object.assign(names, {
      '#ec': ATTR.eventCount,
      '#evAt': ATTR.lastEventAt,
      '#rankP': ATTR.rankPartition,
      '#rankK': ATTR.rankKey,
      '#lastEvent': ATTR.lastEvent,
    });
    Object.assign(values, {
      ':ec': eventCount,
      ':rankP': RANK_PARTITION_VALUE,
      ':rankK': rankKey(eventCount, expected.printerId),
      ':event': recorded,
    });
    sets.push('#ec = :ec', '#evAt = :seen', '#rankP = :rankP', '#rankK = :rankK', '#lastEvent = :event', '#evReq = :rid');
  };
  return { names, values, conditions, sets, equalsCount, countEvents };
}

function parts(
  base: { names: Record<string, string>; values: Record<string, unknown>; conditions: string[]; sets: string[] },
  removes: string[] = [],
): UpdateParts {
  return {
    UpdateExpression: `SET ${base.sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: base.conditions.join(' AND '),
    ExpressionAttributeNames: base.names,
    ExpressionAttributeValues: base.values,
  };
}

/** Builds the expression names, values, condition and update of one transition. */
export function buildUpdate(t: Transition): UpdateParts {
  return t.kind === 'batch' ? buildBatchUpdate(t) : buildReadingUpdate(t);
}

/**
 * One reading. An in-bounds reading resets the count; an out-of-bounds one
 * adds one while the count stays below the window (so concurrent increments
 * commute); an event is guarded by the exact counters it was computed from.
 */
function buildReadingUpdate(t: ReadingTransition): UpdateParts {
  const base = guardedBase(t.expected, t.reading.value, t.appliedAt, t.requestId);
  const { names, values, conditions, sets } = base;
  const { seq, timestamp } = t.reading;
  if (seq !== undefined) {
    names['#seq'] = ATTR.lastSeq;
    values[':seq'] = seq;
    conditions.push('(attribute_not_exists(#seq) OR #seq < :seq)');
    sets.push('#seq = :seq');
  }
  if (timestamp !== undefined) {
    names['#ts'] = ATTR.lastTimestamp;
    values[':ts'] = timestamp;
    if (seq === undefined) conditions.push('(attribute_not_exists(#ts) OR #ts <= :ts)');
    sets.push('#ts = :ts');
  }
  values[':zero'] = 0;
  switch (t.kind) {
    case 'reset':
      sets.push('#oob = :zero');
      break;
    case 'increment':
      values[':one'] = 1;
      values[':lastBelowWindow'] = t.expected.window - 1;
      conditions.push('(attribute_not_exists(#oob) OR #oob < :lastBelowWindow)');
      sets.push('#oob = if_not_exists(#oob, :zero) + :one');
      break;
    case 'event':
      if (t.event === undefined) throw new TypeError('an event transition needs its event');
      conditions.push(base.equalsCount('#oob', ':oobWas', t.expected.outOfBoundsCount));
      conditions.push(base.equalsCount('#ec', ':ecWas', t.expected.eventCount));
      sets.push('#oob = :zero');
      base.countEvents(t.expected.eventCount + 1, t.event);
      break;
  }
  return parts(base);
}

/**
 * A folded batch: the new counters and ordering fields, the request id (so
 * that a retry of the invocation is recognised) and, when it counted events,
 * every event for a retry to republish. Guarded by the exact state the fold
 * started from: counters, ordering fields, stream position and profile.
 */
function buildBatchUpdate(t: BatchTransition): UpdateParts {
  const { expected, next, last } = t;
  const base = guardedBase(expected, last.value, t.appliedAt, t.requestId);
  const { names, values, conditions, sets } = base;
  /** `attr = value`, or absent when there is no value yet. */
  const equalsOrAbsent = (name: string, placeholder: string, value: number | string | undefined) => {
    if (value === undefined) return `attribute_not_exists(${name})`;
    values[placeholder] = value;
    return `${name} = ${placeholder}`;
  };
  /** Guarded by the value it had, set to the value it has now (when it has one). */
  const carry = (
    name: string,
    attribute: string,
    placeholder: string,
    was: number | string | undefined,
    now: number | string | undefined,
  ) => {
    if (was === undefined && now === undefined) return;
    names[name] = attribute;
    conditions.push(equalsOrAbsent(name, `${placeholder}Was`, was));
    if (now !== undefined) {
      values[placeholder] = now;
      sets.push(`${name} = ${placeholder}`);
    }
  };
  names['#ec'] = ATTR.eventCount;
  conditions.push(base.equalsCount('#oob', ':oobWas', expected.outOfBoundsCount), base.equalsCount('#ec', ':ecWas', expected.eventCount));
  values[':oob'] = next.outOfBoundsCount;
  sets.push('#oob = :oob');
  carry('#seq', ATTR.lastSeq, ':seq', expected.lastSeq, next.lastSeq);
  carry('#ts', ATTR.lastTimestamp, ':ts', expected.lastTimestamp, next.lastTimestamp);
  if (t.streamSequence !== undefined) carry('#stream', ATTR.lastStreamSequence, ':stream', expected.lastStreamSequence, t.streamSequence);
  if (t.events.length > 0) {
    // One event as itself; several as a JSON array of them (read back by `core/profile.ts`).
    base.countEvents(next.eventCount, t.events.length === 1 ? t.events[0]! : `[${t.events.join(',')}]`);
    return parts(base);
  }
  // The request id now names this write, which counted no event: no older event may pass for its own.
  names['#lastEvent'] = ATTR.lastEvent;
  values[':rid'] = t.requestId;
  sets.push('#evReq = :rid');
  return parts(base, ['#lastEvent']);
}
