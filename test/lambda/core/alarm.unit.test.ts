import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmActionName, AlarmCause, AlarmState, Severity } from '../../../contract/index.ts';
import {
  type AlarmInput,
  type AlarmRules,
  type AlarmStep,
  alarmDeadline,
  INITIAL_ALARM,
  rederiveSilence,
  stepAlarm,
} from '../../../lambda/core/alarm.ts';
import type { Alarm, AlarmTransition } from '../../../lambda/core/types.ts';
import { AlarmModel } from '../../support/alarm-model.ts';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const RULES: AlarmRules = { severity: 'major', clearAfter: 1, latch: false };

const reading = (at: number, inClear: boolean, severity?: Severity): AlarmInput =>
  severity === undefined ? { kind: 'reading', at: T0 + at, inClear } : { kind: 'reading', at: T0 + at, inClear, event: { severity } };
const tick = (at: number): AlarmInput => ({ kind: 'tick', at: T0 + at });
const act = (action: AlarmActionName, at: number, extra: { note?: string; until?: number } = {}): AlarmInput => ({
  kind: 'action',
  action,
  at: T0 + at,
  by: 'local',
  ...extra,
});

function ok(step: AlarmStep) {
  if (!step.ok) throw new Error(`expected ok, got ${step.kind}: ${step.reason}`);
  return step;
}

/** Applies inputs that must all succeed; returns the last alarm and every transition in order. */
function run(inputs: readonly AlarmInput[], rules: AlarmRules = RULES, from: Alarm = INITIAL_ALARM) {
  let alarm = from;
  const transitions: AlarmTransition[] = [];
  const renotified: number[] = [];
  for (const input of inputs) {
    const step = ok(stepAlarm(alarm, rules, input));
    alarm = step.alarm;
    transitions.push(...step.transitions);
    if (step.renotify !== undefined) renotified.push(step.renotify);
  }
  return { alarm, transitions, renotified };
}
const moves = (ts: readonly AlarmTransition[]) => ts.map((t) => `${t.from}>${t.to}:${t.cause}`);

describe('alarm: activation, acknowledgement and clearing', () => {
  it('goes NORMAL -> ACTIVE -> ACKNOWLEDGED -> NORMAL with numbered transitions and the summary of the last', () => {
    const { alarm, transitions } = run([reading(0, false, 'minor'), act('acknowledge', 10, { note: 'on it' }), reading(20, true)]);
    expect(transitions).toEqual([
      { from: 'NORMAL', to: 'ACTIVE', cause: 'threshold', severity: 'minor', by: 'detector', note: null, at: iso(0), seq: 1 },
      { from: 'ACTIVE', to: 'ACKNOWLEDGED', cause: 'acknowledge', severity: 'minor', by: 'local', note: 'on it', at: iso(10), seq: 2 },
      { from: 'ACKNOWLEDGED', to: 'NORMAL', cause: 'clear', severity: 'minor', by: 'detector', note: null, at: iso(20), seq: 3 },
    ]);
    expect(alarm).toStrictEqual({ ...INITIAL_ALARM, severity: 'minor', cause: 'clear', since: iso(20), transitionCount: 3 });
  });

  it('with ClearAfter 3 needs three in-band readings after the activation, and an outside one restarts the count', () => {
    const rules = { ...RULES, clearAfter: 3 };
    const active = run(
      [reading(0, true, 'major'), reading(1, true), reading(2, true), reading(3, false), reading(4, true), reading(5, true)],
      rules,
    );
    expect(active.alarm).toMatchObject({ state: 'ACTIVE', clearCount: 2 });
    const cleared = run([reading(6, true)], rules, active.alarm);
    expect(moves(cleared.transitions)).toEqual(['ACTIVE>NORMAL:clear']);
    expect(cleared.alarm).toMatchObject({ state: 'NORMAL', clearCount: 0, severity: 'major' });
  });

  it('latches on clear until acknowledged; an acknowledged alarm clears to NORMAL even with Latch', () => {
    const rules = { ...RULES, latch: true };
    const latched = run([reading(0, false, 'major'), reading(1, true), reading(2, true)], rules);
    expect(moves(latched.transitions)).toEqual(['NORMAL>ACTIVE:threshold', 'ACTIVE>LATCHED:clear']);
    expect(moves(run([act('acknowledge', 3)], rules, latched.alarm).transitions)).toEqual(['LATCHED>NORMAL:acknowledge']);
    expect(moves(run([reading(3, false, 'minor')], rules, latched.alarm).transitions)).toEqual(['LATCHED>ACTIVE:threshold']);
    const acked = run([reading(0, false, 'major'), act('acknowledge', 1), reading(2, true)], rules);
    expect(acked.alarm.state).toBe('NORMAL');
  });

  it('escalates on a more severe event, keeping the state, and keeps counting towards clearing', () => {
    const rules = { ...RULES, clearAfter: 2 };
    const { alarm, transitions } = run([reading(0, false, 'minor'), reading(1, false, 'minor'), reading(2, false, 'warning')], rules);
    expect(moves(transitions)).toEqual(['NORMAL>ACTIVE:threshold']);
    const up = run([reading(3, true), reading(4, true, 'critical')], rules, alarm);
    expect(moves(up.transitions)).toEqual(['ACTIVE>ACTIVE:threshold', 'ACTIVE>NORMAL:clear']);
    expect(up.transitions.map((t) => t.severity)).toEqual(['critical', 'critical']);
    const acked = run([act('acknowledge', 3), reading(4, false, 'major')], rules, alarm);
    expect(acked.transitions.at(-1)).toMatchObject({ from: 'ACKNOWLEDGED', to: 'ACKNOWLEDGED', severity: 'major', seq: 3 });
    expect(acked.alarm.activation).toEqual(acked.transitions.at(-1));
  });
});

