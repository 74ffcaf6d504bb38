/**
 * Who holds an alarm (the alarm list's owner): an alarm an operator
 * acknowledged, snoozed or disabled keeps who did it and their note while it
 * stays so held, escalations included, and forgets them when anything else
 * moves it. Checked against a reading of the transition log alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmActionName, AlarmState, Severity } from '../../../contract/index.ts';
import { type AlarmInput, type AlarmRules, INITIAL_ALARM, stepAlarm } from '../../../lambda/core/alarm.ts';
import type { Alarm, AlarmTransition } from '../../../lambda/core/types.ts';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const ACTIONS: readonly AlarmActionName[] = ['acknowledge', 'snooze', 'disable', 'enable', 'reset'];
const HELD: readonly AlarmState[] = ['ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED'];

const input = (at: number): fc.Arbitrary<AlarmInput> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('reading' as const),
      at: fc.constant(at),
      inClear: fc.boolean(),
      event: fc.option(fc.record({ severity: fc.constantFrom<Severity>('critical', 'major', 'minor', 'warning') }), { nil: undefined }),
    }),
    fc.constant({ kind: 'tick' as const, at }),
    fc.record({
      kind: fc.constant('action' as const),
      action: fc.constantFrom(...ACTIONS),
      at: fc.constant(at),
      by: fc.constantFrom('alice', 'bob'),
      note: fc.option(fc.constantFrom('on it', 'maintenance'), { nil: undefined }),
      until: fc.integer({ min: at + 1, max: at + 50 }),
    }),
  );

/** The owner the log says: the latest operator action, if everything after it kept the state, into a held state. */
function ownerFromLog(state: AlarmState, log: readonly AlarmTransition[]) {
  if (!HELD.includes(state)) return undefined;
  for (const t of [...log].reverse()) {
    if ((ACTIONS as readonly string[]).includes(t.cause)) return { by: t.by, note: t.note };
    if (t.from !== t.to) return undefined;
  }
  return undefined;
}

describe('the owner of an alarm', () => {
  it('is who acted last while the alarm stays where they put it, for any inputs', () => {
    const rules: AlarmRules = { severity: 'major', clearAfter: 2, latch: true, silenceMs: 20 };
    const inputs = fc.array(fc.nat({ max: 5 }), { maxLength: 40 }).chain((gaps) => {
      const times = gaps.map((_, i) => T0 + gaps.slice(0, i + 1).reduce((sum, gap) => sum + gap + 1, 0));
      return fc.tuple(...times.map(input));
    });
    fc.assert(
      fc.property(inputs, (list) => {
        let alarm: Alarm = INITIAL_ALARM;
        const log: AlarmTransition[] = [];
        for (const each of list) {
          const step = stepAlarm(alarm, rules, each.kind === 'action' && each.action !== 'snooze' ? { ...each, until: undefined } : each);
          if (!step.ok) continue;
          alarm = step.alarm;
          log.push(...step.transitions);
          expect(alarm.owner).toEqual(ownerFromLog(alarm.state, log));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('survives an escalation of an acknowledged alarm and goes when it clears', () => {
    const rules: AlarmRules = { severity: 'major', clearAfter: 1, latch: false };
    const steps: AlarmInput[] = [
      { kind: 'reading', at: T0, inClear: false, event: { severity: 'minor' } },
      { kind: 'action', action: 'acknowledge', at: T0 + 1, by: 'alice', note: 'on it' },
      { kind: 'reading', at: T0 + 2, inClear: false, event: { severity: 'critical' } },
    ];
    let alarm: Alarm = INITIAL_ALARM;
    for (const each of steps) {
      const step = stepAlarm(alarm, rules, each);
      if (!step.ok) throw new Error(step.reason);
      alarm = step.alarm;
    }
    expect([alarm.state, alarm.severity, alarm.owner]).toEqual(['ACKNOWLEDGED', 'critical', { by: 'alice', note: 'on it' }]);
    const cleared = stepAlarm(alarm, rules, { kind: 'reading', at: T0 + 3, inClear: true });
    expect(cleared.ok && [cleared.alarm.state, cleared.alarm.owner]).toEqual(['NORMAL', undefined]);
  });
});
