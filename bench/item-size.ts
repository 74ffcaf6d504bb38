/**
 * DynamoDB's item size and write units, computed on the bench's side:
 * dynalite reports the table's capacity only, not what a write costs in the
 * table's secondary indexes. The rules are DynamoDB's (developer guide, "Item
 * sizes and formats" and "Provisioned throughput considerations for global
 * secondary indexes"); `test/bench/alarms.unit.test.ts` checks the sizes
 * against dynalite's own.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ATTR, PROFILES_INDEXES } from '../contract/index.ts';

export type Item = Record<string, AttributeValue>;

/** Bytes of a number as DynamoDB stores it: 1, plus 1 per two significant digits (base-100 digits, aligned on the exponent), plus 1 when negative. */
export function numberBytes(text: string): number {
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!m) return Buffer.byteLength(text);
  const integer = m[2] ?? '';
  const digits = integer + (m[3] ?? '');
  const first = digits.search(/[1-9]/);
  if (first < 0) return 1;
  const significant = digits.slice(first).replace(/0+$/, '').length;
  const exponent = integer.length - first - 1 + Number(m[4] ?? 0);
  return 1 + Math.ceil(significant / 2) + (significant % 2 !== 0 || exponent % 2 !== 0 ? 0 : 1) + (m[1] === '-' ? 1 : 0);
}

/**
 * Bytes of one attribute value under DynamoDB's item-size rules: strings
 * their UTF-8 bytes, binaries their bytes, numbers {@link numberBytes}, sets
 * the sum of their elements, booleans and nulls 1, lists and maps 3 plus 1
 * per element (a map's element also counts its name).
 */
export function attributeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  return 0;
}

/** An item's size as DynamoDB counts it (400 KB limit, 1 KB write units): every attribute name (UTF-8) plus its value. */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + attributeBytes(value);
  return bytes;
}

/** Write units of a write that leaves `after` where `before` was: 1 per KB started of the larger. */
export function writeUnits(before: Item | undefined, after: Item | undefined): number {
  return Math.max(1, Math.ceil(Math.max(before ? itemBytes(before) : 0, after ? itemBytes(after) : 0) / 1024));
}

/** A value's canonical text (map keys sorted), to compare two values. */
function canonical(value: AttributeValue | undefined): string {
  if (value === undefined) return '';
  if (value.M !== undefined) {
    return `{${Object.keys(value.M)
      .sort()
      .map((k) => `${k}:${canonical(value.M![k])}`)
      .join(',')}}`;
  }
  if (value.L !== undefined) return `[${value.L.map(canonical).join(',')}]`;
  return JSON.stringify(value);
}

/**
 * Write units a table write costs in the profiles table's indexes: an entry
 * put (the item gains the index's keys), deleted (it loses them), deleted and
 * put again (a key changes), or rewritten (a projected attribute changes);
 * each 1 per KB started of the entry (the keys and projected attributes).
 */
export function indexWriteUnits(before: Item | undefined, after: Item): number {
  let units = 0;
  for (const index of PROFILES_INDEXES) {
    const keys = [index.partitionKey.name, index.sortKey.name];
    const names: readonly string[] = [ATTR.printerId, ...keys, ...index.projectedAttributes];
    const entry = (item: Item) => Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]!]));
    const size = (item: Item) => writeUnits(undefined, entry(item));
    const inBefore = before !== undefined && keys.every((k) => before[k] !== undefined);
    const inAfter = keys.every((k) => after[k] !== undefined);
    if (inBefore && inAfter) {
      if (keys.some((k) => canonical(before[k]) !== canonical(after[k]))) units += size(before) + size(after);
      else if (names.some((n) => canonical(before[n]) !== canonical(after[n]))) units += size(after);
    } else if (inBefore) units += size(before);
    else if (inAfter) units += size(after);
  }
  return units;
}
