/**
 * Writing printer profiles without ever resetting a printer's counters. Used
 * by `npm run seed`, `npm run profile -- set`, `npm run calibrate -- --write`,
 * the local twin (`--profiles`) and `npm start`.
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INHERITED_ATTRIBUTES } from '../core/rules.ts';
import { ATTR, FLEET_DEFAULTS_ID, type ProfileInput, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';
import { fromItem, toItem } from './dynamodb-values.ts';

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

/** The rule attributes a profile may have besides PrinterId (what a replacing write removes when the profile omits it). */
const RULE_ATTRIBUTES: readonly string[] = [...INHERITED_ATTRIBUTES, ATTR.enrol];

/**
 * One profile's UpdateItem: the profile's rule attributes set and the ones it
 * omits removed (or, with `keepWindow`, only Thresholds set and Window set
 * when missing), OutOfBoundsCount and EventCount created at 0 only when
 * missing, and the revision moved on, so that a reading computed with the old
 * profile fails its guard and is judged again. No other attribute is touched:
 * the detector's bookkeeping and the alarm stay as they are.
 */
function profileUpdate(tableName: string, profile: ProfileInput, keepWindow: boolean) {
  const names: Record<string, string> = { '#oob': ATTR.outOfBoundsCount, '#ec': ATTR.eventCount, '#rev': ATTR.rev };
  const values: Record<string, unknown> = { ':zero': 0, ':one': 1 };
  const sets = ['#oob = if_not_exists(#oob, :zero)', '#ec = if_not_exists(#ec, :zero)', '#rev = if_not_exists(#rev, :zero) + :one'];

  const removes: string[] = [];
  const given = profile as unknown as Record<string, unknown>;
  RULE_ATTRIBUTES.forEach((attribute, i) => {
    const value = given[attribute];
    if (keepWindow && attribute !== ATTR.thresholds && attribute !== ATTR.window) return;
    names[`#a${i}`] = attribute;
    if (value === undefined) {
      if (!keepWindow) removes.push(`#a${i}`);
      return;
    }
    values[`:a${i}`] = value;
    sets.push(keepWindow && attribute === ATTR.window ? `#a${i} = if_not_exists(#a${i}, :a${i})` : `#a${i} = :a${i}`);
  });
  for (const name of Object.keys(names)) if (!sets.some((set) => set.includes(name)) && !removes.includes(name)) delete names[name];
  return {
    TableName: tableName,
    Key: { [ATTR.printerId]: { S: profile.PrinterId } },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: toItem(values),
  };
}

/**
 * Puts a printer the write left outside the ranking index into it, at its
 * EventCount (0 for a new printer), so that a top-N is one Query however few
 * printers have had an event. Guarded by that count, so an event counted
 * meanwhile (which sets the rank key itself) is never overwritten.
 */
async function joinRanking(client: DynamoDBClient, tableName: string, item: Record<string, unknown>): Promise<void> {
  const printerId = item[ATTR.printerId];
  if (typeof printerId !== 'string' || printerId === FLEET_DEFAULTS_ID || item[ATTR.rankKey] !== undefined) return;
  const eventCount = typeof item[ATTR.eventCount] === 'number' ? (item[ATTR.eventCount] as number) : 0;
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [ATTR.printerId]: { S: printerId } },
        UpdateExpression: 'SET #p = :p, #k = :k',
        ConditionExpression: 'attribute_not_exists(#k) AND #ec = :ec',
        ExpressionAttributeNames: { '#p': ATTR.rankPartition, '#k': ATTR.rankKey, '#ec': ATTR.eventCount },
        ExpressionAttributeValues: toItem({ ':p': RANK_PARTITION_VALUE, ':k': rankKey(eventCount, printerId), ':ec': eventCount }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error; // an event was counted meanwhile: it ranked the printer
  }
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
  await eachProfile(profiles, options.concurrency ?? 16, async (profile) => {
    const { Attributes } = await client.send(
      new UpdateItemCommand({ ...profileUpdate(tableName, profile, false), ReturnValues: 'ALL_NEW' }),
    );
    if (Attributes) await joinRanking(client, tableName, toNative(Attributes));
  });
  return { written: profiles.length };
}

const toNative = (item: Record<string, AttributeValue>) => fromItem(item);

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
    await joinRanking(client, tableName, { ...old, [ATTR.printerId]: profile.PrinterId, [ATTR.eventCount]: old?.[ATTR.eventCount] ?? 0 });
    const storedWindow = old?.[ATTR.window];
    const window = keepWindow && typeof storedWindow === 'number' ? storedWindow : profile.Window;
    return {
      profile: { ...profile, ...(window !== undefined ? { Window: window } : {}) },
      ...(old ? { previous: { Thresholds: old[ATTR.thresholds], Window: storedWindow } } : {}),
      counters: { OutOfBoundsCount: old?.[ATTR.outOfBoundsCount] ?? 0, EventCount: old?.[ATTR.eventCount] ?? 0 },
    };
  });
}

function band(thresholds: unknown): string {
  if (typeof thresholds !== 'object' || thresholds === null) return 'none';
  const { Lower, Upper } = thresholds as Record<string, unknown>;
  if (typeof Lower === 'number' || typeof Upper === 'number') return `${String(Lower ?? '')}..${String(Upper ?? '')}`;
  return Object.entries(thresholds)
    .map(([metric, b]) => `${metric} ${band(b)}`)
    .join(', ');
}

/** What a write did, as one line for people: `Printer1: Thresholds 20..80 -> 25..75, Window 10 (kept); counters kept (...)`. */
export function describeWrittenProfile(written: WrittenProfile): string {
  const { profile, previous, counters } = written;
  const now = band(profile.Thresholds);
  const countersText = `OutOfBoundsCount ${String(counters.OutOfBoundsCount)}, EventCount ${String(counters.EventCount)}`;
  if (previous === undefined)
    return `${profile.PrinterId}: created with Thresholds ${now}, Window ${profile.Window ?? 'none'}; counters start at 0`;
  const before = band(previous.Thresholds);
  const thresholds = before === now ? `Thresholds ${now} (unchanged)` : `Thresholds ${before} -> ${now}`;
  const window =
    previous.Window === profile.Window
      ? `Window ${profile.Window ?? 'none'} (unchanged)`
      : `Window ${String(previous.Window ?? 'none')} -> ${profile.Window ?? 'none'}`;
  return `${profile.PrinterId}: ${thresholds}, ${window}; counters kept (${countersText})`;
}
