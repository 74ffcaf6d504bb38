import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

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
