/**
 * The operator's view of the fleet on DynamoDB: the one implementation of
 * {@link FleetOperations}, used by the API (in Lambda and on the twin) and the
 * CLIs. Listings read indexes (ranking, alarms); only the full listing scans,
 * a page at a time.
 */
import {
  BatchGetItemCommand,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  type ScanCommandOutput,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  ALARM_LISTING_ORDER,
  ALARM_PARTITION_VALUE,
  type AlarmState,
  type AlarmSummary,
  ATTR,
  FLEET_DEFAULTS_ID,
  type PrinterSummary,
  PROFILES_TABLE,
  type ProfileInput,
} from '../../contract/index.ts';
import type { AlarmWriter } from '../alarm-writer.ts';
import type { FleetOperations, Page, PrinterDetail, ProfilePreview, Refusal } from '../api/operations.ts';
import { isRecord } from '../../common/guards.ts';
import { checkProfile } from '../core/profile-input.ts';
import { userAttributesOf } from '../core/profile-change.ts';
import { parseRules, USER_ATTRIBUTES, withDefaults } from '../core/rules.ts';
import { previewProfile } from './profile-preview.ts';
import type { DynamoDbHistory } from './dynamodb-history.ts';
import { type ProfileChange, writeProfileChanges } from './profile-writer.ts';
import { comparePrinterIds, topPrinters } from './ranking-query.ts';
import { fromItem, toItem } from './dynamodb-values.ts';
import { CursorError, decodeCursor, encodeCursor, fromCursor } from './cursors.ts';
import { alarmIdPage, type IdPage, searchIdPage } from './fleet-pages.ts';

type Item = Record<string, unknown>;

/** What a printer's `state` shows: its counters and what it last did (not the storage keys and guards). */
const STATE_SHOWN: readonly string[] = [
  ATTR.eventCount,
  ATTR.outOfBoundsCount,
  ATTR.lastValue,
  ATTR.lastSeenAt,
  ATTR.lastEventAt,
  ATTR.lastSeq,
  ATTR.lastTimestamp,
  ATTR.silenceAt,
];
const toNative = (item: Record<string, AttributeValue>): Item => fromItem(item);

const refusal = (status: Refusal['status'], reason: string, fields?: Readonly<Record<string, string>>): Refusal => ({
  ok: false,
  status,
  reason,
  ...(fields && Object.keys(fields).length > 0 ? { fields } : {}),
});

/** A printer's alarm as summaries show it (NORMAL with nulls when it never moved). */
export function alarmSummary(item: Item): AlarmSummary {
  const alarm = item[ATTR.alarm] as Record<string, unknown> | undefined;
  const text = (key: string) => (typeof alarm?.[key] === 'string' ? (alarm[key] as string) : null);
  return {
    State: (text('State') as AlarmState | null) ?? 'NORMAL',
    Severity: text('Severity') as AlarmSummary['Severity'],
    Cause: text('Cause') as AlarmSummary['Cause'],
    Since: text('Since'),
    ...snoozeEnd(alarm?.['State'], alarm?.['Until']),
    ...owner(text('By'), text('Note')),
  };
}

/** `By` and `Note` of an alarm an operator holds (acknowledged, snoozed, disabled), each when present. */
function owner(by: string | null | undefined, note: string | null | undefined): { By?: string; Note?: string } {
  return { ...(typeof by === 'string' ? { By: by } : {}), ...(typeof note === 'string' ? { Note: note } : {}) };
}

/** `Until` (ISO-8601) while snoozed: stored as epoch ms in the alarm map. */
function snoozeEnd(state: unknown, until: unknown): { Until?: string } {
  return state === 'SNOOZE_DISABLED' && typeof until === 'number' && Number.isFinite(until) ? { Until: new Date(until).toISOString() } : {};
}

