import { describe, expect, it } from 'vitest';
import { parseReading } from '../../../lambda/core/reading.ts';
import { INVALID_PAYLOADS } from '../../support/invalid-payloads.ts';

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
    const expected = { ok: true, reading: { printerId: 'Printer1', value: 85.2 } };
    expect(parseReading({ PrinterId: 'Printer1', data: { value: 85.2 } })).toEqual(expected);
    expect(parseReading('{"PrinterId":"Printer1","data":{"value":85.2}}')).toEqual(expected);
    expect(parseReading(Buffer.from('{"PrinterId":"Printer1","data":{"value":85.2}}'))).toEqual(expected);
  });

  it('reads seq and both timestamp forms', () => {
    expect(parseReading({ PrinterId: 'P', data: { value: 1 }, seq: 0, timestamp: 1763700000000 })).toEqual({
      ok: true,
      reading: { printerId: 'P', value: 1, seq: 0, timestamp: 1763700000000 },
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