describe('alarm: silence and the clock', () => {
  const rules = { ...RULES, latch: true, silenceMs: 60_000, severity: 'critical' as const };

  it('goes ACTIVE by the clock when the deadline passes, and the next reading clears it whatever its value', () => {
    const first = run([reading(0, true)], rules);
    expect(first.alarm.silenceAt).toBe(T0 + 60_000);
    const early = ok(stepAlarm(first.alarm, rules, tick(59_999)));
    expect(early.alarm).toBe(first.alarm);
    const silent = run([tick(61_000)], rules, first.alarm);
    expect(silent.transitions).toEqual([
      { from: 'NORMAL', to: 'ACTIVE', cause: 'silent', severity: 'critical', by: 'clock', note: null, at: iso(61_000), seq: 1 },
    ]);
    expect(silent.alarm).toMatchObject({ silent: true, activation: silent.transitions[0] });
    expect(silent.alarm.silenceAt).toBeUndefined();
    expect(run([tick(200_000)], rules, silent.alarm).transitions).toEqual([]);
    const back = run([reading(300_000, false)], rules, silent.alarm);
    expect(back.transitions).toMatchObject([{ from: 'ACTIVE', to: 'NORMAL', cause: 'clear', by: 'detector', severity: 'critical' }]);
    expect(back.alarm).toMatchObject({ state: 'NORMAL', silent: false, silenceAt: T0 + 360_000 });
  });

  it('gives two transitions in order when a reading ends a silence and raises an event', () => {
    const { transitions, alarm } = run(
      [reading(0, true), tick(60_000), act('acknowledge', 60_001), reading(70_000, false, 'minor')],
      rules,
    );
    expect(moves(transitions)).toEqual([
      'NORMAL>ACTIVE:silent',
      'ACTIVE>ACKNOWLEDGED:acknowledge',
      'ACKNOWLEDGED>NORMAL:clear',
      'NORMAL>ACTIVE:threshold',
    ]);
    expect(transitions.map((t) => t.seq)).toEqual([1, 2, 3, 4]);
    expect(alarm).toMatchObject({ state: 'ACTIVE', severity: 'minor', silent: false, clearCount: 0 });
  });

  it('never raises silence once SilenceSeconds is gone: the sweep checks the rules, a reading and a profile write drop the deadline', () => {
    const { silenceMs: _removed, ...without } = rules;
    const armed = run([reading(0, true)], rules).alarm;
    // The sweep, with the rules as they are now.
    const swept = ok(stepAlarm(armed, without, tick(61_000)));
    expect(swept.transitions).toEqual([]);
    expect(swept.alarm.silenceAt).toBeUndefined();
    // A reading under the new rules.
    const read = ok(stepAlarm(armed, without, reading(30_000, true)));
    expect(read.alarm.silenceAt).toBeUndefined();
    expect(alarmDeadline(read.alarm, without)).toBeUndefined();
    // The profile write.
    expect(rederiveSilence(armed, without, T0).silenceAt).toBeUndefined();
    expect(rederiveSilence(armed, { ...rules, silenceMs: 120_000 }, T0).silenceAt).toBe(T0 + 120_000);
    expect(rederiveSilence(INITIAL_ALARM, rules, T0)).toBe(INITIAL_ALARM);
  });

  it('consumes a deadline that passes while the alarm is not NORMAL without raising anything', () => {
    for (const setup of [[reading(0, false, 'major')], [reading(0, true), act('disable', 1)]]) {
      const before = run(setup, rules).alarm;
      const after = ok(stepAlarm(before, rules, tick(90_000)));
      expect(after.transitions).toEqual([]);
      expect(after.alarm).toStrictEqual((({ silenceAt: _, ...rest }) => rest)(before));
    }
  });

  it('expires a snooze at the first tick at or after its end, and ignores events while snoozed', () => {
    const snoozed = run([reading(0, false, 'major'), act('snooze', 10, { until: T0 + 5_000 }), reading(20, false, 'critical')]);
    expect(snoozed.alarm).toMatchObject({ state: 'SNOOZE_DISABLED', until: T0 + 5_000, clearCount: 0, renotified: 0 });
    expect(snoozed.alarm.activation).toBeUndefined();
    expect(run([tick(4_999)], RULES, snoozed.alarm).transitions).toEqual([]);
    const expired = run([tick(7_000)], RULES, snoozed.alarm);
    expect(expired.transitions).toMatchObject([{ from: 'SNOOZE_DISABLED', to: 'NORMAL', cause: 'snooze-expired', by: 'clock' }]);
    expect(expired.transitions[0]).toMatchObject({ severity: 'major', at: iso(7_000) });
    expect(expired.alarm.until).toBeUndefined();
  });

  it('handles the earlier of silence and snooze end first', () => {
    const during = run([reading(0, true), act('snooze', 1, { until: T0 + 90_000 }), tick(100_000)], rules);
    expect(moves(during.transitions)).toEqual(['NORMAL>SNOOZE_DISABLED:snooze', 'SNOOZE_DISABLED>NORMAL:snooze-expired']);
    const after = run([reading(0, true), act('snooze', 1, { until: T0 + 30_000 }), tick(100_000)], rules);
    expect(moves(after.transitions).slice(1)).toEqual(['SNOOZE_DISABLED>NORMAL:snooze-expired', 'NORMAL>ACTIVE:silent']);
    const tie = run([reading(0, true), act('snooze', 1, { until: T0 + 60_000 }), tick(60_000)], rules);
    expect(tie.alarm.state).toBe('ACTIVE');
  });

  it('numbers re-notifications of an unacknowledged activation and sends one after a long gap', () => {
    const renotify = { ...RULES, renotifyMs: 300_000 };
    const active = run([reading(0, false, 'major'), tick(299_999), tick(300_000), tick(400_000), tick(600_000)], renotify);
    expect(active.renotified).toEqual([1, 2]);
    const gap = ok(stepAlarm(active.alarm, renotify, tick(6_100_000)));
    expect(gap).toMatchObject({ renotify: 20, transitions: [], alarm: { renotified: 20 } });
    expect(alarmDeadline(gap.alarm, renotify)).toBe(T0 + 6_300_000);
    const acked = run([act('acknowledge', 1), tick(900_000)], renotify, active.alarm);
    expect(acked.renotified).toEqual([]);
    const escalated = run([reading(700_000, false, 'critical'), tick(999_999), tick(1_000_000)], renotify, active.alarm);
    expect(escalated.renotified).toEqual([1]);
  });

  it('computes the next deadline from silence, snooze end and re-notification', () => {
    const both = { ...RULES, silenceMs: 60_000, renotifyMs: 30_000 };
    expect(alarmDeadline(INITIAL_ALARM, both)).toBeUndefined();
    const active = run([reading(0, false, 'major')], both).alarm;
    expect(alarmDeadline(active, both)).toBe(T0 + 30_000);
    expect(alarmDeadline(run([tick(30_000)], both, active).alarm, both)).toBe(T0 + 60_000);
    expect(alarmDeadline(run([act('acknowledge', 1)], both, active).alarm, both)).toBe(T0 + 60_000);
    expect(alarmDeadline(run([act('snooze', 1, { until: T0 + 10_000 })], both, active).alarm, both)).toBe(T0 + 10_000);
    expect(alarmDeadline(run([act('disable', 1)], both, active).alarm, both)).toBe(T0 + 60_000);
    expect(alarmDeadline(run([act('disable', 1), tick(60_000)], both, active).alarm, both)).toBeUndefined();
  });
});

