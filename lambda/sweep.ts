/**
 * The clock: the sweep that the stack runs every minute (EventBridge
 * Scheduler) and the twin on an interval. It reads only the printers whose
 * deadline has passed, from the sparse deadline index (never a Scan), so its
 * cost follows the printers that are due, not the fleet; for each it steps
 * the alarm with a tick (silence, snooze expiry, re-notification).
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, DUE_PARTITION_VALUE, PROFILES_TABLE } from '../contract/index.ts';
import type { AlarmWriter } from './alarm-writer.ts';

/** What one sweep did. */
export interface SweepResult {
  /** Printers whose deadline had passed. */
  readonly due: number;
  readonly transitions: number;
  readonly renotified: number;
  /** Printers the sweep could not move (a conflict that kept recurring, a store failure): the next sweep tries again. */
  readonly failed: number;
  /** Transitions or re-notifications whose delivery failed and were kept pending. */
  readonly undelivered: number;
}

/** The printers due at `now` (epoch ms), a page at a time. */
export async function* duePrinters(client: DynamoDBClient, tableName: string, now: number, pageSize = 100): AsyncGenerator<string> {
  const { deadlineIndex } = PROFILES_TABLE;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: deadlineIndex.indexName,
        KeyConditionExpression: '#p = :p AND #at <= :now',
        ExpressionAttributeNames: { '#p': deadlineIndex.partitionKey.name, '#at': deadlineIndex.sortKey.name },
        ExpressionAttributeValues: { ':p': { S: DUE_PARTITION_VALUE }, ':now': { N: String(now) } },
        Limit: pageSize,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const id = item[ATTR.printerId]?.S;
      if (id !== undefined) yield id;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** One sweep at `now`: every due printer's alarm gets a tick. A printer that fails does not stop the others. */
export async function sweep(
  deps: { readonly client: DynamoDBClient; readonly tableName: string; readonly writer: AlarmWriter },
  now: number,
  onError: (printerId: string, error: unknown) => void = () => {},
): Promise<SweepResult> {
  let due = 0;
  let transitions = 0;
  let renotified = 0;
  let failed = 0;
  let undelivered = 0;
  const ids: string[] = [];
  for await (const id of duePrinters(deps.client, deps.tableName, now)) ids.push(id);
  for (const id of ids) {
    due += 1;
    try {
      const result = await deps.writer.apply(id, () => ({ kind: 'tick', at: now }));
      if (result.kind !== 'applied') continue;
      transitions += result.transitions.length;
      if (result.renotify !== undefined) renotified += 1;
      undelivered += result.undelivered;
    } catch (error) {
      failed += 1;
      onError(id, error);
    }
  }
  return { due, transitions, renotified, failed, undelivered };
}
