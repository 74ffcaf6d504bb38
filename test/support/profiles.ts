import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ProfileInput } from '../../contract/index.ts';

/**
 * A profile item exactly as the original project's command writes it:
 * `aws dynamodb put-item --table-name PrinterProfiles --item '{"PrinterId": {"S": "Printer1"},
 *  "Thresholds": {"M": {"Lower": {"N": "20"}, "Upper": {"N": "80"}}}, "Window": {"N": "10"},
 *  "OutOfBoundsCount": {"N": "0"}, "EventCount": {"N": "0"}}'`
 */
export function originalProfileItem(id: string, lower: number, upper: number, window: number): Record<string, AttributeValue> {
  return {
    PrinterId: { S: id },
    Thresholds: { M: { Lower: { N: String(lower) }, Upper: { N: String(upper) } } },
    Window: { N: String(window) },
    OutOfBoundsCount: { N: '0' },
    EventCount: { N: '0' },
  };
}

/** Writes a profile with the low-level API, as the original `put-item` commands do. */
export async function putOriginalProfile(
  client: DynamoDBClient,
  tableName: string,
  id: string,
  lower: number,
  upper: number,
  window: number,
): Promise<void> {
  await client.send(new PutItemCommand({ TableName: tableName, Item: originalProfileItem(id, lower, upper, window) }));
}

/** The original model's view of an original-form profile (`{Lower, Upper}` thresholds and a Window). */
export function originalModelProfile(profile: ProfileInput): { lower: number; upper: number; window: number } {
  const { Lower, Upper } = profile.Thresholds as { Lower: number; Upper: number };
  if (typeof Lower !== 'number' || typeof Upper !== 'number' || profile.Window === undefined) {
    throw new TypeError(`${profile.PrinterId} is not an original-form profile`);
  }
  return { lower: Lower, upper: Upper, window: profile.Window };
}

/** A reading's original `data.value`. */
export function originalValue(reading: { readonly data: Readonly<Record<string, unknown>> }): number {
  return reading.data['value'] as number;
}
