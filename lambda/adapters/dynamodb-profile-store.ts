/**
 * The DynamoDB adapter: one guarded UpdateItem per reading.
 *
 * Every write is conditional on the state the detector computed from (profile
 * unchanged, ordering rules, and for events the exact counters), so concurrent
 * invocations can never overwrite each other: a writer whose view is stale
 * gets the current item back and recomputes. Nothing here scans the table, and
 * no write can create an item (every condition requires the item to exist).
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ATTR, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import { ProfileStoreError } from '../errors.ts';
import type { ApplyResult, BatchTransition, ProfileItem, ProfileStore, Transition } from '../ports.ts';

const toNative = (item: Record<string, AttributeValue>): ProfileItem => unmarshall(item, { wrapNumbers: (text: string) => Number(text) });

/**
 * `marshall` for the expression values, which are strings and numbers: those
 * are converted directly (as `marshall` converts them), anything else goes
 * through `marshall`. This is on every write's path.
 */
export function toAttributeValues(values: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const key in values) {
    const value = values[key];
    if (typeof value === 'string') out[key] = { S: value };
    else if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER)
      out[key] = { N: value.toString() };
    else out[key] = marshall({ value }).value as AttributeValue;
  }
  return out;
}

/** Builds the expression names, values, condition and update of one transition. */
export function buildUpdate(t: Transition): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  if (t.kind === 'batch') return buildBatchUpdate(t);
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
    ':win': t.expected.window,
    ':lo': t.expected.lower,
    ':up': t.expected.upper,
    ':val': t.reading.value,
    ':seen': t.appliedAt,
    ':rid': t.requestId,
  };
  const conditions = [
    'attribute_exists(#id)',
    '#win = :win AND #thr.#lo = :lo AND #thr.#up = :up',
    '(attribute_not_exists(#evReq) OR #evReq <> :rid)',
  ];
  const sets = ['#val = :val', '#seen = :seen'];

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

  /** `attr = value`, where a missing attribute counts as 0. */
  const equalsCount = (name: string, placeholder: string, value: number) => {
    values[placeholder] = value;
    return value === 0 ? `(attribute_not_exists(${name}) OR ${name} = ${placeholder})` : `${name} = ${placeholder}`;
  };

  switch (t.kind) {
    case 'reset':
      values[':zero'] = 0;
      sets.push('#oob = :zero');
      break;
    case 'increment':
      values[':zero'] = 0;
      values[':one'] = 1;
      values[':lastBelowWindow'] = t.expected.window - 1;
      conditions.push('(attribute_not_exists(#oob) OR #oob < :lastBelowWindow)');
      sets.push('#oob = if_not_exists(#oob, :zero) + :one');
      break;
    case 'event': {
      if (t.event === undefined) throw new TypeError('an event transition needs its event');
      const eventCount = t.expected.eventCount + 1;
      Object.assign(names, {
        '#ec': ATTR.eventCount,
        '#evAt': ATTR.lastEventAt,
        '#rankP': ATTR.rankPartition,
        '#rankK': ATTR.rankKey,
        '#lastEvent': ATTR.lastEvent,
      });
      conditions.push(equalsCount('#oob', ':oobWas', t.expected.outOfBoundsCount));
      conditions.push(equalsCount('#ec', ':ecWas', t.expected.eventCount));
      Object.assign(values, {
        ':zero': 0,
        ':ec': eventCount,
        ':rankP': RANK_PARTITION_VALUE,
        ':rankK': rankKey(eventCount, t.expected.printerId),
        ':event': t.event,
      });
      sets.push('#oob = :zero', '#ec = :ec', '#evAt = :seen', '#rankP = :rankP', '#rankK = :rankK', '#lastEvent = :event', '#evReq = :rid');
      break;
    }
  }

  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * The write of a folded batch: the new counters, last value and ordering
 * fields, the request id (so that a retry of the invocation is recognised)
 * and, when the batch counted events, every event for a retry to republish.
 * Guarded by the exact state the fold started from: counters, ordering
 * fields and profile.
 */