describe('alarm: operator actions', () => {
  it('moves a snooze, disables, enables and resets', () => {
    const { transitions, alarm } = run([
      act('snooze', 0, { until: T0 + 1_000 }),
      act('snooze', 1, { until: T0 + 9_000 }),
      act('disable', 2),
      reading(3, false, 'critical'),
      act('enable', 4),
      reading(5, false, 'minor'),
      act('reset', 6, { note: 'fixed the fan' }),
    ]);
    expect(moves(transitions)).toEqual([
      'NORMAL>SNOOZE_DISABLED:snooze',
      'SNOOZE_DISABLED>SNOOZE_DISABLED:snooze',
      'SNOOZE_DISABLED>DISABLED:disable',
      'DISABLED>NORMAL:enable',
      'NORMAL>ACTIVE:threshold',
      'ACTIVE>NORMAL:reset',
    ]);
    expect(transitions.map((t) => t.severity)).toEqual([null, null, null, null, 'minor', 'minor']);
    expect(alarm).toMatchObject({ state: 'NORMAL', cause: 'reset', severity: 'minor' });
    expect(transitions.at(-1)!.note).toBe('fixed the fan');
    for (const setup of [[act('disable', 0)], [reading(0, false, 'major'), act('acknowledge', 1)], [act('snooze', 0, { until: T0 + 5 })]]) {
      expect(moves(run([...setup, act('reset', 2)]).transitions).at(-1)).toMatch(/>NORMAL:reset$/);
    }
  });

  const snoozed = run([act('snooze', 0, { until: T0 + 5_000 })]).alarm;
  const refusals: [string, Alarm, AlarmInput, RegExp][] = [
    ['acknowledge in NORMAL', INITIAL_ALARM, act('acknowledge', 1), /^alarm is NORMAL; acknowledge applies to ACTIVE or LATCHED$/],
    ['enable in NORMAL', INITIAL_ALARM, act('enable', 1), /^alarm is NORMAL; enable applies to DISABLED$/],
    ['reset in NORMAL', INITIAL_ALARM, act('reset', 1), /^alarm is NORMAL; reset applies to any state but NORMAL$/],
    ['disable twice', run([act('disable', 0)]).alarm, act('disable', 1), /^alarm is DISABLED; disable applies to/],
    ['snooze while DISABLED', run([act('disable', 0)]).alarm, act('snooze', 1, { until: T0 + 10 }), /^alarm is DISABLED; snooze/],
    ['snooze to the same time', snoozed, act('snooze', 1, { until: T0 + 5_000 }), /^alarm is SNOOZE_DISABLED until .*same/],
    ['acknowledge twice', run([reading(0, false, 'major'), act('acknowledge', 1)]).alarm, act('acknowledge', 2), /ACKNOWLEDGED/],
  ];
  it.each(refusals)('refuses %s with a one-line reason and changes nothing', (_name, alarm, input, reason) => {
    const before = structuredClone(alarm);
    const step = stepAlarm(deepFreeze(alarm), RULES, input);
    expect(step).toEqual({ ok: false, kind: 'refused', reason: expect.stringMatching(reason) });
    expect(alarm).toStrictEqual(before);
  });

  it.each([
    ['an unknown action', { ...act('acknowledge', 1), action: 'silence' as AlarmActionName }],
    ['a note over 1000 characters', act('disable', 1, { note: 'x'.repeat(1001) })],
    ['a note with a newline', act('disable', 1, { note: 'a\nb' })],
    ['a note with a bell', act('disable', 1, { note: 'a\u0007' })],
    ['a snooze without until', act('snooze', 1)],
    ['a snooze until now', act('snooze', 1, { until: T0 + 1 })],
    ['a snooze until the past', act('snooze', 1, { until: T0 })],
    ['a snooze until no time at all', act('snooze', 1, { until: Number.NaN })],
  ])('rejects %s as invalid (checked before whether it applies)', (_name, input) => {
    const step = stepAlarm(deepFreeze(run([act('disable', 0)]).alarm), RULES, input);
    expect(step).toMatchObject({ ok: false, kind: 'invalid', reason: expect.stringMatching(/^[^\n]+$/) });
  });

  it('accepts a note of exactly 1000 characters', () => {
    expect(run([act('disable', 1, { note: 'é'.repeat(1000) })]).transitions[0]!.note).toHaveLength(1000);
  });
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const ACTIONS: readonly AlarmActionName[] = ['acknowledge', 'snooze', 'disable', 'enable', 'reset'];
const severities = fc.constantFrom<Severity>('warning', 'minor', 'major', 'critical');
const rulesArb: fc.Arbitrary<AlarmRules> = fc.record(
  {
    severity: severities,
    clearAfter: fc.integer({ min: 1, max: 4 }),
    latch: fc.boolean(),
    silenceMs: fc.integer({ min: 1_000, max: 8_000 }),
    renotifyMs: fc.integer({ min: 500, max: 5_000 }),
  },
  { requiredKeys: ['severity', 'clearAfter', 'latch'] },
);
const plannedArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reading' as const),
      inClear: fc.boolean(),
      event: fc.option(severities, { nil: undefined }),
      // A reading's own time (its timestamp) this long before its arrival: transitions carry it, silence counts from arrival.
      stampedBefore: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  // A profile change between readings: new rules (SilenceSeconds added, changed or removed among them), by a write to
  // the printer (which re-derives its deadline) or to the fleet defaults (which no printer's write follows).
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('profile' as const), rules: rulesArb, ownWrite: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('action' as const),
      action: fc.constantFrom<AlarmActionName>(...ACTIONS, 'silence' as AlarmActionName),
      note: fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.constant('n'.repeat(1001)), fc.constant('a\tb')), { nil: undefined }),
      until: fc.option(fc.oneof(fc.integer({ min: -3_000, max: 30_000 }), fc.constant('same' as const)), { nil: undefined, freq: 6 }),
    }),
  },
);
type Planned = typeof plannedArb extends fc.Arbitrary<infer P> ? P : never;
const stepsArb = fc.array(
  fc.record({
    delta: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_500 }), fc.integer({ min: 5_000, max: 40_000 })),
    planned: plannedArb,
  }),
  { minLength: 1, maxLength: 60 },
);

