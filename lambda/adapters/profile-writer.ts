/**
 * Writing printer profiles without ever losing what a write was not asked to
 * change: the one writer of `npm run seed`, `npm run profile -- set`, `npm run
 * calibrate -- --write`, the API's PUT and PATCH, the local twin
 * (`--profiles`) and `npm start`. Each change is judged as the profile it
 * leaves, with the fleet defaults merged in, before anything is written; the
 * write is guarded by the item it was judged against (`docs/design.md`,
 * "Writing profiles").
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { alarmDeadline, rederiveSilence } from '../core/alarm.ts';
import { judgeChange, REMOVABLE_ATTRIBUTES, type ProfileChange, userAttributesOf } from '../core/profile-change.ts';
import { parseProfile } from './profile-item.ts';
import { alarmRules } from '../core/step.ts';
import { InvalidProfileError, WriteConflictError } from '../errors.ts';
import { ATTR, DUE_PARTITION_VALUE, FLEET_DEFAULTS_ID, type ProfileInput, RANK_PARTITION_VALUE, rankKey } from '../../contract/index.ts';

import { fromItem, toItem } from './dynamodb-values.ts';

export type { ProfileChange } from '../core/profile-change.ts';

export interface WriteOptions {
  /** Writes in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Write nothing when any change is refused. @default false: refused changes are reported, the others written */
  readonly allOrNothing?: boolean;
}

/** What one profile write did. */
export interface WrittenProfile {
  /** The user attributes as now stored. */
  readonly profile: ProfileInput;
  /** The user attributes before the write; absent when the write created the printer. */
  readonly previous?: Readonly<Record<string, unknown>>;
  /** The counters, as kept (or created at 0). */
  readonly counters: { readonly OutOfBoundsCount: unknown; readonly EventCount: unknown };
}

/** A change that was not written, and every reason (one line each, naming the field). */
export interface RefusedChange {
  readonly printerId: string;
  readonly reasons: readonly string[];
  /** The same reasons per attribute, where they are about one. */
  readonly fields?: Readonly<Record<string, string>>;
}

export interface ProfileWrites {
  readonly written: WrittenProfile[];
  readonly refused: RefusedChange[];
}

type Item = Record<string, unknown>;

/** Tries of one printer's read, judge and guarded write before a conflict is reported. */
const MAX_ATTEMPTS = 10;

const toNative = (item: Record<string, AttributeValue>): Item => fromItem(item);

async function readItem(client: DynamoDBClient, tableName: string, printerId: string): Promise<Item | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { [ATTR.printerId]: { S: printerId } }, ConsistentRead: true }),
  );
  return Item ? toNative(Item) : undefined;
}

/**
 * The printer's silence deadline and clock deadline under its new profile:
 * a pending silence deadline is counted again from the last reading
 * (`core/alarm.ts`, `rederiveSilence`). Undefined when the profile leaves a
 * configuration error (the detector does nothing with the printer then).
 */
function deadlines(old: Item, profile: Item, defaults: Item | undefined): { silenceAt?: number; dueAt?: number } | undefined {
  const next: Item = { ...old };
  for (const key of REMOVABLE_ATTRIBUTES) delete next[key];
  const parsed = parseProfile({ ...next, ...profile }, defaults);
  if (!parsed.ok) return undefined;
  const { rules, alarm } = parsed.printer.state;
  const lastSeenAt = typeof old[ATTR.lastSeenAt] === 'string' ? Date.parse(old[ATTR.lastSeenAt] as string) : Number.NaN;
  const rederived = rederiveSilence(alarm, alarmRules(rules), Number.isFinite(lastSeenAt) ? lastSeenAt : undefined);
  let dueAt = alarmDeadline(rederived, alarmRules(rules));
  // Entries pending delivery keep the clock coming back as it was set to (`lambda/alarm-writer.ts`).
  const due = old[ATTR.dueAt];
  if (parsed.printer.pendingEntries.length > 0 && typeof due === 'number') dueAt = Math.min(dueAt ?? due, due);
  return { ...(rederived.silenceAt !== undefined ? { silenceAt: rederived.silenceAt } : {}), ...(dueAt !== undefined ? { dueAt } : {}) };
}

