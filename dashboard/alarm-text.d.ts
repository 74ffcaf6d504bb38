/** What of an alarm summary (`AlarmSummary` in `contract/wire.ts`) the wording reads. */
interface AlarmLike<S extends string | null, C extends string | null> {
  readonly State: string;
  readonly Severity: S;
  readonly Cause: C;
}

/** The severity and cause a row shows (none for NORMAL; a LATCHED alarm's raising cause). */
export function alarmBadges<S extends string | null, C extends string | null>(
  alarm: AlarmLike<S, C>,
): { severity: S | null; cause: C | 'threshold' | null };

/** `snoozed until 14:30 (in 28 min)`; `until` ISO-8601, `now` epoch ms. */
export function snoozeText(until: string, now: number, timeZone?: string): string;