/** Turns a planned step into an input at its time; a snooze to 'same' re-uses the current end, to provoke that refusal. */
function inputOf(planned: Exclude<Planned, { kind: 'profile' }>, at: number, alarm: Alarm): AlarmInput {
  if (planned.kind === 'reading') {
    const input = reading(at - T0, planned.inClear, planned.event) as Extract<AlarmInput, { kind: 'reading' }>;
    return planned.stampedBefore === undefined ? input : { ...input, at: at - planned.stampedBefore, arrival: at };
  }
  if (planned.kind === 'tick') return { kind: 'tick', at };
  const until = planned.until === 'same' ? (alarm.until ?? at + 1_000) : planned.until === undefined ? undefined : at + planned.until;
  return {
    kind: 'action',
    action: planned.action,
    at,
    by: 'local',
    ...(planned.note === undefined ? {} : { note: planned.note }),
    ...(until === undefined ? {} : { until }),
  };
}

/** Runs product and model side by side, checking each step; calls `seen` with every step for coverage. */
function runBoth(initial: AlarmRules, planned: readonly { delta: number; planned: Planned }[], seen?: (step: AlarmStep) => void) {
  let rules = initial;
  const model = new AlarmModel(rules);
  let alarm = INITIAL_ALARM;
  let at = T0;
  let lastReadingAt: number | undefined;
  const all: AlarmTransition[] = [];
  for (const { delta, planned: p } of planned) {
    at += delta;
    if (p.kind === 'profile') {
      rules = p.rules;
      if (p.ownWrite) alarm = rederiveSilence(alarm, rules, lastReadingAt);
      model.changeRules(rules, p.ownWrite);
      expect(alarm).toStrictEqual(model.view());
      expect(alarmDeadline(alarm, rules)).toBe(model.deadline());
      continue;
    }
    const input = inputOf(p, at, alarm);
    if (input.kind === 'reading') lastReadingAt = input.arrival ?? input.at;
    const before = structuredClone(alarm);
    const modelBefore = model.view();
    const step = stepAlarm(deepFreeze(alarm), rules, input);
    const expected = model.step(input);
    seen?.(step);
    if (!step.ok) {
      expect({ ok: step.ok, kind: step.kind }).toEqual(expected);
      expect(step.reason).toMatch(/^[^\n]+$/);
      expect(alarm).toStrictEqual(before);
      expect(model.view()).toStrictEqual(modelBefore);
      continue;
    }
    expect(step).toStrictEqual(expected);
    all.push(...step.transitions);
    alarm = step.alarm;
    checkShape(alarm, step.transitions);
    expect(alarmDeadline(alarm, rules)).toBe(model.deadline());
  }
  expect(all.map((t) => t.seq)).toEqual(all.map((_, i) => i + 1));
  expect(alarm.transitionCount).toBe(all.length);
  return { alarm, rules };
}

