import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isStorableNumber,
  MAX_BATCH_BYTES,
  MAX_BATCH_READINGS,
  MAX_METRIC_NAME_LENGTH,
  MAX_PAYLOAD_BYTES,
} from '../../../contract/index.ts';
import { parseMessage, parseReading } from '../../../lambda/core/reading.ts';
import { extremeLiteral, extremeNumber, INVALID_PAYLOADS } from '../../support/invalid-payloads.ts';

describe('reading validation', () => {
  it.each(INVALID_PAYLOADS)('rejects %s with a one-line reason', (_name, payload, reason) => {
    const parsed = parseReading(payload);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toMatch(reason);
      expect(parsed.reason).not.toContain('\n');
    }
  });

  it('names the printer when the id itself was valid', () => {
    expect(parseReading({ PrinterId: 'Printer1', data: { value: '99' } })).toMatchObject({ ok: false, printerId: 'Printer1' });
  });

  it('accepts the original reading shape, raw text and bytes alike', () => {
    const expected = { ok: true, reading: { printerId: 'Printer1', metrics: { value: 85.2 } } };
    expect(parseReading({ PrinterId: 'Printer1', data: { value: 85.2 } })).toEqual(expected);
    expect(parseReading('{"PrinterId":"Printer1","data":{"value":85.2}}')).toEqual(expected);
    expect(parseReading(Buffer.from('{"PrinterId":"Printer1","data":{"value":85.2}}'))).toEqual(expected);
  });

  it('refuses a payload with both data and readings, with the reason, rather than pick one', () => {
    expect(parseMessage({ PrinterId: 'P', data: { value: 1 }, readings: [{ data: { value: 2 } }] })).toEqual({
      ok: false,
      reason: 'a message carries data (one reading) or readings (a batch), not both',
      printerId: 'P',
    });
  });

  it('reads seq and both timestamp forms', () => {
    expect(parseReading({ PrinterId: 'P', data: { value: 1 }, seq: 0, timestamp: 1763700000000 })).toEqual({
      ok: true,
      reading: { printerId: 'P', metrics: { value: 1 }, seq: 0, timestamp: 1763700000000 },
    });
    expect(parseReading({ PrinterId: 'P', data: { value: 1 }, timestamp: '2026-11-21T10:00:00.000Z' })).toMatchObject({
      reading: { timestamp: Date.parse('2026-11-21T10:00:00.000Z') },
    });
  });

  it('is case-sensitive and keeps ids exactly', () => {
    expect(parseReading({ PrinterId: ' printer1 ', data: { value: 1 } })).toMatchObject({ reading: { printerId: ' printer1 ' } });
  });

  it('does not read inherited keys such as __proto__', () => {
    const parsed = parseReading('{"__proto__": {"PrinterId": "Printer1", "data": {"value": 1}}}');
    expect(parsed).toMatchObject({ ok: false, reason: 'PrinterId must be a string' });
  });
});

