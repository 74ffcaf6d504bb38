// What an operator reads of an alarm, worded once for the dashboard and the
// CLIs (`cli/alarm.ts`, `cli/start.ts` import this file): a plain ES module,
// no build step, typed by `alarm-text.d.ts`.
import { clockText } from './time.js';

/**
 * The severity and cause a row shows: they belong to a raised alarm, so a
 * NORMAL one shows neither. A LATCHED alarm's last move was the clear that
 * latched it; it was raised by a threshold, the only way into LATCHED
 * (`docs/design.md`, "Alarms"), and shows that.
 */
export function alarmBadges(alarm) {
  if (alarm.State === 'NORMAL') return { severity: null, cause: null };
  if (alarm.State === 'LATCHED' && alarm.Cause === 'clear') return { severity: alarm.Severity, cause: 'threshold' };
  return { severity: alarm.Severity, cause: alarm.Cause };
}

const MINUTE = 60_000;

/** A span ahead, rounded up to the minute: `28 min`, `2 h 5 min`, `3 d 4 h`. */
function span(ms) {
  const minutes = Math.max(1, Math.ceil(ms / MINUTE));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return hours % 24 === 0 ? `${Math.floor(hours / 24)} d` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * When a snooze ends, as `snoozed until 14:30 (in 28 min)`: the time alone
 * when it ends the same day, else with its date (`time.js`); `until` is ISO-8601, `now`
 * epoch ms (injected by tests), `timeZone` the reader's unless given.
 */
export function snoozeText(until, now, timeZone) {
  const end = Date.parse(until);
  const when = clockText(end, now, timeZone, { seconds: false });
  return end > now ? `snoozed until ${when} (in ${span(end - now)})` : `snooze ended at ${when}`;
}
