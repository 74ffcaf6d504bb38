/**
 * The one conversion between plain values and DynamoDB attribute values, for
 * every adapter and CLI (`docs/design.md`, "Data formats"). Numbers are
 * written as their shortest decimal form (`String(x)`), which DynamoDB stores
 * exactly when the number is storable (`isStorableNumber`, checked where a
 * number enters), and read back with `Number`, which gives the same double.
 * `allowImpreciseNumbers` only turns off util-dynamodb's refusal of numbers
 * beyond 2^53: for a double nothing is imprecise, since its shortest form is
 * exactly what it is. Reading never yields a BigInt.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/** A plain object as a DynamoDB item (undefined values are left out). */
export function toItem(value: Record<string, unknown>): Record<string, AttributeValue> {
  return marshall(value, { removeUndefinedValues: true, allowImpreciseNumbers: true });
}

/** One plain value as a DynamoDB attribute value. */
export function toAttribute(value: unknown): AttributeValue {
  return toItem({ value })['value'] as AttributeValue;
}

/** A DynamoDB item as a plain object, numbers as JS numbers. */
export function fromItem<T = Record<string, unknown>>(item: Record<string, AttributeValue>): T {
  return unmarshall(item, { wrapNumbers: (text: string) => Number(text) }) as T;
}
