import type { AlarmActionName, AlarmState } from './wire.ts';

/** Each action: the states it applies to (for the refusal's reason) and where it takes the alarm from a state. */
export const ALARM_ACTION_RULES: {
  readonly [A in AlarmActionName]: { readonly appliesTo: string; readonly to: (from: AlarmState) => AlarmState | undefined };
};

/** The actions that can succeed on an alarm in `state`. */
export function actionsFor(state: AlarmState): AlarmActionName[];
