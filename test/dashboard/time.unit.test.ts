/**
 * The dashboard's one time format (`dashboard/time.js`), with the clock and
 * the zone injected: today's times with seconds, other days with their date,
 * and the age beside them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageText, clockText, whenText } from '../../dashboard/time.js';

const NOW = Date.parse('2026-12-07T14:30:05Z');
const MINUTE = 60_000;

describe('clockText', () => {
  it('writes today as a time with seconds, another day with its date, another year with its year', () => {
    expect(clockText(Date.parse('2026-12-07T09:05:03Z'), NOW, 'UTC')).toBe('09:05:03');
    expect(clockText(Date.parse('2026-12-07T09:05:03Z'), NOW, 'UTC', { seconds: false })).toBe('09:05');
    expect(clockText(Date.parse('2026-12-06T23:59:00Z'), NOW, 'UTC')).toBe('6 Dec 23:59');
    expect(clockText(Date.parse('2025-01-31T08:00:00Z'), NOW, 'UTC')).toBe('31 Jan 2025 08:00');
  });

  it("reads the day in the reader's zone, not UTC", () => {
    // 23:30 UTC on the 6th is already the 7th in Tokyo, and still the 6th in New York.
    const late = Date.parse('2026-12-06T23:30:00Z');
    expect(clockText(late, NOW, 'Asia/Tokyo')).toBe('08:30:00');
    expect(clockText(late, NOW, 'America/New_York')).toBe('6 Dec 18:30');
  });

  it('for any time, is either a clock time (exactly when it is the same UTC day) or a date and time', () => {
    fc.assert(
      fc.property(fc.integer({ min: NOW - 800 * 24 * 60 * MINUTE, max: NOW }), (ms) => {
        const text = clockText(ms, NOW, 'UTC');
        const sameDay = new Date(ms).toISOString().slice(0, 10) === new Date(NOW).toISOString().slice(0, 10);
        if (sameDay) expect(text).toBe(new Date(ms).toISOString().slice(11, 19));
        else expect(text).toMatch(/^\d{1,2} [A-Z][a-z]{2}( \d{4})? \d\d:\d\d$/);
      }),
    );
  });
});

describe('ageText', () => {
  it('says how long ago, rounded down, in the largest whole unit', () => {
    expect(ageText(NOW - 2_000, NOW)).toBe('just now');
    expect(ageText(NOW - 12_000, NOW)).toBe('12 s ago');
    expect(ageText(NOW - 3 * MINUTE - 59_000, NOW)).toBe('3 min ago');
    expect(ageText(NOW - 150 * MINUTE, NOW)).toBe('2 h ago');
    expect(ageText(NOW - 4 * 24 * 60 * MINUTE, NOW), 'days').toBe('4 d ago');
    expect(ageText(NOW + 2 * MINUTE, NOW)).toBe('in 2 min');
  });

  it('for any past time, the number said is the span in its unit, rounded down', () => {
    const unit: Record<string, number> = { s: 1000, min: MINUTE, h: 60 * MINUTE, d: 24 * 60 * MINUTE };
    fc.assert(
      fc.property(fc.integer({ min: 5_000, max: 400 * 24 * 60 * MINUTE }), (ago) => {
        const [, n, u] = /^(\d+) (s|min|h|d) ago$/.exec(ageText(NOW - ago, NOW)) ?? [];
        expect(Number(n)).toBe(Math.floor(ago / unit[u!]!));
        expect(Number(n)).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('whenText puts both together', () => {
    expect(whenText(NOW - 3 * MINUTE, NOW, 'UTC')).toBe('14:27:05, 3 min ago');
  });
});
