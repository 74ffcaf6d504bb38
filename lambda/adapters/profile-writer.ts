/**
 * Writing printer profiles without ever resetting a printer's counters. Used
 * by `npm run seed`, the local twin (`--profiles`) and `npm start`.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR, type ProfileInput } from '../../contract/index.ts';

/**
 * Writes profiles with one UpdateItem each: Thresholds and Window are set,
 * OutOfBoundsCount and EventCount are created at 0 only when missing, so
 * seeding again (or over live printers) never resets a counter.
 */
export async function seedProfiles(
  client: DynamoDBClient,
  tableName: string,
  profiles: readonly ProfileInput[],
  options: { concurrency?: number } = {},
): Promise<{ written: number }> {
  let next = 0;
  const worker = async () => {
    while (next < profiles.length) {
      const profile = profiles[next++]!;
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { [ATTR.printerId]: { S: profile.PrinterId } },
          UpdateExpression: 'SET #thr = :thr, #win = :win, #oob = if_not_exists(#oob, :zero), #ec = if_not_exists(#ec, :zero)',
          ExpressionAttributeNames: {
            '#thr': ATTR.thresholds,
            '#win': ATTR.window,
            '#oob': ATTR.outOfBoundsCount,
            '#ec': ATTR.eventCount,
          },
          ExpressionAttributeValues: {
            ':thr': {
              M: {
                [ATTR.lower]: { N: String(profile.Thresholds.Lower) },
                [ATTR.upper]: { N: String(profile.Thresholds.Upper) },
              },
            },
            ':win': { N: String(profile.Window) },
            ':zero': { N: '0' },
          },
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, profiles.length) }, worker));
  return { written: profiles.length };
}
