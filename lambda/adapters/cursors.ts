/**
 * Page cursors of the operator API (`docs/design.md`, "The operator API and
 * the dashboard"). A cursor is the query's `LastEvaluatedKey` as JSON in
 * base64url: opaque to clients, and verified on the way back. Decoding checks
 * it strictly against the key shape the query issues (exactly its attribute
 * names, each a non-empty string, and the values the query pins), so a forged,
 * foreign or stale cursor is a `CursorError` (a 400), never a start key
 * DynamoDB would refuse with an error the client would see as a 500.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { isRecord } from '../../common/guards.ts';

/** A cursor this query did not issue. */
export class CursorError extends Error {
  override readonly name = 'CursorError';
}

const REFUSED = 'cursor is not one this API gave for this query';

/** The key a query's pages end on: its attribute names (all strings), and those whose value the query fixes. */
export interface CursorShape {
  readonly names: readonly string[];
  readonly pinned?: Readonly<Record<string, string>>;
}

/** The cursor of a page that ended on `key` (string attributes only, as every key the API pages on). */
export function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(key).map(([name, value]) => [name, value.S])))).toString('base64url');
}

/** The start key a cursor holds, or `CursorError` when it is not of `shape`. */
export function decodeCursor(cursor: string, shape: CursorShape): Record<string, AttributeValue> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError(REFUSED);
  }
  if (!isRecord(key) || Object.keys(key).length !== shape.names.length) throw new CursorError(REFUSED);
  const out: Record<string, AttributeValue> = {};
  for (const name of shape.names) {
    const value = Object.hasOwn(key, name) ? key[name] : undefined;
    if (typeof value !== 'string' || value.length === 0) throw new CursorError(REFUSED);
    const pinned = shape.pinned !== undefined && Object.hasOwn(shape.pinned, name) ? shape.pinned[name] : undefined;
    if (pinned !== undefined && value !== pinned) throw new CursorError(REFUSED);
    out[name] = { S: value };
  }
  return out;
}

/**
 * Runs a query that may start at a cursor's key: DynamoDB refusing that start
 * key (a `ValidationException`, e.g. a key outside the query's range) is the
 * cursor's fault, so it is a `CursorError`; anything else is passed on.
 */
export async function fromCursor<T>(start: Record<string, AttributeValue> | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (start !== undefined && (error as Error).name === 'ValidationException') throw new CursorError(REFUSED, { cause: error });
    throw error;
  }
}