/**
 * One profile's UpdateItem: the profile's rule attributes that changed set and
 * the ones it no longer has removed, OutOfBoundsCount and EventCount created at 0 only
 * when missing, the clock's deadlines re-derived, and the revision moved on,
 * so that a reading computed with the old profile fails its guard and is
 * judged again. Guarded by the item as read (its revision and last reading):
 * a write that raced it is judged again. Nothing else is touched: the
 * detector's bookkeeping and the alarm stay as they are.
 */
function profileUpdate(tableName: string, profile: Item, old: Item | undefined, defaults: Item | undefined) {
  const names: Record<string, string> = { '#id': ATTR.printerId, '#oob': ATTR.outOfBoundsCount, '#ec': ATTR.eventCount, '#rev': ATTR.rev };
  const values: Record<string, unknown> = { ':zero': 0 };
  const sets = ['#oob = if_not_exists(#oob, :zero)', '#ec = if_not_exists(#ec, :zero)'];
  const removes: string[] = [];
  const conditions: string[] = [];
  const place = (attribute: string, value: unknown) => {
    const i = Object.keys(names).length;
    names[`#a${i}`] = attribute;
    if (value === undefined) {
      removes.push(`#a${i}`);
    } else {
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
    }
    return `#a${i}`;
  };
  for (const attribute of REMOVABLE_ATTRIBUTES) {
    const [now, was] = [profile[attribute], old?.[attribute]];
    // An attribute the change leaves as it was is not written again: its stored value stays exactly as it is.
    if ((now !== undefined || was !== undefined) && JSON.stringify(now) !== JSON.stringify(was)) place(attribute, now);
  }
  const rev = typeof old?.[ATTR.rev] === 'number' ? (old[ATTR.rev] as number) : undefined;
  values[':rev'] = (rev ?? 0) + 1;
  sets.push('#rev = :rev');
  if (old === undefined) {
    conditions.push('attribute_not_exists(#id)');
  } else {
    conditions.push('attribute_exists(#id)');
    if (rev === undefined) conditions.push('attribute_not_exists(#rev)');
    else {
      values[':oldRev'] = rev;
      conditions.push('#rev = :oldRev');
    }
    const seen = old[ATTR.lastSeenAt];
    names['#seen'] = ATTR.lastSeenAt;
    if (typeof seen === 'string') {
      values[':seen'] = seen;
      conditions.push('#seen = :seen');
    } else conditions.push('attribute_not_exists(#seen)');
    const due = profile[ATTR.printerId] === FLEET_DEFAULTS_ID ? undefined : deadlines(old, profile, defaults);
    if (due !== undefined) {
      place(ATTR.silenceAt, due.silenceAt);
      place(ATTR.dueAt, due.dueAt);
      place(ATTR.duePartition, due.dueAt === undefined ? undefined : DUE_PARTITION_VALUE);
    }
  }
  return {
    TableName: tableName,
    Key: { [ATTR.printerId]: { S: profile[ATTR.printerId] as string } },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
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

/** Runs `work` on every entry, `concurrency` at a time; results in the entries' order. */
async function each<E, T>(entries: readonly E[], concurrency: number, work: (entry: E) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const index = next++;
      results[index] = await work(entries[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  return results;
}

function refusedOf(judged: Extract<Judged, { ok: false }>): RefusedChange {
  return { printerId: judged.change.printerId, reasons: judged.reasons, ...(judged.fields ? { fields: judged.fields } : {}) };
}

type Judged = { readonly change: ProfileChange; readonly old: Item | undefined } & (
  | { readonly ok: true; readonly profile: ProfileInput }
  | { readonly ok: false; readonly reasons: string[]; readonly fields?: Readonly<Record<string, string>> }
);

async function judgeOne(client: DynamoDBClient, tableName: string, change: ProfileChange, defaults: Item | undefined): Promise<Judged> {
  const old = await readItem(client, tableName, change.printerId);
  const judged = judgeChange(old, change, defaults);
  if (judged.ok) return { change, old, ok: true, profile: judged.profile };
  return { change, old, ok: false, reasons: judged.reasons, ...(judged.fields ? { fields: judged.fields } : {}) };
}

/** Writes one judged change, judging it again against the item as it is now whenever another write got there first. */
async function writeOne(
  client: DynamoDBClient,
  tableName: string,
  first: Extract<Judged, { ok: true }>,
  defaults: Item | undefined,
): Promise<WrittenProfile | RefusedChange> {
  let judged: Judged = first;
  for (let attempt = 1; ; attempt += 1) {
    if (!judged.ok) return refusedOf(judged);
    const { old, profile } = judged;
    const stored = profile as unknown as Item;
    try {
      await client.send(new UpdateItemCommand(profileUpdate(tableName, stored, old, defaults)));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (attempt >= MAX_ATTEMPTS)
        throw new WriteConflictError(`${profile.PrinterId}: the item kept changing under ${MAX_ATTEMPTS} writes`);
      judged = await judgeOne(client, tableName, judged.change, defaults);
      continue;
    }
    await joinRanking(client, tableName, { ...old, [ATTR.printerId]: profile.PrinterId, [ATTR.eventCount]: old?.[ATTR.eventCount] ?? 0 });
    return {
      profile,
      ...(old ? { previous: userAttributesOf(old) } : {}),
      counters: { OutOfBoundsCount: old?.[ATTR.outOfBoundsCount] ?? 0, EventCount: old?.[ATTR.eventCount] ?? 0 },
    };
  }
}

/**
 * Applies profile changes, each judged as the profile it leaves (merged with
 * the fleet defaults: a `*` change among them, else the stored `*`) before
 * anything is written. One UpdateItem per printer, guarded by the item it was
 * judged against; OutOfBoundsCount and EventCount are created at 0 only when
 * missing, so no write ever resets a counter, and no attribute the change
 * does not name is touched. A refused change is reported and not written
 * (with `allOrNothing`, nothing is written then).
 */
export async function writeProfileChanges(
  client: DynamoDBClient,
  tableName: string,
  changes: readonly ProfileChange[],
  options: WriteOptions = {},
): Promise<ProfileWrites> {
  const concurrency = options.concurrency ?? 16;
  const counts = new Map<string, number>();
  for (const { printerId } of changes) counts.set(printerId, (counts.get(printerId) ?? 0) + 1);
  const twice = changes.filter(({ printerId }) => counts.get(printerId)! > 1);
  const once = changes.filter(({ printerId }) => counts.get(printerId) === 1);

  // The defaults go first: the printers are judged, and written, against the defaults as they will be.
  const defaultsChange = once.find(({ printerId }) => printerId === FLEET_DEFAULTS_ID);
  const storedDefaults = await readItem(client, tableName, FLEET_DEFAULTS_ID);
  const defaultsJudged = defaultsChange ? await judgeOne(client, tableName, defaultsChange, undefined) : undefined;
  const defaults = defaultsJudged?.ok ? (defaultsJudged.profile as unknown as Item) : userAttributesOfStored(storedDefaults);
  const printers = await each(
    once.filter((change) => change !== defaultsChange),
    concurrency,
    (change) => judgeOne(client, tableName, change, defaults),
  );
  const judged = [...(defaultsJudged ? [defaultsJudged] : []), ...printers];

  const refused: RefusedChange[] = [
    ...twice.map(({ printerId }) => ({ printerId, reasons: ['PrinterId appears more than once'] })),
    ...judged.flatMap((j) => (j.ok ? [] : [refusedOf(j)])),
  ];
  if (options.allOrNothing && refused.length > 0) return { written: [], refused };

  const valid = judged.filter((j): j is Extract<Judged, { ok: true }> => j.ok);
  const results: (WrittenProfile | RefusedChange)[] = [];
  if (valid[0]?.change === defaultsChange && defaultsChange) results.push(await writeOne(client, tableName, valid.shift()!, defaults));
  results.push(...(await each(valid, concurrency, (j) => writeOne(client, tableName, j, defaults))));
  return {
    written: results.filter((r): r is WrittenProfile => 'profile' in r),
    refused: [...refused, ...results.filter((r): r is RefusedChange => 'reasons' in r)],
  };
}

function userAttributesOfStored(item: Item | undefined): Item | undefined {
  return item === undefined ? undefined : userAttributesOf(item);
}

/**
 * Replaces whole profiles (`npm run seed`, the twin's `--profiles`): all of
 * them, or nothing and an {@link InvalidProfileError} naming the first refusal.
 */
export async function seedProfiles(
  client: DynamoDBClient,
  tableName: string,
  profiles: readonly ProfileInput[],
  options: { concurrency?: number } = {},
): Promise<{ written: number }> {
  const changes = profiles.map((profile): ProfileChange => ({ kind: 'replace', printerId: profile.PrinterId, profile }));
  const { written, refused } = await writeProfileChanges(client, tableName, changes, { ...options, allOrNothing: true });
  const [first] = refused;
  if (first) throw new InvalidProfileError(`profile (${first.printerId}): ${first.reasons.join('; ')}`);
  return { written: written.length };
}

function band(thresholds: unknown): string {
  if (typeof thresholds !== 'object' || thresholds === null) return 'none';
  const { Lower, Upper } = thresholds as Record<string, unknown>;
  if (typeof Lower === 'number' || typeof Upper === 'number') return `${String(Lower ?? '')}..${String(Upper ?? '')}`;
  return Object.entries(thresholds)
    .map(([metric, b]) => `${metric} ${band(b)}`)
    .join(', ');
}

/** An attribute's value for people: bands as `20..80`, maps as JSON, absent as `none`. */
function shownValue(attribute: string, value: unknown): string {
  if (value === undefined) return 'none';
  if (attribute === ATTR.thresholds || attribute === ATTR.clear) return band(value);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * What a write did, as one line for people:
 * `Printer1: Thresholds 20..80 -> 25..75, Window 10 (unchanged); counters kept (...)`. Thresholds and Window are
 * always named; another attribute only when the write changed it.
 */
export function describeWrittenProfile(written: WrittenProfile): string {
  const { profile, previous, counters } = written;
  const now = profile as unknown as Item;
  const countersText = `OutOfBoundsCount ${String(counters.OutOfBoundsCount)}, EventCount ${String(counters.EventCount)}`;
  if (previous === undefined) {
    const given = REMOVABLE_ATTRIBUTES.filter((a) => now[a] !== undefined && a !== ATTR.thresholds && a !== ATTR.window);
    const parts = [
      `Thresholds ${band(profile.Thresholds)}`,
      `Window ${profile.Window ?? 'none'}`,
      ...given.map((a) => `${a} ${shownValue(a, now[a])}`),
    ];
    return `${profile.PrinterId}: created with ${parts.join(', ')}; counters start at 0`;
  }
  const parts = REMOVABLE_ATTRIBUTES.flatMap((a) => {
    const [before, after] = [shownValue(a, previous[a]), shownValue(a, now[a])];
    const same = JSON.stringify(previous[a]) === JSON.stringify(now[a]);
    if (same) return a === ATTR.thresholds || a === ATTR.window ? [`${a} ${after} (unchanged)`] : [];
    return [`${a} ${before} -> ${after}`];
  });
  return `${profile.PrinterId}: ${parts.join(', ')}; counters kept (${countersText})`;
}