export function buildBatchUpdate(t: BatchTransition): ReturnType<typeof buildUpdate> {
  const { expected, next, last } = t;
  const names: Record<string, string> = {
    '#id': ATTR.printerId,
    '#win': ATTR.window,
    '#thr': ATTR.thresholds,
    '#lo': ATTR.lower,
    '#up': ATTR.upper,
    '#oob': ATTR.outOfBoundsCount,
    '#ec': ATTR.eventCount,
    '#val': ATTR.lastValue,
    '#seen': ATTR.lastSeenAt,
    '#evReq': ATTR.lastEventRequestId,
    '#lastEvent': ATTR.lastEvent,
  };
  const values: Record<string, unknown> = {
    ':win': expected.window,
    ':lo': expected.lower,
    ':up': expected.upper,
    ':val': last.value,
    ':seen': t.appliedAt,
    ':rid': t.requestId,
    ':oob': next.outOfBoundsCount,
    ':ec': next.eventCount,
  };
  /** `attr = value`, where a missing attribute counts as 0. */
  const equalsCount = (name: string, placeholder: string, value: number) => {
    values[placeholder] = value;
    return value === 0 ? `(attribute_not_exists(${name}) OR ${name} = ${placeholder})` : `${name} = ${placeholder}`;
  };
  /** `attr = value`, or absent when there is no value yet. */
  const equalsOrAbsent = (name: string, placeholder: string, value: number | undefined) => {
    if (value === undefined) return `attribute_not_exists(${name})`;
    values[placeholder] = value;
    return `${name} = ${placeholder}`;
  };
  const conditions = [
    'attribute_exists(#id)',
    '#win = :win AND #thr.#lo = :lo AND #thr.#up = :up',
    '(attribute_not_exists(#evReq) OR #evReq <> :rid)',
    equalsCount('#oob', ':oobWas', expected.outOfBoundsCount),
    equalsCount('#ec', ':ecWas', expected.eventCount),
  ];
  const sets = ['#oob = :oob', '#ec = :ec', '#val = :val', '#seen = :seen', '#evReq = :rid'];
  const removes: string[] = [];
  if (next.lastSeq !== undefined || expected.lastSeq !== undefined) {
    names['#seq'] = ATTR.lastSeq;
    conditions.push(equalsOrAbsent('#seq', ':seqWas', expected.lastSeq));
    if (next.lastSeq !== undefined) {
      values[':seq'] = next.lastSeq;
      sets.push('#seq = :seq');
    }
  }
  if (next.lastTimestamp !== undefined || expected.lastTimestamp !== undefined) {
    names['#ts'] = ATTR.lastTimestamp;
    conditions.push(equalsOrAbsent('#ts', ':tsWas', expected.lastTimestamp));
    if (next.lastTimestamp !== undefined) {
      values[':ts'] = next.lastTimestamp;
      sets.push('#ts = :ts');
    }
  }
  if (t.streamSequence !== undefined) {
    names['#stream'] = ATTR.lastStreamSequence;
    values[':stream'] = t.streamSequence;
    if (expected.lastStreamSequence === undefined) {
      conditions.push('attribute_not_exists(#stream)');
    } else {
      values[':streamWas'] = expected.lastStreamSequence;
      conditions.push('#stream = :streamWas');
    }
    sets.push('#stream = :stream');
  }
  if (t.events.length > 0) {
    Object.assign(names, { '#evAt': ATTR.lastEventAt, '#rankP': ATTR.rankPartition, '#rankK': ATTR.rankKey });
    Object.assign(values, {
      ':rankP': RANK_PARTITION_VALUE,
      ':rankK': rankKey(next.eventCount, expected.printerId),
      // One event as itself; several as a JSON array of them (read back by `core/profile.ts`).
      ':events': t.events.length === 1 ? t.events[0] : `[${t.events.join(',')}]`,
    });
    sets.push('#evAt = :seen', '#rankP = :rankP', '#rankK = :rankK', '#lastEvent = :events');
  } else {
    // The recorded request id now names this write, which counted no event: no older event may pass for its own.
    removes.push('#lastEvent');
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** {@link ProfileStore} on a DynamoDB table. The client is passed in. */
export class DynamoDbProfileStore implements ProfileStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(printerId: string): Promise<ProfileItem | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { [ATTR.printerId]: { S: printerId } }, ConsistentRead: true }),
      );
      return Item ? toNative(Item) : undefined;
    } catch (error) {
      throw new ProfileStoreError(`reading profile ${printerId} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async apply(transition: Transition): Promise<ApplyResult> {
    const update = buildUpdate(transition);
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [ATTR.printerId]: { S: transition.expected.printerId } },
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: update.ConditionExpression,
          ExpressionAttributeNames: update.ExpressionAttributeNames,
          ExpressionAttributeValues: toAttributeValues(update.ExpressionAttributeValues),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, item: toNative(Attributes ?? {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // DynamoDB returns the current item; an emulator that does not gets one read.
        const item = error.Item ? toNative(error.Item) : await this.read(transition.expected.printerId);
        return { applied: false, item };
      }
      throw new ProfileStoreError(`updating profile ${transition.expected.printerId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  addPendingEvents(printerId: string, events: readonly string[]): Promise<void> {
    return this.changePendingEvents('ADD', printerId, events);
  }

  clearPendingEvents(printerId: string, events: readonly string[]): Promise<void> {
    return this.changePendingEvents('DELETE', printerId, events);
  }

  /** Set ADD/DELETE are idempotent, so retried or concurrent calls cannot corrupt the pending events. */
  private async changePendingEvents(action: 'ADD' | 'DELETE', printerId: string, events: readonly string[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [ATTR.printerId]: { S: printerId } },
          UpdateExpression: `${action} #pending :events`,
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#pending': ATTR.pendingEvents, '#id': ATTR.printerId },
          ExpressionAttributeValues: { ':events': { SS: [...new Set(events)] } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // profile deleted meanwhile
      throw new ProfileStoreError(`updating pending events of ${printerId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
