import fc from 'fast-check';

/** Invalid payloads (`docs/design.md`, "Data formats"), each with the reason it must be rejected for. */
export const INVALID_PAYLOADS: readonly [string, unknown, RegExp][] = [
  ['not JSON', '{"PrinterId": "Printer1", "data": ', /not JSON/],
  ['a JSON string', '"hello"', /must be a JSON object/],
  ['an array', [{ PrinterId: 'Printer1', data: { value: 90 } }], /got an array/],
  ['null', null, /got null/],
  ['a number', 42, /got number/],
  ['value as string "99"', { PrinterId: 'Printer1', data: { value: '99' } }, /data.value must be a number, got string/],
  ['value true', { PrinterId: 'Printer1', data: { value: true } }, /got boolean/],
  ['value null', { PrinterId: 'Printer1', data: { value: null } }, /got null/],
  ['value missing', { PrinterId: 'Printer1', data: {} }, /got nothing/],
  ['value 1e999 (Infinity)', '{"PrinterId": "Printer1", "data": {"value": 1e999}}', /finite/],
  ['value -1e999', '{"PrinterId": "Printer1", "data": {"value": -1e999}}', /finite/],
  ['data missing', { PrinterId: 'Printer1' }, /data must be an object/],
  ['data an array', { PrinterId: 'Printer1', data: [90] }, /data must be an object/],
  ['PrinterId missing', { data: { value: 90 } }, /PrinterId must be a string/],
  ['PrinterId a number', { PrinterId: 1, data: { value: 90 } }, /PrinterId must be a string/],
  ['PrinterId empty', { PrinterId: '', data: { value: 90 } }, /must not be empty/],
  ['PrinterId of 5,000 characters', { PrinterId: 'P'.repeat(5000), data: { value: 90 } }, /5000 characters, over 128/],
  ['PrinterId with a newline', { PrinterId: 'Printer1\n', data: { value: 90 } }, /control characters/],
  ['PrinterId with NUL', { PrinterId: 'Prin\u0000ter1', data: { value: 90 } }, /control characters/],
  ['PrinterId with DEL', { PrinterId: 'Printer\u007f', data: { value: 90 } }, /control characters/],
  ['seq negative', { PrinterId: 'Printer1', data: { value: 90 }, seq: -1 }, /seq must be a non-negative integer/],
  ['seq fractional', { PrinterId: 'Printer1', data: { value: 90 }, seq: 1.5 }, /seq must be/],
  ['seq a string', { PrinterId: 'Printer1', data: { value: 90 }, seq: '3' }, /seq must be/],
  ['seq null', { PrinterId: 'Printer1', data: { value: 90 }, seq: null }, /seq must be/],
  ['timestamp garbage', { PrinterId: 'Printer1', data: { value: 90 }, timestamp: 'yesterday' }, /timestamp must be/],
  ['timestamp negative', { PrinterId: 'Printer1', data: { value: 90 }, timestamp: -5 }, /timestamp must be/],
  ['over 8 KB', { PrinterId: 'Printer1', data: { value: 90 }, padding: 'x'.repeat(9000) }, /over the 8192-byte limit/],
  ['over 8 KB as text', `{"PrinterId":"Printer1","data":{"value":1},"p":"${'x'.repeat(9000)}"}`, /over the 8192-byte limit/],
];

/** Doubles across the whole range, with the storable limits and their neighbours (`isStorableNumber`). */
export const extremeNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    1e20,
    -1e300,
    Number('12345678901234567890'),
    5e-324,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER + 2,
    -0,
    1e125,
    9.999999999999998e125,
    1e126,
    -1e126,
    1e-130,
    -1e-130,
    9.999999999999999e-131,
    1e-131,
  ),
  fc.integer({ min: -140, max: 140 }).chain((exponent) => fc.double({ min: 1, max: 10, noNaN: true }).map((m) => m * 10 ** exponent)),
);

/** Numeric literals as a printer could write them in raw JSON: long digit strings, exponents, both signs. */
export const extremeLiteral = fc
  .tuple(
    fc.boolean(),
    fc.stringMatching(/^[1-9][0-9]{0,40}$/),
    fc.option(fc.stringMatching(/^[0-9]{1,30}$/), { nil: undefined }),
    fc.option(fc.integer({ min: -400, max: 400 }), { nil: undefined }),
    fc.constantFrom('e', 'E'),
  )
  .map(([negative, whole, fraction, exponent, e]) => {
    const mantissa = `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`;
    return exponent === undefined ? mantissa : `${mantissa}${e}${exponent >= 0 ? '+' : ''}${exponent}`;
  });
