/**
 * The alarm wording the dashboard and the CLIs share (`dashboard/alarm-text.js`):
 * when a snooze ends, with the time injected, and which severity and cause a
 * row shows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alarmBadges, snoozeText } from '../../dashboard/alarm-text.js';

const NOW = Date.parse('2026-12-07T14:02:00Z');
const MINUTE = 60_000;

describe('snoozeText', () => {
  it('says the end time and how long until then, rounded up to the minute', () => {
    expect(snoozeText('2026-12-07T14:30:00Z', NOW, 'UTC')).toBe('snoozed until 14:30 (in 28 min)');
    expect(snoozeText('2026-12-07T14:30:00Z', NOW, 'Europe/Paris')).toBe('snoozed until 15:30 (in 28 min)');
    expect(snoozeText('2026-12-07T16:07:00Z', NOW, 'UTC')).toBe('snoozed until 16:07 (in 2 h 5 min)');
    expect(snoozeText('2026-12-07T14:02:30Z', NOW, 'UTC')).toBe('snoozed until 14:02 (in 1 min)');
    expect(snoozeText('2026-12-09T18:02:00Z', NOW, 'UTC')).toBe('snoozed until 9 Dec 18:02 (in 2 d 4 h)');
    expect(snoozeText('2026-12-07T14:00:00Z', NOW, 'UTC')).toBe('snooze ended at 14:00');
  });

  it('for any end ahead, the minutes said add up to the span rounded up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 23 * 60 * MINUTE }), (ahead) => {
        const text = snoozeText(new Date(NOW + ahead).toISOString(), NOW, 'UTC');
        const [, h, m] = /\(in (?:(\d+) h)? ?(?:(\d+) min)?\)$/.exec(text) ?? [];
        expect(Number(h ?? 0) * 60 + Number(m ?? 0)).toBe(Math.ceil(ahead / MINUTE));
      }),
    );
  });
});

describe('alarmBadges', () => {
  it('a NORMAL alarm shows no severity and no cause, whatever its last transition was', () => {
    expect(alarmBadges({ State: 'NORMAL', Severity: 'major', Cause: 'clear' })).toEqual({ severity: null, cause: null });
  });
  it('a LATCHED alarm shows the threshold that raised it, not the clear that latched it', () => {
    expect(alarmBadges({ State: 'LATCHED', Severity: 'major', Cause: 'clear' })).toEqual({ severity: 'major', cause: 'threshold' });
  });
  it('a raised alarm shows its own', () => {
    expect(alarmBadges({ State: 'ACTIVE', Severity: 'critical', Cause: 'silent' })).toEqual({ severity: 'critical', cause: 'silent' });
  });
});
