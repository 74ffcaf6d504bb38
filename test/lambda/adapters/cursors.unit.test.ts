/**
 * Page cursors: what a query issued comes back as the same start key; any
 * other text is a `CursorError`, never a start key of another shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CursorError, decodeCursor, encodeCursor, fromCursor } from '../../../lambda/adapters/cursors.ts';

const SHAPE = { names: ['PrinterId', 'Key'], pinned: { PrinterId: 'P1' } } as const;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url');

describe('page cursors', () => {
  it('gives back the key a page ended on, whatever its strings', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), (key) => {
        const start = { PrinterId: { S: 'P1' }, Key: { S: key } };
        expect(decodeCursor(encodeCursor(start), SHAPE)).toEqual(start);
      }),
    );
  });

  it('refuses anything else with a CursorError: other JSON, other shapes, wrong types, another printer, not base64 JSON', () => {
    const forged = fc.oneof(
      fc.jsonValue().map(b64),
      fc.dictionary(fc.constantFrom('PrinterId', 'Key', 'Feed', 'x'), fc.oneof(fc.string(), fc.integer(), fc.constant(null))).map(b64),
      fc.string(),
    );
    fc.assert(
      fc.property(forged, (cursor) => {
        let decoded: unknown;
        try {
          decoded = decodeCursor(cursor, SHAPE);
        } catch (error) {
          expect(error).toBeInstanceOf(CursorError);
          return;
        }
        // Only a key of exactly this shape gets through.
        expect(Object.keys(decoded as object).sort()).toEqual(['Key', 'PrinterId']);
        expect(decoded).toMatchObject({ PrinterId: { S: 'P1' }, Key: { S: expect.any(String) } });
      }),
    );
    expect(() => decodeCursor(b64({ x: 1 }), SHAPE)).toThrow(CursorError);
    expect(() => decodeCursor(b64({ PrinterId: 'P2', Key: 'k' }), SHAPE)).toThrow(CursorError);
    expect(() => decodeCursor(b64({ PrinterId: 'P1', Key: '' }), SHAPE)).toThrow(CursorError);
  });

  it("makes DynamoDB's refusal of a start key a CursorError, and passes anything else on", async () => {
    const refusal = Object.assign(new Error('The provided starting key is invalid'), { name: 'ValidationException' });
    const start = { PrinterId: { S: 'P1' } };
    await expect(fromCursor(start, () => Promise.reject(refusal))).rejects.toBeInstanceOf(CursorError);
    await expect(fromCursor(undefined, () => Promise.reject(refusal))).rejects.toBe(refusal);
    const other = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    await expect(fromCursor(start, () => Promise.reject(other))).rejects.toBe(other);
  });
});
