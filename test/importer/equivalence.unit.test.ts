/**
 * Behavioural equivalence of imported alarm models: the IoT Events reference
 * (`test/support/iot-events-alarm.ts`, from the IoT Events documentation)
 * and our core (`step` for readings, `stepAlarm` for actions), run on the
 * profile the importer writes, fed the same generated readings and actions,
 * must be in the same alarm state after every step. Keyed models are run as
 * the importer writes them: the fleet defaults `*` a printer inherits, or,
 * through a key map, the printer's own profile under fleet defaults that set
 * every other alarm attribute.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapAlarmModel, nextBelow } from '../../importer/alarm-model.ts';
import { DEFAULT_SEVERITY_MAP } from '../../importer/mapping.ts';
import { planImport } from '../../importer/plan.ts';
import type { AlarmModelSource } from '../../importer/sources.ts';
import { stepAlarm } from '../../lambda/core/alarm.ts';
import type { PrinterState } from '../../lambda/core/types.ts';
import { parseRules } from '../../lambda/core/rules.ts';
import { alarmRules, initialState, step } from '../../lambda/core/step.ts';
import { type IotEventsAction, IotEventsAlarm, type IotEventsAlarmModel, type IotEventsOperator } from '../support/iot-events-alarm.ts';

const METRIC = 'temperature';

function source(model: IotEventsAlarmModel): AlarmModelSource {
  return {
    alarmModelName: 'generated',
    key: 'printerId',
    severity: 2,
    alarmRule: {
      simpleRule: { inputProperty: `$input.In.data.${METRIC}`, comparisonOperator: model.operator, threshold: String(model.threshold) },
    },
    alarmCapabilities: {
      acknowledgeFlow: { enabled: model.acknowledgeFlow },
      initializationConfiguration: { disabledOnInitialization: model.disabledOnInitialization },
    },
  };
}

/** How the import reaches the printer: the fleet defaults it inherits, or its own profile through a key map. */
type Case = IotEventsAlarmModel & { readonly via?: 'defaults' | 'key-map' };

/** Fleet defaults that would change every alarm attribute a key-mapped printer did not write for itself. */
const HOSTILE_DEFAULTS = {
  PrinterId: '*',
  Thresholds: { temperature: { Upper: 0 } },
  Mode: 'm-of-n',
  Window: 3,
  Of: 5,
  Severity: 'warning',
  Clear: { temperature: { Lower: -1, Upper: 1 } },
  ClearAfter: 3,
};

/** Our printer as the import leaves it, disabled by the alarm action when the model starts disabled. */
function ourPrinter(model: Case, exactBounds = false): PrinterState {
  const mapped = mapAlarmModel(source(model), DEFAULT_SEVERITY_MAP, exactBounds);
  expect(mapped.rules).toBeDefined();
  let parsed: ReturnType<typeof parseRules>;
  let disabled: boolean;
  if (model.via === 'key-map') {
    const plan = planImport([mapped], { 'sensor-1': 'P1' });
    const hostile = { ...HOSTILE_DEFAULTS, Latch: !model.acknowledgeFlow };
    parsed = parseRules(plan.profiles[0] as unknown as Record<string, unknown>, hostile);
    disabled = plan.startDisabled.includes('P1');
  } else {
    parsed = parseRules({ PrinterId: 'P1' }, { PrinterId: '*', ...mapped.rules, Enrol: true });
    disabled = model.disabledOnInitialization;
  }
  if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
  let state = initialState('P1', parsed.rules);
  if (disabled) state = act(state, 'disable', 0);
  return state;
}

function act(state: PrinterState, action: IotEventsAction, at: number): PrinterState {
  const result = stepAlarm(state.alarm, alarmRules(state.rules), { kind: 'action', action, at, by: 'test' });
  return result.ok ? { ...state, alarm: result.alarm } : state;
}

type Input = { readonly kind: 'reading'; readonly value: number } | { readonly kind: 'action'; readonly action: IotEventsAction };

/** Runs both on the inputs; the pairs of states after each step. */
function runBoth(model: Case, inputs: readonly Input[], exactBounds = false): { theirs: string; ours: string; input: Input }[] {
  const reference = new IotEventsAlarm(model);
  let ours = ourPrinter(model, exactBounds);
  expect(ours.alarm.state).toBe(reference.state);
  return inputs.map((input, i) => {
    const at = 1_000 * (i + 1);
    if (input.kind === 'reading') {
      reference.input(input.value);
      const result = step(ours, { printerId: 'P1', metrics: { [METRIC]: input.value } }, at);
      if (result.applied) ours = result.next;
    } else {
      reference.act(input.action);
      ours = act(ours, input.action, at);
    }
    return { theirs: reference.state, ours: ours.alarm.state, input };
  });
}

const thresholdArb = fc.integer({ min: -50, max: 250 });
/** Readings around the threshold: exactly on it, a little either side, and anywhere. */
const valueArb = (threshold: number, onThreshold: boolean) =>
  fc
    .oneof(
      fc.constant(threshold),
      fc.integer({ min: Math.round(threshold) - 3, max: Math.round(threshold) + 3 }),
      fc.double({ min: threshold - 5, max: threshold + 5, noNaN: true }),
    )
    .filter((v) => onThreshold || v !== threshold);
const inputsArb = (threshold: number, actions: readonly IotEventsAction[], onThreshold: boolean) =>
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: valueArb(threshold, onThreshold).map((value): Input => ({ kind: 'reading', value })) },
      ...(actions.length > 0
        ? [{ weight: 1, arbitrary: fc.constantFrom(...actions).map((action): Input => ({ kind: 'action', action })) }]
        : []),
    ),
    { maxLength: 40 },
  );