describe('reading validation: size limits, exactly at the limit accepted and one over refused', () => {
  /**
   * `body` with a `pad` key whose text makes the JSON exactly `bytes` long,
   * padded with `unit` (1 to 4 bytes in UTF-8) and ASCII for the rest, so that
   * bytes and characters differ.
   */
  const padded = (body: Record<string, unknown>, bytes: number, unit: string): string => {
    const base = Buffer.byteLength(JSON.stringify({ ...body, pad: '' }));
    const room = bytes - base;
    const units = Math.floor(room / Buffer.byteLength(unit));
    const text = JSON.stringify({ ...body, pad: unit.repeat(units) + 'x'.repeat(room - units * Buffer.byteLength(unit)) });
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  };
  const unit = fc.constantFrom('x', 'é', '€', '💥');
  /** The payload as the rule hands it over: raw text, bytes, or already-parsed JSON. */
  const FORMS = [
    (text: string): unknown => text,
    (text: string): unknown => Buffer.from(text),
    (text: string): unknown => JSON.parse(text),
  ];
  /** Every size from 3 bytes under the limit to 3 over: the boundary itself is never left to chance. */
  const around = (limit: number) => Array.from({ length: 7 }, (_, i) => limit - 3 + i);
  const single = { PrinterId: 'P1', data: { value: 1 } };
  const batch = { PrinterId: 'P1', readings: [{ data: { value: 1 } }, { data: { value: 2 } }] };

  it(`a single reading of up to ${MAX_PAYLOAD_BYTES} bytes is read, one byte more refused, however it comes`, () => {
    fc.assert(
      fc.property(unit, (u) => {
        for (const bytes of around(MAX_PAYLOAD_BYTES)) {
          for (const as of FORMS) {
            const payload = as(padded(single, bytes, u));
            for (const parsed of [parseReading(payload), parseMessage(payload)]) {
              if (bytes <= MAX_PAYLOAD_BYTES) expect(parsed).toMatchObject({ ok: true });
              else expect(parsed).toEqual({ ok: false, reason: `payload is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit` });
            }
          }
        }
      }),
      { numRuns: 10 },
    );
  });

  it(`a batch of up to ${MAX_BATCH_BYTES} bytes is read, one byte more refused, however it comes`, () => {
    fc.assert(
      fc.property(unit, (u) => {
        for (const bytes of around(MAX_BATCH_BYTES)) {
          for (const as of FORMS) {
            const parsed = parseMessage(as(padded(batch, bytes, u)));
            if (bytes <= MAX_BATCH_BYTES) expect(parsed).toMatchObject({ ok: true, kind: 'batch', readings: [{}, {}], invalid: [] });
            else expect(parsed).toEqual({ ok: false, reason: `payload is ${bytes} bytes, over the ${MAX_BATCH_BYTES}-byte limit` });
          }
        }
      }),
      { numRuns: 8 },
    );
  });

  it(`a batch of 1 to ${MAX_BATCH_READINGS} elements is read whole; none, or one more, is refused`, () => {
    for (const n of [0, 1, 2, ...around(MAX_BATCH_READINGS)]) {
      const parsed = parseMessage({ PrinterId: 'P1', readings: Array.from({ length: n }, (_, i) => ({ data: { value: i } })) });
      if (n >= 1 && n <= MAX_BATCH_READINGS) {
        expect(parsed).toMatchObject({ ok: true, kind: 'batch', invalid: [] });
        expect(parsed.ok && parsed.readings.length).toBe(n);
      } else {
        expect(parsed).toEqual({ ok: false, printerId: 'P1', reason: `readings must hold 1 to ${MAX_BATCH_READINGS} elements, got ${n}` });
      }
    }
  });
});

describe('reading validation: numbers DynamoDB can store, and no others', () => {
  /** What the parser makes of a reading whose value is written as `literal` in raw JSON. */
  const parsedValue = (literal: string, key = 'value') => parseReading(`{"PrinterId":"P6","data":{"${key}":${literal}},"seq":1}`);

  it('applies a storable value exactly and refuses any other with a reason, over the whole double range', () => {
    fc.assert(
      fc.property(extremeNumber, fc.constantFrom('value', 'temperature'), (value, key) => {
        const parsed = parsedValue(JSON.stringify(value), key);
        // JSON has no -0: it is written as 0.
        if (isStorableNumber(value)) expect(parsed).toMatchObject({ ok: true, reading: { metrics: { [key]: value === 0 ? 0 : value } } });
        else expect(parsed).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(`^data\\.${key} .* to store`)) });
      }),
    );
  });

  it('judges a numeric literal in raw JSON by the double it denotes', () => {
    fc.assert(
      fc.property(extremeLiteral, (literal) => {
        const value = Number(literal);
        expect(parsedValue(literal).ok).toBe(isStorableNumber(value));
      }),
    );
    for (const literal of ['1e20', '12345678901234567890']) expect(parsedValue(literal).ok).toBe(true);
    for (const literal of ['-1e300', '5e-324', '1.7976931348623157e308', '1e126']) expect(parsedValue(literal).ok).toBe(false);
  });

  it('refuses a timestamp DynamoDB cannot store', () => {
    expect(parseReading({ PrinterId: 'P6', data: { value: 1 }, timestamp: 1e300 })).toMatchObject({ ok: false, reason: /timestamp/ });
    expect(parseReading({ PrinterId: 'P6', data: { value: 1 }, timestamp: 5e-324 })).toMatchObject({ ok: false, reason: /timestamp/ });
  });
});

