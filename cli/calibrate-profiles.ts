/**
 * The profiles `npm run calibrate` judges against: the live table's (the one
 * `--write` writes to, found as every table CLI finds it), or a profiles file
 * given with `--profiles`; either way with the fleet defaults (`*`) filled in,
 * as the detector runs them. Also what it warns about in its suggestions.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ATTR, FLEET_DEFAULTS_ID, type ProfileInput } from '../contract/index.ts';
import { userAttributesOf } from '../lambda/core/profile-change.ts';
import { withDefaults } from '../lambda/core/rules.ts';
import type { PrinterCalibration } from '../lambda/core/calibration.ts';

type Item = Record<string, unknown>;

/** The user attributes stored for `ids` (those that have an item), and the fleet defaults: 100 keys a request. */
export async function readStoredProfiles(client: DynamoDBClient, tableName: string, ids: readonly string[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const wanted = [...new Set([...ids, FLEET_DEFAULTS_ID])];
  for (let i = 0; i < wanted.length; i += 100) {
    let keys: Record<string, { S: string }>[] | undefined = wanted.slice(i, i + 100).map((id) => ({ [ATTR.printerId]: { S: id } }));
    while (keys && keys.length > 0) {
      const result = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const raw of result.Responses?.[tableName] ?? []) {
        const item = unmarshall(raw);
        found.set(item[ATTR.printerId] as string, userAttributesOf(item));
      }
      keys = result.UnprocessedKeys?.[tableName]?.Keys as typeof keys;
    }
  }
  return found;
}

/** Each printer's profile with the fleet defaults filled in (the `*` entry itself left out). */
export function withFleetDefaults(profiles: readonly Item[]): ProfileInput[] {
  const defaults = profiles.find((p) => p[ATTR.printerId] === FLEET_DEFAULTS_ID);
  return profiles.filter((p) => p[ATTR.printerId] !== FLEET_DEFAULTS_ID).map((p) => withDefaults(p, defaults) as unknown as ProfileInput);
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/**
 * What a suggestion would hide: a band that flags none of the readings the current one flags some of (it absorbs
 * every past anomaly), and events the current profile raised that the suggestion would not have.
 */
export function suggestionWarnings(printer: PrinterCalibration): string[] {
  const warnings: string[] = [];
  for (const m of printer.metrics) {
    if (m.suggested === undefined || m.current === undefined) continue;
    if (m.suggested.flaggedShare === 0 && m.current.flaggedShare > 0) {
      warnings.push(
        `${printer.PrinterId}: the suggested ${m.metric} band flags 0% of the readings; the current one flags ` +
          `${percent(m.current.flaggedShare)}: every past anomaly would be taken as normal`,
      );
    }
  }
  const before = printer.current?.events;
  const after = printer.suggested?.events;
  if (before !== undefined && after !== undefined && after < before) {
    warnings.push(
      `${printer.PrinterId}: the suggestion would have silenced ${before - after} of the ${before} event(s) the current profile raised`,
    );
  }
  return warnings;
}