export function printerSummary(item: Item): PrinterSummary {
  const number = (key: string) => (typeof item[key] === 'number' ? (item[key] as number) : null);
  return {
    PrinterId: item[ATTR.printerId] as string,
    EventCount: number(ATTR.eventCount) ?? 0,
    OutOfBoundsCount: number(ATTR.outOfBoundsCount) ?? 0,
    LastValue: number(ATTR.lastValue),
    LastSeenAt: typeof item[ATTR.lastSeenAt] === 'string' ? (item[ATTR.lastSeenAt] as string) : null,
    Alarm: alarmSummary(item),
  };
}

/** Recent values from the item's ring, oldest first. */
function recentValues(item: Item): [number, number][] {
  const ring = item[ATTR.recent];
  if (typeof ring !== 'object' || ring === null) return [];
  return Object.values(ring as Record<string, unknown>)
    .filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number')
    .sort((a, b) => a[0] - b[0]);
}

export interface FleetStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly history?: DynamoDbHistory;
  readonly writer: AlarmWriter;
  readonly now?: () => Date;
}

export class DynamoDbFleet implements FleetOperations {
  private readonly now: () => Date;

  constructor(private readonly options: FleetStoreOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** One Query on the ranking index, then one batch read of those printers: flat in fleet size. */
  async ranked(limit: number): Promise<PrinterSummary[]> {
    const top = await topPrinters(this.options.client, this.options.tableName, limit);
    const items = await this.batchGet(top.map((p) => p.PrinterId));
    return top.flatMap((p) => {
      const item = items.get(p.PrinterId);
      return item ? [printerSummary(item)] : [];
    });
  }

  async list(cursor: string | undefined, limit: number, search?: string): Promise<Page<PrinterSummary> | Refusal> {
    if (search !== undefined)
      return this.pageOf(
        () => searchIdPage(this.options.client, this.options.tableName, { search, limit, ...(cursor === undefined ? {} : { cursor }) }),
        'sorted',
      );
    let page: ScanCommandOutput;
    try {
      const start = cursor === undefined ? undefined : decodeCursor(cursor, { names: [ATTR.printerId] });
      page = await fromCursor(start, () =>
        this.options.client.send(
          new ScanCommand({ TableName: this.options.tableName, Limit: limit, ...(start ? { ExclusiveStartKey: start } : {}) }),
        ),
      );
    } catch (error) {
      if (error instanceof CursorError) return refusal(400, error.message);
      throw error;
    }
    const items = (page.Items ?? []).map(toNative).filter((item) => item[ATTR.printerId] !== FLEET_DEFAULTS_ID);
    return {
      items: items.map(printerSummary).sort((a, b) => comparePrinterIds(a.PrinterId, b.PrinterId)),
      next: page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : null,
    };
  }

  async alarmPage(state: AlarmState | undefined, cursor: string | undefined, limit: number): Promise<Page<PrinterSummary> | Refusal> {
    const query = { limit, ...(state === undefined ? {} : { state }), ...(cursor === undefined ? {} : { cursor }) };
    return this.pageOf(() => alarmIdPage(this.options.client, this.options.tableName, query), 'as-listed');
  }

  /** A page of ids made summaries (one batch read), in the ids' order or by PrinterId; a forged cursor is a 400. */
  private async pageOf(ids: () => Promise<IdPage>, order: 'as-listed' | 'sorted'): Promise<Page<PrinterSummary> | Refusal> {
    let page: IdPage;
    try {
      page = await ids();
    } catch (error) {
      if (error instanceof CursorError) return refusal(400, error.message);
      throw error;
    }
    const items = await this.batchGet(page.ids);
    const listed = order === 'sorted' ? [...page.ids].sort(comparePrinterIds) : page.ids;
    return { items: listed.flatMap((id) => (items.has(id) ? [printerSummary(items.get(id)!)] : [])), next: page.next };
  }

  /** The sparse alarm index holds only alarms that are not NORMAL, already in listing order: one Query, then their items. */
  async alarms(state?: AlarmState): Promise<PrinterSummary[]> {
    const { alarmIndex } = PROFILES_TABLE;
    const prefix = state === undefined ? undefined : `${ALARM_LISTING_ORDER.indexOf(state as never)}#`;
    if (state === 'NORMAL') return [];
    const ids: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: alarmIndex.indexName,
          KeyConditionExpression: prefix ? '#p = :p AND begins_with(#k, :k)' : '#p = :p',
          ExpressionAttributeNames: { '#p': alarmIndex.partitionKey.name, ...(prefix ? { '#k': alarmIndex.sortKey.name } : {}) },
          ExpressionAttributeValues: toItem({ ':p': ALARM_PARTITION_VALUE, ...(prefix ? { ':k': prefix } : {}) }),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      ids.push(...(page.Items ?? []).map((item) => item[ATTR.printerId]?.S).filter((id): id is string => id !== undefined));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // The index holds keys only (see PROFILES_TABLE): the summaries come in batches of 100, in the index's order.
    const items = await this.batchGet(ids);
    return ids.flatMap((id) => {
      const item = items.get(id);
      return item ? [printerSummary(item)] : [];
    });
  }

  async printer(printerId: string): Promise<PrinterDetail | undefined> {
    const [item, defaults] = await Promise.all([
      this.get(printerId),
      printerId === FLEET_DEFAULTS_ID ? undefined : this.get(FLEET_DEFAULTS_ID),
    ]);
    if (item === undefined) return undefined;
    const profile: Record<string, unknown> = {};
    const state: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
      if (USER_ATTRIBUTES.includes(key)) profile[key] = value;
      else if (STATE_SHOWN.includes(key)) state[key] = value;
    }
    return {
      profile: profile as unknown as ProfileInput,
      effective: withDefaults(item, defaults),
      state,
      alarm: alarmSummary(item),
      recent: recentValues(item),
    };
  }