describe('reading validation: several metrics', () => {
  const parsed = (data: unknown) => parseReading({ PrinterId: 'P', data });

  it('keeps every finite metric, and each invalid one with its reason, for the detector to judge', () => {
    expect(parsed({ temperature: 210.5, humidity: 40, door: 'open', fan: null, value: '1' })).toEqual({
      ok: true,
      reading: {
        printerId: 'P',
        metrics: { temperature: 210.5, humidity: 40 },
        invalidMetrics: {
          door: 'data.door must be a number, got string',
          fan: 'data.fan must be a number, got null',
          value: 'data.value must be a number, got string',
        },
      },
    });
  });

  it('reads an infinite metric as invalid', () => {
    expect(parseReading('{"PrinterId":"P","data":{"t":1,"u":1e999}}')).toMatchObject({
      reading: { metrics: { t: 1 }, invalidMetrics: { u: 'data.u must be finite' } },
    });
  });

  it("rejects data without any finite metric, with the first invalid metric's reason", () => {
    expect(parsed({ temperature: 'hot', humidity: null })).toEqual({
      ok: false,
      printerId: 'P',
      reason: 'data.temperature must be a number, got string',
    });
  });

  it('keeps the original reason when data has a value key or no key at all', () => {
    expect(parsed({ temperature: 'hot', value: null })).toMatchObject({ ok: false, reason: 'data.value must be a number, got null' });
    expect(parsed({})).toMatchObject({ ok: false, reason: 'data.value must be a number, got nothing' });
  });

  it.each([
    ['empty', '', 'data has a metric with an empty name'],
    ['too long', 'm'.repeat(MAX_METRIC_NAME_LENGTH + 1), `data has a metric name of 65 characters, over ${MAX_METRIC_NAME_LENGTH}`],
    ['with a newline', 'temp\nerature', 'data has a metric name with control characters'],
  ])('reads a metric whose name is %s as invalid, in one line', (_what, name, reason) => {
    expect(parsed({ value: 1, [name]: 2 })).toEqual({
      ok: true,
      reading: { printerId: 'P', metrics: { value: 1 }, invalidMetrics: { [name]: reason } },
    });
    expect(parsed({ [name]: 2 })).toEqual({ ok: false, printerId: 'P', reason });
  });

  it('accepts a metric name of exactly the longest length', () => {
    const name = 'm'.repeat(MAX_METRIC_NAME_LENGTH);
    expect(parsed({ [name]: 3 })).toMatchObject({ ok: true, reading: { metrics: { [name]: 3 } } });
  });

  it('keeps metrics named like Object properties as ordinary keys', () => {
    const result = parseReading('{"PrinterId":"P","data":{"__proto__":5,"constructor":6}}');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.getPrototypeOf(result.reading.metrics)).toBe(Object.prototype);
    expect(Object.entries(result.reading.metrics)).toEqual([
      ['__proto__', 5],
      ['constructor', 6],
    ]);
  });

  it('parses each element of a batch the same way', () => {
    const message = parseMessage({
      PrinterId: 'P',
      readings: [{ data: { t: 1, u: 'x' }, seq: 1 }, { data: { u: 'x' } }, { data: { value: 2 } }],
    });
    expect(message).toEqual({
      ok: true,
      kind: 'batch',
      printerId: 'P',
      readings: [
        { printerId: 'P', metrics: { t: 1 }, invalidMetrics: { u: 'data.u must be a number, got string' }, seq: 1 },
        { printerId: 'P', metrics: { value: 2 } },
      ],
      invalid: [{ index: 1, reason: 'readings[1]: data.u must be a number, got string' }],
    });
  });
});
