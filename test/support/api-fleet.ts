/**
 * The operator API on the real fleet operations (`lambda/adapters/fleet-operations.ts`)
 * over the embedded DynamoDB, in process: the detector harness's tables, with
 * history in the write, and the alarm writer the API and the clock share.
 * Printers get their counters, alarms and history from real readings.
 */
import type { Hono } from 'hono';
import { DEFAULT_HISTORY_DAYS, type ProfileInput } from '../../contract/index.ts';
import { DynamoDbHistory } from '../../lambda/adapters/dynamodb-history.ts';
import { DynamoDbFleet } from '../../lambda/adapters/fleet-operations.ts';
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { createApi } from '../../lambda/api/app.ts';
import { createAlarmWriter } from '../../lambda/sweep-app.ts';
import { startDetectorHarness } from './detector-harness.ts';

/** Starts the harness; `clock()` is the time everything reads, which the test moves. */
export async function startApiFleet(clock: () => number) {
  const now = () => new Date(clock());
  const h = await startDetectorHarness({ history: 'in-write', processor: { now } });
  const { dynamoDb } = h.deps;
  const fleet = new DynamoDbFleet({
    client: dynamoDb,
    tableName: h.tableName,
    history: new DynamoDbHistory(dynamoDb, h.eventsTableName, DEFAULT_HISTORY_DAYS),
    writer: createAlarmWriter(h.deps, now),
    now,
  });
  let seq = 0;
  return {
    harness: h,
    fleet,
    /** The API on this fleet, acting as `by`. */
    api: (options: Partial<Parameters<typeof createApi>[1]> = {}): Hono => createApi(fleet, { by: () => 'tester', ...options }),
    /** Writes profiles (or the fleet defaults) as `npm run seed` does. */
    add: (...profiles: ProfileInput[]) => seedProfiles(h.admin, h.tableName, profiles),
    /** One reading of `data.value`, as the IoT rule delivers it. */
    reading: async (printerId: string, value: number) => {
      seq += 1;
      const result = await h.invoke({ PrinterId: printerId, data: { value }, seq, timestamp: clock() });
      if (result.outcome === 'invalid' || result.outcome === 'unknown-printer') throw new Error(`reading refused: ${result.outcome}`);
    },
    close: () => h.close(),
  };
}

export type ApiFleet = Awaited<ReturnType<typeof startApiFleet>>;
