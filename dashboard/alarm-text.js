// What an operator reads of an alarm, worded once for the dashboard and the
// CLIs (`cli/alarm.ts`, `cli/start.ts` import this file): a plain ES module,
// no build step, typed by `alarm-text.d.ts`.

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

/** `YYYY-MM-DD` and `HH:MM` of `ms` in `timeZone` (the reader's by default). */
function clock(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(timeZone === undefined ? {} : { timeZone }),
  }).formatToParts(ms);
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: `${part('year')}-${part('month')}-${part('day')}`, time: `${part('hour')}:${part('minute')}` };
}

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
 * when it ends the same day, else with its date; `until` is ISO-8601, `now`
 * epoch ms (injected by tests), `timeZone` the reader's unless given.
 */
export function snoozeText(until, now, timeZone) {
  const end = Date.parse(until);
  const at = clock(end, timeZone);
  const when = at.day === clock(now, timeZone).day ? at.time : `${at.day} ${at.time}`;
  return end > now ? `snoozed until ${when} (in ${span(end - now)})` : `snooze ended at ${when}`;
}
