/**
 * What the operator API reads from a query or a body before it reaches the
 * fleet (`lambda/api/app.ts`): times given as epoch milliseconds or ISO-8601,
 * and alarm actions. Every refusal is a 400 with one line naming the field.
 */
import fc from 'fast-check';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { ALARM_ACTIONS, parseAlarmAction, parseTime } from '../../../lambda/api/app.ts';

/** The 400 the API answers with, or the value when there is none. */
function outcome<T>(run: () => T): T | { status: number; message: string } {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof HTTPException)) throw error;
    return { status: error.status, message: error.message };
  }
}

const instant = fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) });
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('times in queries and bodies', () => {
  it('reads epoch milliseconds of 1 to 15 digits as themselves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (ms) => {
        expect(parseTime('since', String(ms))).toBe(ms);
      }),
    );
  });

  it('reads ISO-8601 times with Z or an offset, and dates, as the instant they name', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.boolean(), (ms, offsetMinutes, colon) => {
        const date = new Date(ms);
        expect(parseTime('until', date.toISOString())).toBe(ms);
        // The same instant written in another zone: local wall time plus the offset.
        const local = new Date(ms + offsetMinutes * 60_000);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const zone = `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}${colon ? ':' : ''}${pad(Math.abs(offsetMinutes) % 60)}`;
        const text = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}${zone}`;
        if (local.getUTCFullYear() >= 1000 && local.getUTCFullYear() <= 9999) expect(parseTime('until', text)).toBe(ms);
        const day = date.toISOString().slice(0, 10);
        expect(parseTime('since', day)).toBe(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
      }),
    );
  });

  it('refuses a date-time without a zone, saying so, and anything else with what it accepts', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom('since', 'until'), (ms, name) => {
        const local = new Date(ms).toISOString().slice(0, -1);
        expect(outcome(() => parseTime(name, local))).toEqual({
          status: 400,
          message: `${name} needs a time zone (e.g. ${local}Z), got "${local}"`,
        });
      }),
    );
    const garbage = fc.oneof(
      fc.string().filter((s) => !/^\d{1,15}$/.test(s) && !/^\d{4}-\d{2}-\d{2}/.test(s)),
      fc.constantFrom('1234567890123456', '-1', '1e3', '2026-13-45', '2026-01-01T25:00Z', 'yesterday', ''),
    );
    fc.assert(
      fc.property(garbage, (text) => {
        expect(outcome(() => parseTime('since', text))).toEqual({
          status: 400,
          message: `since must be epoch milliseconds or an ISO-8601 time, got "${text}"`,
        });
      }),
    );
  });
});

describe('alarm actions', () => {
  const note = fc.option(fc.string(), { nil: undefined });

  it('accepts every action with an optional note, and snooze with an ISO-8601 until, naming who acts', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALARM_ACTIONS), note, instant, fc.string(), (action, text, ms, by) => {
        const until = new Date(ms).toISOString();
        const body = { action, ...(text === undefined ? {} : { note: text }), ...(action === 'snooze' ? { until } : {}) };
        expect(parseAlarmAction(body, by)).toEqual({
          action,
          by,
          ...(text === undefined ? {} : { note: text }),
          ...(action === 'snooze' ? { until: ms } : {}),
        });
        // A null note or until is the same as none (a JSON merge-patch habit).
        if (action !== 'snooze') expect(parseAlarmAction({ action, note: null, until: null }, by)).toEqual({ action, by });
      }),
    );
  });

  it('refuses with one 400 line: an unknown action or field, a note or until of another type, snooze without until, until elsewhere', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ action: 'explode' }, 'action must be one of acknowledge, snooze, disable, enable, reset, got "explode"'],
      [{}, 'action must be one of acknowledge, snooze, disable, enable, reset, got nothing'],
      [{ action: 7 }, 'action must be one of acknowledge, snooze, disable, enable, reset, got 7'],
      [{ action: 'reset', by: 'x' }, 'unknown field "by"; expected action, note and until'],
      [{ action: 'reset', note: 1 }, 'note must be a string'],
      [{ action: 'snooze', until: 5 }, 'until must be an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z, got number'],
      [{ action: 'snooze' }, 'snooze needs until: an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z'],
      [{ action: 'snooze', note: 'n' }, 'snooze needs until: an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z'],
      [{ action: 'reset', until: '2027-01-01T00:00:00Z' }, 'until is for snooze, not reset'],
      [
        { action: 'snooze', until: '1795255260000' },
        'until must be an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z, got "1795255260000"',
      ],
      [
        { action: 'snooze', until: '2026-11-21T12:00:00' },
        'until needs a time zone (e.g. 2026-11-21T12:00:00Z), got "2026-11-21T12:00:00"',
      ],
      [{ action: 'snooze', until: 'soon' }, 'until must be an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z, got "soon"'],
      // Shaped like a time but no day of the calendar: refused by the time parser, which names the field.
      [
        { action: 'snooze', until: '2026-13-45T00:00:00Z' },
        'until must be epoch milliseconds or an ISO-8601 time, got "2026-13-45T00:00:00Z"',
      ],
    ];
    for (const [body, message] of cases) expect(outcome(() => parseAlarmAction(body, 'me'))).toEqual({ status: 400, message });
  });
});
