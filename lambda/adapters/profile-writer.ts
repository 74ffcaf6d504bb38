/**
 * Writing printer profiles without ever resetting a printer's counters. Used
 * by `npm run seed`, `npm run profile -- set`, `npm run calibrate -- --write`,
 * the local twin (`--profiles`) and `npm start`.
 */
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ATTR, type ProfileInput } from '../../contract/index.ts';

export interface WriteOptions {
  /** Writes in flight at once. @default 16 */
  readonly concurrency?: number;
  /**
   * Keep a printer's stored Window and write only its Thresholds; the given
   * Window is used only when the printer has none yet (a new printer).
   * @default false
   */
  readonly keepWindow?: boolean;
}

/** What one profile write did. */
export interface WrittenProfile {
  /** The user attributes as now stored. */
  readonly profile: ProfileInput;
  /** The user attributes before the write; absent when the write created the printer. */
  readonly previous?: { readonly Thresholds?: unknown; readonly Window?: unknown };
  /** The counters, as kept (or created at 0). */
  readonly counters: { readonly OutOfBoundsCount: unknown; readonly EventCount: unknown };
}

/**
 * One profile's UpdateItem: Thresholds set, Window set (or, with
 * `keepWindow`, set only when missing), OutOfBoundsCount and EventCount
 * created at 0 only when missing. No other attribute is touched, so the
 * detector's bookkeeping stays as it is.
 */
function profileUpdate(tableName: string, profile: ProfileInput, keepWindow: boolean) {
  return {
    TableName: tableName,
    Key: { [ATTR.printerId]: { S: profile.PrinterId } },
    UpdateExpression: `SET #thr = :thr, #win = ${keepWindow ? 'if_not_exists(#win, :win)' : ':win'}, #oob = if_not_exists(#oob, :zero), #ec = if_not_exists(#ec, :zero)`,
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
  };
}

/** Runs `write` on every profile, `concurrency` at a time; results in the profiles' order. */
async function eachProfile<T>(
  profiles: readonly ProfileInput[],
  concurrency: number,
  write: (profile: ProfileInput) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(profiles.length);
  let next = 0;
  const worker = async () => {
    while (next < profiles.length) {
      const index = next++;
      results[index] = await write(profiles[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, profiles.length) }, worker));
  return results;
}

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
  await eachProfile(profiles, options.concurrency ?? 16, (profile) =>
    client.send(new UpdateItemCommand(profileUpdate(tableName, profile, false))),
  );
  return { written: profiles.length };
}

const toNative = (item: Record<string, AttributeValue>) => unmarshall(item, { wrapNumbers: (text: string) => Number(text) });

/**
 * Writes profiles as {@link seedProfiles} does (same update, same counters
 * rule) and says what each write changed: the item before the write comes
 * back with the write itself (`ALL_OLD`), so there is no separate read.
 */
export async function writeProfiles(
  client: DynamoDBClient,
  tableName: string,
  profiles: readonly ProfileInput[],
  options: WriteOptions = {},
): Promise<WrittenProfile[]> {
  const keepWindow = options.keepWindow ?? false;
  return eachProfile(profiles, options.concurrency ?? 16, async (profile) => {
    const { Attributes } = await client.send(
      new UpdateItemCommand({ ...profileUpdate(tableName, profile, keepWindow), ReturnValues: 'ALL_OLD' }),
    );
    const old = Attributes ? toNative(Attributes) : undefined;
    const storedWindow = old?.[ATTR.window];
    const window = keepWindow && typeof storedWindow === 'number' ? storedWindow : profile.Window;
    return {
      profile: { PrinterId: profile.PrinterId, Thresholds: profile.Thresholds, Window: window },
      ...(old ? { previous: { Thresholds: old[ATTR.thresholds], Window: storedWindow } } : {}),
      counters: { OutOfBoundsCount: old?.[ATTR.outOfBoundsCount] ?? 0, EventCount: old?.[ATTR.eventCount] ?? 0 },
    };
  });
}

function band(thresholds: unknown): string {
  if (typeof thresholds !== 'object' || thresholds === null) return 'none';
  const { Lower, Upper } = thresholds as Record<string, unknown>;
  return `${String(Lower ?? '?')}..${String(Upper ?? '?')}`;
}

/** What a write did, as one line for people: `Printer1: Thresholds 20..80 -> 25..75, Window 10 (kept); counters kept (...)`. */
export function describeWrittenProfile(written: WrittenProfile): string {
  const { profile, previous, counters } = written;
  const now = `${profile.Thresholds.Lower}..${profile.Thresholds.Upper}`;
  const countersText = `OutOfBoundsCount ${String(counters.OutOfBoundsCount)}, EventCount ${String(counters.EventCount)}`;
  if (previous === undefined) return `${profile.PrinterId}: created with Thresholds ${now}, Window ${profile.Window}; counters start at 0`;
  const before = band(previous.Thresholds);
  const thresholds = before === now ? `Thresholds ${now} (unchanged)` : `Thresholds ${before} -> ${now}`;
  const window =
    previous.Window === profile.Window
      ? `Window ${profile.Window} (unchanged)`
      : `Window ${String(previous.Window ?? 'none')} -> ${profile.Window}`;
  return `${profile.PrinterId}: ${thresholds}, ${window}; counters kept (${countersText})`;
}
