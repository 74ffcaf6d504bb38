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
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ATTR, FLEET_DEFAULTS_ID, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import { ProfileStoreError } from '../errors.ts';
import type { ApplyResult, ProfileItem, ProfileStore, Transition } from '../ports.ts';
import { fromItem, toAttribute, toItem } from './dynamodb-values.ts';
import { buildUpdate } from './profile-updates.ts';

const toNative = (item: Record<string, AttributeValue>): ProfileItem => fromItem<ProfileItem>(item);

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
