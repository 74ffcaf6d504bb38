// Which operator action applies in which alarm state, and where it takes the
// alarm: the one table the alarm's state machine (`lambda/core/alarm.ts`)
// and the dashboard (served as `/alarm-actions.js`, to show only the buttons
// that can succeed) both read. A plain ES module, no build step, typed by
// `alarm-actions.d.ts`; `docs/design.md`, "Alarms", tells the rules.

/** Each action: the states it applies to, as a refusal says them, and the state it leads to from `from` (undefined: refused). */
export const ALARM_ACTION_RULES = Object.freeze({
  acknowledge: {
    appliesTo: 'ACTIVE or LATCHED',
    to: (from) => (from === 'ACTIVE' ? 'ACKNOWLEDGED' : from === 'LATCHED' ? 'NORMAL' : undefined),
  },
  snooze: { appliesTo: 'any state but DISABLED', to: (from) => (from === 'DISABLED' ? undefined : 'SNOOZE_DISABLED') },
  disable: { appliesTo: 'any state but DISABLED', to: (from) => (from === 'DISABLED' ? undefined : 'DISABLED') },
  enable: { appliesTo: 'DISABLED', to: (from) => (from === 'DISABLED' ? 'NORMAL' : undefined) },
  reset: { appliesTo: 'any state but NORMAL', to: (from) => (from === 'NORMAL' ? undefined : 'NORMAL') },
});

/** The actions that can succeed on an alarm in `state`, in the table's order. */
export function actionsFor(state) {
  return Object.keys(ALARM_ACTION_RULES).filter((action) => ALARM_ACTION_RULES[action].to(state) !== undefined);
}