const ALL_ACTIONS: readonly IotEventsAction[] = ['acknowledge', 'disable', 'enable', 'reset'];
const WITHOUT_ACKNOWLEDGE: readonly IotEventsAction[] = ['disable', 'enable', 'reset'];

describe('imported alarm models behave as IoT Events did, step by step', () => {
  it('exact: GREATER / LESS with the acknowledge flow, with any start, readings and actions', () => {
    const modelArb = fc.record({
      operator: fc.constantFrom<IotEventsOperator>('GREATER', 'LESS'),
      threshold: thresholdArb,
      acknowledgeFlow: fc.constant(true),
      disabledOnInitialization: fc.boolean(),
      via: fc.constantFrom('defaults' as const, 'key-map' as const),
    });
    fc.assert(
      fc.property(
        modelArb.chain((model) => fc.tuple(fc.constant(model), inputsArb(model.threshold, ALL_ACTIONS, true))),
        ([model, inputs]) => {
          for (const { theirs, ours } of runBoth(model, inputs)) expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('exact for readings: GREATER / LESS without the acknowledge flow (acknowledge is the stated difference)', () => {
    const modelArb = fc.record({
      operator: fc.constantFrom<IotEventsOperator>('GREATER', 'LESS'),
      threshold: thresholdArb,
      acknowledgeFlow: fc.constant(false),
      disabledOnInitialization: fc.boolean(),
      via: fc.constantFrom('defaults' as const, 'key-map' as const),
    });
    fc.assert(
      fc.property(
        modelArb.chain((model) => fc.tuple(fc.constant(model), inputsArb(model.threshold, WITHOUT_ACKNOWLEDGE, true))),
        ([model, inputs]) => {
          for (const { theirs, ours } of runBoth(model, inputs)) expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the allowed difference without the acknowledge flow: acknowledge on ACTIVE moves ours to ACKNOWLEDGED, theirs stays', () => {
    const model: IotEventsAlarmModel = { operator: 'GREATER', threshold: 80, acknowledgeFlow: false, disabledOnInitialization: false };
    const steps = runBoth(model, [
      { kind: 'reading', value: 90 },
      { kind: 'action', action: 'acknowledge' },
      { kind: 'reading', value: 10 },
    ]);
    expect(steps.map(({ theirs, ours }) => [theirs, ours])).toEqual([
      ['ACTIVE', 'ACTIVE'],
      ['ACTIVE', 'ACKNOWLEDGED'],
      ['NORMAL', 'NORMAL'],
    ]);
  });

  it('approximate: GREATER_OR_EQUAL / LESS_OR_EQUAL agree on every reading but one exactly on the threshold', () => {
    const modelArb = fc.record({
      operator: fc.constantFrom<IotEventsOperator>('GREATER_OR_EQUAL', 'LESS_OR_EQUAL'),
      threshold: thresholdArb,
      acknowledgeFlow: fc.boolean(),
      disabledOnInitialization: fc.boolean(),
    });
    fc.assert(
      fc.property(
        modelArb.chain((model) => fc.tuple(fc.constant(model), inputsArb(model.threshold, WITHOUT_ACKNOWLEDGE, false))),
        ([model, inputs]) => {
          for (const { theirs, ours } of runBoth(model, inputs)) expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
    const model: IotEventsAlarmModel = {
      operator: 'GREATER_OR_EQUAL',
      threshold: 80,
      acknowledgeFlow: true,
      disabledOnInitialization: false,
    };
    expect(runBoth(model, [{ kind: 'reading', value: 80 }])[0]).toMatchObject({ theirs: 'ACTIVE', ours: 'NORMAL' });
  });

  it('exact with --exact-bounds: GREATER_OR_EQUAL / LESS_OR_EQUAL on every reading, the threshold and its neighbours too', () => {
    const modelArb = fc.record({
      operator: fc.constantFrom<IotEventsOperator>('GREATER_OR_EQUAL', 'LESS_OR_EQUAL'),
      // Zero's neighbours (+-5e-324) are below the smallest number DynamoDB stores: that one stays approximate (below).
      threshold: fc.oneof(thresholdArb, fc.double({ min: -1e6, max: 1e6, noNaN: true })).filter((t) => Math.abs(t) > 1e-100),
      acknowledgeFlow: fc.constant(true),
      disabledOnInitialization: fc.boolean(),
    });
    const nearArb = (t: number) => fc.oneof(valueArb(t, true), fc.constantFrom(t, nextBelow(t), -nextBelow(-t), nextBelow(nextBelow(t))));
    fc.assert(
      fc.property(
        modelArb.chain((model) =>
          fc.tuple(
            fc.constant(model),
            fc.array(
              fc.oneof(
                { weight: 4, arbitrary: nearArb(model.threshold).map((value): Input => ({ kind: 'reading', value })) },
                { weight: 1, arbitrary: fc.constantFrom(...ALL_ACTIONS).map((action): Input => ({ kind: 'action', action })) },
              ),
              { maxLength: 40 },
            ),
          ),
        ),
        ([model, inputs]) => {
          for (const { theirs, ours } of runBoth(model, inputs, true)) expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
    const zero = mapAlarmModel(
      source({ operator: 'GREATER_OR_EQUAL', threshold: 0, acknowledgeFlow: true, disabledOnInitialization: false }),
      DEFAULT_SEVERITY_MAP,
      true,
    );
    expect(zero.lines[1]).toMatchObject({ status: 'approximate', text: expect.stringContaining('is too small for DynamoDB') });
  });
});