  async preview(printerId: string, body: unknown, n?: number): Promise<ProfilePreview | Refusal | undefined> {
    const [item, defaultsItem] = await Promise.all([this.get(printerId), this.get(FLEET_DEFAULTS_ID)]);
    if (item === undefined) return undefined;
    const defaults = defaultsItem === undefined ? undefined : userAttributesOf(defaultsItem);
    // Judged as a PUT would judge it: the one validator, the fleet defaults merged in.
    const checked = checkProfile(body, printerId, defaults === undefined ? {} : { defaults });
    if (!checked.ok) return refusal(400, checked.reasons.join('; '), checked.fields);
    const proposed = parseRules(checked.profile as unknown as Item, defaults);
    const current = parseRules(item, defaults);
    if (!current.ok) return refusal(409, `printer ${printerId} has a profile error: ${current.reasons.join('; ')}`);
    if (!proposed.ok) return refusal(400, proposed.reasons.join('; '), proposed.fields);
    const values = recentValues(item);
    return previewProfile(printerId, n === undefined ? values : values.slice(-n), current.rules, proposed.rules);
  }

  async putProfile(printerId: string, body: unknown): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal> {
    return this.changeProfile({ kind: 'replace', printerId, profile: body });
  }

  async patchProfile(printerId: string, body: unknown): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal> {
    if (!isRecord(body)) return refusal(400, 'expected an object');
    if (body[ATTR.printerId] !== undefined && body[ATTR.printerId] !== printerId) {
      return refusal(
        400,
        `PrinterId ${JSON.stringify(body[ATTR.printerId])} in the body does not match the path's ${JSON.stringify(printerId)}`,
      );
    }
    // A JSON merge patch: null removes the attribute, anything else sets it.
    const set = Object.fromEntries(Object.entries(body).filter(([key, value]) => value !== null && key !== ATTR.printerId));
    const unset = Object.keys(body).filter((key) => body[key] === null);
    return this.changeProfile({ kind: 'merge', printerId, set, unset });
  }