/** The summary is the transition into the current state; per-state fields exist only in their states. */
function checkShape(alarm: Alarm, transitions: readonly AlarmTransition[]) {
  const last = transitions.at(-1);
  if (last) expect([alarm.state, alarm.severity, alarm.cause, alarm.since]).toEqual([last.to, last.severity, last.cause, last.at]);
  expect(alarm.until !== undefined).toBe(alarm.state === 'SNOOZE_DISABLED');
  expect(alarm.activation !== undefined).toBe(alarm.state === 'ACTIVE' || alarm.state === 'ACKNOWLEDGED');
}

describe('alarm: properties against the model', () => {
  it('agrees with the model step by step; refusals change nothing; seqs are contiguous', () => {
    fc.assert(
      fc.property(rulesArb, stepsArb, (rules, steps) => {
        runBoth(rules, steps);
      }),
      { numRuns: 400 },
    );
  });

  it('does nothing on a tick before the deadline and something on a tick at it', () => {
    fc.assert(
      fc.property(rulesArb, stepsArb, (rules, steps) => {
        const { alarm, rules: now } = runBoth(rules, steps);
        const deadline = alarmDeadline(alarm, now);
        fc.pre(deadline !== undefined);
        const early = ok(stepAlarm(alarm, now, { kind: 'tick', at: deadline! - 1 }));
        expect(early.alarm).toBe(alarm);
        const due = ok(stepAlarm(alarm, now, { kind: 'tick', at: deadline! }));
        expect(due.alarm).not.toEqual(alarm);
      }),
      { numRuns: 200 },
    );
  });

  it('reaches every state, every cause, both refusal kinds and a re-notification over the generated runs', () => {
    const states = new Set<AlarmState>();
    const causes = new Set<AlarmCause>();
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(rulesArb, stepsArb, (rules, steps) => {
        runBoth(rules, steps, (step) => {
          if (!step.ok) return void outcomes.add(step.kind);
          states.add(step.alarm.state);
          for (const t of step.transitions) causes.add(t.cause);
          if (step.renotify !== undefined) outcomes.add('renotify');
        });
      }),
      // A fixed seed: this checks what the generators cover, which must not depend on the luck of one run.
      { numRuns: 500, seed: 20261127 },
    );
    expect([...states].sort()).toEqual(['ACKNOWLEDGED', 'ACTIVE', 'DISABLED', 'LATCHED', 'NORMAL', 'SNOOZE_DISABLED']);
    expect(causes.size).toBe(9);
    expect([...outcomes].sort()).toEqual(['invalid', 'refused', 'renotify']);
  });
});

