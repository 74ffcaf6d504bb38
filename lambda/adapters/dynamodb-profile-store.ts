/**
 * The DynamoDB adapter: one guarded UpdateItem per reading, or, for a write
 * that counts events or alarm transitions, one TransactWriteItems carrying
 * that update and the history items (`docs/design.md`, "Alarms, the outbox
 * and the clock").
 *
 * Every write is conditional on the state the detector computed from (profile
 * unchanged, ordering rules, and for events the exact counters), so concurrent
 * invocations can never overwrite each other: a writer whose view is stale
 * gets the current item back and recomputes. Nothing here scans the table, and
 * no write can create an item (every condition requires the item to exist).
 */
import {
  ConditionalCheckFailedException,
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ATTR, FLEET_DEFAULTS_ID, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import { ProfileStoreError } from '../errors.ts';
import type { ApplyResult, ProfileItem, ProfileStore, GuardedWrite } from '../ports.ts';
import { fromItem, toAttribute, toItem } from './dynamodb-values.ts';
import { historyItemOf, parseEntry } from '../core/outbox.ts';
import { storedHistoryItem } from './dynamodb-history.ts';
import { writtenState } from './profile-item.ts';
import type { StoredPrinter } from '../core/types.ts';
import { buildUpdate, mainValue, requestsAfter, type UpdateParts } from './profile-updates.ts';

const toNative = (item: Record<string, AttributeValue>): ProfileItem => fromItem<ProfileItem>(item);

/** The outbox entries pending on an item (JSON). */
const pendingOf = (item: ProfileItem): string[] => {
  const pending = item[ATTR.pendingEvents];
  return pending instanceof Set ? [...pending].filter((e): e is string => typeof e === 'string') : [];
};

/**
 * The expression values, which are mostly strings and numbers: those are
 * converted directly (as `toAttribute` converts them: a number as its
 * shortest form), anything else goes through `toAttribute`. This is on every
 * write's path.
 */
export function toAttributeValues(values: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const key in values) {
    const value = values[key];
    if (typeof value === 'string') out[key] = { S: value };
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = { N: String(value) };
    else out[key] = toAttribute(value);
  }
  return out;
}

/** The history table, when a write records its entries' history in the same request. */
export interface HistoryInWrite {
  readonly tableName: string;
  readonly historyDays: number;
}

/** Items of one `TransactWriteItems`: the profile's update and at most this many history items. */
const MAX_HISTORY_PER_WRITE = 99;

