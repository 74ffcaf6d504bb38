/**
 * The one conversion to and from DynamoDB attribute values: a storable
 * number goes as its shortest form and comes back the same double, at any
 * depth of an item; nothing comes back as a BigInt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStorableNumber } from '../../../contract/index.ts';
import { fromItem, toAttribute, toItem } from '../../../lambda/adapters/dynamodb-values.ts';
import { extremeNumber } from '../../support/invalid-payloads.ts';

const storable = extremeNumber.filter(isStorableNumber).map((v) => (Object.is(v, -0) ? 0 : v));

describe('DynamoDB values', () => {
  it('writes a storable number as its shortest form and reads the same double back, nested too', () => {
    fc.assert(
      fc.property(storable, fc.array(storable, { maxLength: 3 }), (value, list) => {
        expect(toAttribute(value)).toEqual({ N: String(value) });
        const item = { LastValue: value, Recent: { s0: [1_700_000_000_000, value] }, List: list };
        expect(fromItem(toItem(item))).toEqual(item);
      }),
    );
  });

  it('reads numbers DynamoDB normalised (1e20 as 100000000000000000000) as numbers, never BigInt', () => {
    expect(fromItem({ v: { N: '100000000000000000000' }, w: { N: '-1E+125' }, x: { N: '12345678901234567000' } })).toEqual({
      v: 1e20,
      w: -1e125,
      x: 12345678901234567000,
    });
  });
});