  /** One change through the profile writer, which judges it with the fleet defaults before writing. */
  private async changeProfile(change: ProfileChange): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal> {
    const { written, refused } = await writeProfileChanges(this.options.client, this.options.tableName, [change]);
    const [done] = written;
    if (done === undefined) {
      return refusal(400, refused.flatMap((r) => r.reasons).join('; '), Object.assign({}, ...refused.map((r) => r.fields ?? {})));
    }
    return { ok: true, created: done.previous === undefined, profile: done.profile };
  }

  async act(printerId: string, request: Parameters<FleetOperations['act']>[1]) {
    const at = this.now().getTime();
    const result = await this.options.writer.apply(printerId, () => ({
      kind: 'action',
      action: request.action,
      at,
      by: request.by,
      ...(request.note !== undefined ? { note: request.note } : {}),
      ...(request.until !== undefined ? { until: request.until } : {}),
    }));
    switch (result.kind) {
      case 'unknown-printer':
        return refusal(404, `no printer ${JSON.stringify(printerId)}`);
      case 'bad-profile':
        return refusal(409, `printer ${printerId} has a profile error: ${result.reason}`);
      case 'refused':
        return refusal(result.step.kind === 'invalid' ? 400 : 409, result.step.reason);
      case 'applied': {
        const { alarm } = result.state;
        return {
          ok: true as const,
          alarm: {
            State: alarm.state,
            Severity: alarm.severity,
            Cause: alarm.cause,
            Since: alarm.since,
            ...snoozeEnd(alarm.state, alarm.until),
            ...owner(alarm.owner?.by, alarm.owner?.note),
          },
        };
      }
    }
  }

  async history(printerId: string, query: Parameters<FleetOperations['history']>[1]) {
    if ((await this.get(printerId, true)) === undefined) return undefined;
    if (this.options.history === undefined) return { items: [], next: null };
    try {
      return await this.options.history.printer(printerId, query);
    } catch (error) {
      if (error instanceof CursorError) return refusal(400, error.message);
      throw error;
    }
  }

  async events(query: Parameters<FleetOperations['events']>[0]) {
    if (this.options.history === undefined) return { items: [], next: null };
    try {
      return await this.options.history.fleet(query);
    } catch (error) {
      if (error instanceof CursorError) return refusal(400, error.message);
      throw error;
    }
  }

  async eventCounts(since: number, until: number, buckets: number) {
    if (this.options.history === undefined) {
      const width = Math.max(1, Math.ceil((until - since + 1) / buckets));
      return Array.from({ length: buckets }, (_, i) => ({ start: new Date(since + i * width).toISOString(), events: 0, transitions: 0 }));
    }
    return this.options.history.counts(since, until, buckets);
  }

  private async get(printerId: string, keysOnly = false): Promise<Item | undefined> {
    if (printerId === FLEET_DEFAULTS_ID && keysOnly) return undefined;
    const { Item } = await this.options.client.send(
      new GetItemCommand({
        TableName: this.options.tableName,
        Key: { [ATTR.printerId]: { S: printerId } },
        ...(keysOnly ? { ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': ATTR.printerId } } : {}),
      }),
    );
    return Item ? toNative(Item) : undefined;
  }

  /** Items by PrinterId, 100 per request (BatchGetItem's limit), retrying what DynamoDB leaves unprocessed. */
  private async batchGet(ids: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, AttributeValue>[] | undefined = ids.slice(i, i + 100).map((id) => ({ [ATTR.printerId]: { S: id } }));
      while (keys && keys.length > 0) {
        const result = await this.options.client.send(
          new BatchGetItemCommand({ RequestItems: { [this.options.tableName]: { Keys: keys } } }),
        );
        for (const item of result.Responses?.[this.options.tableName] ?? []) {
          const native = toNative(item);
          found.set(native[ATTR.printerId] as string, native);
        }
        keys = result.UnprocessedKeys?.[this.options.tableName]?.Keys as Record<string, AttributeValue>[] | undefined;
      }
    }
    return found;
  }
}
