/**
 * The buttons the dashboard offers (`contract/alarm-actions.js`, `actionsFor`)
 * are exactly the actions the alarm's state machine accepts: checked against
 * `stepAlarm` on alarms in every state, and against the rules as written
 * (`docs/design.md`, "Alarms").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionsFor } from '../../contract/alarm-actions.js';
import type { AlarmActionName, AlarmState } from '../../contract/index.ts';
import { INITIAL_ALARM, stepAlarm } from '../../lambda/core/alarm.ts';
import type { Alarm } from '../../lambda/core/types.ts';

const STATES: readonly AlarmState[] = ['NORMAL', 'ACTIVE', 'ACKNOWLEDGED', 'LATCHED', 'SNOOZE_DISABLED', 'DISABLED'];
const ACTIONS: readonly AlarmActionName[] = ['acknowledge', 'snooze', 'disable', 'enable', 'reset'];
const T0 = Date.parse('2026-12-07T14:00:00Z');

/** The rules as written, one line each: the independent model. */
const MODEL: Record<AlarmActionName, (s: AlarmState) => boolean> = {
  acknowledge: (s) => s === 'ACTIVE' || s === 'LATCHED',
  snooze: (s) => s !== 'DISABLED',
  disable: (s) => s !== 'DISABLED',
  enable: (s) => s === 'DISABLED',
  reset: (s) => s !== 'NORMAL',
};

describe('actionsFor', () => {
  it('offers an action exactly when the rules say it applies', () => {
    for (const state of STATES) expect(actionsFor(state)).toEqual(ACTIONS.filter((a) => MODEL[a](state)));
  });

  it('offers an action exactly when the state machine accepts it, for any alarm, action, note and snooze end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        fc.constantFrom(...ACTIONS),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.option(
          fc.string({ maxLength: 20 }).filter((s) => !/\p{Cc}/u.test(s)),
          { nil: undefined },
        ),
        (state, action, ahead, note) => {
          const alarm: Alarm = {
            ...INITIAL_ALARM,
            state,
            transitionCount: 3,
            ...(state === 'SNOOZE_DISABLED' ? { until: T0 + ahead + 1 } : {}),
          };
          const step = stepAlarm(
            alarm,
            { severity: 'major', clearAfter: 1, latch: false },
            {
              kind: 'action',
              action,
              at: T0,
              by: 'local',
              ...(note === undefined ? {} : { note }),
              ...(action === 'snooze' ? { until: T0 + ahead } : {}),
            },
          );
          expect(step.ok).toBe(actionsFor(state).includes(action));
        },
      ),
    );
  });
});