describe('alarm: edges mutation testing found untested', () => {
  it('a tick never raises silence without a deadline armed by a reading, whatever the rules say', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 1, max: 10 ** 6 }), (at, silenceMs) => {
        const step = ok(stepAlarm(INITIAL_ALARM, { ...RULES, silenceMs }, tick(at)));
        expect(step).toEqual({ ok: true, alarm: INITIAL_ALARM, transitions: [] });
      }),
    );
  });

  it('a re-notification period of 0 (or less) re-notifies nothing and sets no deadline', () => {
    for (const renotifyMs of [0, -1]) {
      const rules = { ...RULES, renotifyMs };
      const active = run([reading(0, false, 'major'), tick(1), tick(10_000_000)], rules);
      expect(active.renotified).toEqual([]);
      expect(alarmDeadline(active.alarm, rules)).toBeUndefined();
    }
  });

  it('a profile write keeps a pending silence deadline as it is when the last reading time is unknown', () => {
    const rules = { ...RULES, silenceMs: 60_000 };
    const armed = run([reading(0, true)], rules).alarm;
    expect(armed.silenceAt).toBe(T0 + 60_000);
    expect(rederiveSilence(armed, { ...rules, silenceMs: 5_000 }, undefined)).toBe(armed);
    expect(rederiveSilence(armed, { ...rules, silenceMs: 5_000 }, T0 + 7)).toEqual({ ...armed, silenceAt: T0 + 5_007 });
  });

  it('names the actions it knows when refusing another, and the snooze end when a snooze to it changes nothing', () => {
    const unknown = stepAlarm(INITIAL_ALARM, RULES, act('explode' as AlarmActionName, 0));
    expect(unknown).toEqual({
      ok: false,
      kind: 'invalid',
      reason: 'unknown action "explode"; expected one of acknowledge, snooze, disable, enable, reset',
    });
    const until = T0 + 3_600_000;
    const snoozed = run([act('snooze', 0, { until })]).alarm;
    expect(stepAlarm(snoozed, RULES, act('snooze', 60_000, { until }))).toEqual({
      ok: false,
      kind: 'refused',
      reason: `alarm is SNOOZE_DISABLED until ${new Date(until).toISOString()}; snooze to the same time changes nothing`,
    });
  });

  it('refuses a snooze without an end, or with one no date can hold', () => {
    for (const until of [undefined, Number.NaN, Number.POSITIVE_INFINITY, 1e20, 8.64e15 + 1]) {
      expect(stepAlarm(INITIAL_ALARM, RULES, act('snooze', 0, until === undefined ? {} : { until }))).toEqual({
        ok: false,
        kind: 'invalid',
        reason: 'snooze needs until, a time in epoch ms',
      });
    }
  });
});
