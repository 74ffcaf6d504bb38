// The one way the dashboard (and the CLIs, through `alarm-text.js`) writes a
// time: in the reader's zone, `14:30:05` when it is today and `7 Dec 14:30`
// when it is not (with the year when it is not this year), beside its age
// ("3 min ago"); the exact ISO time goes in a title. A plain ES module, no
// build step, typed by `time.d.ts`.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The calendar and clock fields of `ms` in `timeZone` (the reader's when undefined). */
function fields(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    ...(timeZone === undefined ? {} : { timeZone }),
  }).formatToParts(ms);
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(part('year')),
    month: Number(part('month')),
    day: Number(part('day')),
    hm: `${part('hour')}:${part('minute')}`,
    s: part('second'),
  };
}

/**
 * `ms` (epoch ms) as read against `now`: `14:30:05` today, `7 Dec 14:30` on
 * another day this year, `7 Dec 2025 14:30` in another year. `seconds: false`
 * leaves the seconds out of today's time (a snooze end is a time of day).
 */
export function clockText(ms, now, timeZone, { seconds = true } = {}) {
  const at = fields(ms, timeZone);
  const today = fields(now, timeZone);
  if (at.year === today.year && at.month === today.month && at.day === today.day) return seconds ? `${at.hm}:${at.s}` : at.hm;
  const year = at.year === today.year ? '' : ` ${at.year}`;
  return `${at.day} ${MONTHS[at.month - 1]}${year} ${at.hm}`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A past span, rounded down: `just now`, `12 s`, `3 min`, `2 h`, `4 d`. */
function pastSpan(ms) {
  if (ms < 5 * SECOND) return null;
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h`;
  return `${Math.floor(ms / DAY)} d`;
}

/** How long ago `ms` was: `3 min ago` (`just now` within 5 s; `in 2 min` ahead, as a clock a little fast makes it). */
export function ageText(ms, now) {
  if (ms > now + 5 * SECOND) return `in ${pastSpan(ms - now)}`;
  const span = pastSpan(now - ms);
  return span === null ? 'just now' : `${span} ago`;
}

/** Both, as a row shows a time: `14:30:05, 3 min ago`. */
export function whenText(ms, now, timeZone) {
  return `${clockText(ms, now, timeZone)}, ${ageText(ms, now)}`;
}