/** {@link ProfileStore} on a DynamoDB table. The client is passed in. */
export class DynamoDbProfileStore implements ProfileStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** @default none: the outbox records history after the write */
    private readonly history?: HistoryInWrite,
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

  async readWithDefaults(printerId: string): Promise<{ item: ProfileItem | undefined; defaults: ProfileItem | undefined }> {
    try {
      let keys = [printerId, FLEET_DEFAULTS_ID].map((id) => ({ [ATTR.printerId]: { S: id } }));
      const found = new Map<string, ProfileItem>();
      // BatchGetItem may leave keys unprocessed under load: those are asked again.
      while (keys.length > 0) {
        const result = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const raw of result.Responses?.[this.tableName] ?? []) {
          const item = toNative(raw);
          found.set(item[ATTR.printerId] as string, item);
        }
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof keys;
      }
      return { item: found.get(printerId), defaults: found.get(FLEET_DEFAULTS_ID) };
    } catch (error) {
      throw new ProfileStoreError(`reading profile ${printerId} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async apply(write: GuardedWrite): Promise<ApplyResult> {
    const update = buildUpdate(write);
    const history = this.historyOf(write);
    if (history.length > 0) return this.transact(write, update, history);
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [ATTR.printerId]: { S: write.expected.printerId } },
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
        const item = error.Item ? toNative(error.Item) : await this.read(write.expected.printerId);
        return { applied: false, item };
      }
      throw new ProfileStoreError(`updating profile ${write.expected.printerId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * The history items a write records with it: its entries' (none without a
   * history table, or more than one transaction holds: the outbox records those).
   */
  private historyOf(write: GuardedWrite): Record<string, AttributeValue>[] {
    if (this.history === undefined || write.kind !== 'full') return [];
    const items = write.entries.flatMap((json) => {
      const entry = parseEntry(json);
      return (entry && historyItemOf(entry)) ?? [];
    });
    if (items.length > MAX_HISTORY_PER_WRITE) return [];
    const { historyDays } = this.history;
    return items.map(({ item, number }) => storedHistoryItem(item, number, historyDays));
  }

  /**
   * The guarded update and the history items in one `TransactWriteItems`: all
   * or nothing. The puts are unconditional (deterministic keys): only the
   * profile's guard can cancel the transaction, so a write that went through
   * already is recognised by the guard, as without history.
   */
  private async transact(write: GuardedWrite, update: UpdateParts, history: Record<string, AttributeValue>[]): Promise<ApplyResult> {
    // A reading's write returns no item, so it is applied only while nothing is pending: entries another invocation
    // left pending are then seen (the guard fails on them), and the write goes through knowing them.
    const blind = write.kind === 'full' && write.record === 'request';
    const first = await this.transactOnce(write, update, history, blind);
    if (first.applied || !blind || first.item === undefined) return first;
    const pending = pendingOf(first.item);
    if (pending.length === 0) return first;
    const again = await this.transactOnce(write, update, history, false);
    return again.applied && again.item === undefined ? { ...again, printer: { ...again.printer, pendingEntries: pending } } : again;
  }

  private async transactOnce(
    write: GuardedWrite,
    update: UpdateParts,
    history: Record<string, AttributeValue>[],
    nothingPending: boolean,
  ): Promise<ApplyResult> {
    const { printerId } = write.expected;
    const key = { [ATTR.printerId]: { S: printerId } };
    const guard = nothingPending
      ? {
          ConditionExpression: `${update.ConditionExpression} AND attribute_not_exists(#pendingEntries)`,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#pendingEntries': ATTR.pendingEvents },
        }
      : { ConditionExpression: update.ConditionExpression, ExpressionAttributeNames: update.ExpressionAttributeNames };
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: key,
                UpdateExpression: update.UpdateExpression,
                ...guard,
                ExpressionAttributeValues: toAttributeValues(update.ExpressionAttributeValues),
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...history.map((Item) => ({ Put: { TableName: this.history!.tableName, Item } })),
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        // A failed guard, or a concurrent transaction on the item: either way the current item decides.
        const old = error.CancellationReasons?.[0]?.Item;
        return { applied: false, item: old ? toNative(old) : await this.read(printerId) };
      }
      throw new ProfileStoreError(`updating profile ${printerId} failed: ${(error as Error).message}`, { cause: error });
    }
    if (write.kind === 'full' && write.record === 'request') {
      // A transaction returns no item: the state it wrote is known, and so are the pending entries (see `transact`).
      const setsRecent = write.last !== undefined && mainValue(write.last) !== undefined;
      const { expected, next, streamSequence } = write;
      const state = writtenState(expected, next, {
        setsRecent,
        ...(streamSequence !== undefined ? { streamSequence } : {}),
        ...requestsAfter(write),
      });
      const printer: StoredPrinter = { state, pendingEntries: [] };
      return { applied: true, printer, recorded: true };
    }
    // The clock's and the actions' writes add to the pending entries: the written item is read back (strongly consistent).
    const item = await this.read(printerId);
    return item === undefined ? { applied: false, item } : { applied: true, item, recorded: true };
  }

  /** A conditional put: two concurrent first readings of a printer create one item. */
  async enrol(printerId: string): Promise<ProfileItem> {
    const item = {
      [ATTR.printerId]: printerId,
      [ATTR.outOfBoundsCount]: 0,
      [ATTR.eventCount]: 0,
      [ATTR.rankPartition]: RANK_PARTITION_VALUE,
      [ATTR.rankKey]: rankKey(0, printerId),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(item),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': ATTR.printerId },
        }),
      );
      return item;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return (await this.read(printerId)) ?? item;
      throw new ProfileStoreError(`enrolling printer ${printerId} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async settleDeadline(printerId: string, was: number, due: number | undefined): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [ATTR.printerId]: { S: printerId } },
          UpdateExpression: due === undefined ? 'REMOVE #due, #part' : 'SET #due = :due',
          ConditionExpression: '#due = :was',
          ExpressionAttributeNames: { '#due': ATTR.dueAt, ...(due === undefined ? { '#part': ATTR.duePartition } : {}) },
          ExpressionAttributeValues: { ':was': { N: String(was) }, ...(due === undefined ? {} : { ':due': { N: String(due) } }) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // moved meanwhile: the newer deadline stands
      throw new ProfileStoreError(`settling the deadline of ${printerId} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  addPendingEntries(printerId: string, events: readonly string[]): Promise<void> {
    return this.changePendingEvents('ADD', printerId, events);
  }

  clearPendingEntries(printerId: string, events: readonly string[]): Promise<void> {
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
