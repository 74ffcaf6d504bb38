/**
 * The threshold-with-timer detector pattern, imported as `Mode` `duration`,
 * run beside an interpreter of the detector model itself
 * (`test/support/iot-events-detector.ts`) on generated readings. The import
 * is approximate, and this test states by how much: after every reading the
 * two agree on whether the alarm is raised; between readings IoT Events
 * raised it when the timer expired, while ours waits for the next
 * out-of-bounds reading, so a run that ends (a reading back in bounds)
 * before any reading came after the timer raised an alarm there and none
 * here. Ours never raises one theirs did not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapDetectorModel } from '../../importer/detector-model.ts';
import { findModels } from '../../importer/sources.ts';
import type { PrinterState } from '../../lambda/core/types.ts';
import { parseRules } from '../../lambda/core/rules.ts';
import { initialState, step } from '../../lambda/core/step.ts';
import { IotEventsDetector } from '../support/iot-events-detector.ts';

const PATH = '$input.PrinterInput.sensorData.temperature';
const NOT = { '>': '<=', '<': '>=' } as const;

/** The overheat detector of the fixtures, as describe-detector-model prints it, for any comparison and timer length. */
function detectorDocument(operator: '>' | '<', threshold: number, seconds: number, timerOnEnter = false) {
  const breach = `${PATH} ${operator} ${threshold}`;
  const back = `${PATH} ${NOT[operator]} ${threshold}`;
  const setTimer = [{ setTimer: { timerName: 'hold', seconds } }];
  return {
    detectorModel: {
      detectorModelConfiguration: { detectorModelName: 'generated', key: 'printerId' },
      detectorModelDefinition: {
        initialStateName: 'Normal',
        states: [
          {
            stateName: 'Normal',
            onInput: {
              events: timerOnEnter ? [] : [{ eventName: 'breach', condition: breach, actions: setTimer }],
              transitionEvents: [{ eventName: 'toPending', condition: breach, actions: [], nextState: 'Pending' }],
            },
          },
          {
            stateName: 'Pending',
            onEnter: { events: timerOnEnter ? [{ eventName: 'start', condition: 'true', actions: setTimer }] : [] },
            onInput: {
              transitionEvents: [
                { eventName: 'back', condition: back, actions: [{ clearTimer: { timerName: 'hold' } }], nextState: 'Normal' },
                { eventName: 'held', condition: 'timeout("hold")', actions: [], nextState: 'Alarm' },
              ],
            },
          },
          {
            stateName: 'Alarm',
            onInput: { transitionEvents: [{ eventName: 'recovered', condition: back, actions: [], nextState: 'Normal' }] },
          },
        ],
      },
    },
  };
}

function ours(document: unknown): PrinterState {
  const [model] = findModels(document, 'generated').detectorModels;
  const mapped = mapDetectorModel(model!);
  expect(mapped.rules?.Mode).toBe('duration');
  const parsed = parseRules({ PrinterId: 'P1' }, { PrinterId: '*', ...mapped.rules, Enrol: true });
  if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
  return initialState('P1', parsed.rules);
}

interface Run {
  /** After each reading: [theirs raised, ours raised]. */
  readonly afterEach: [boolean, boolean][];
  readonly theirActivations: number;
  readonly ourActivations: number;
  /** Their alarms raised by the timer and over by the next reading (back in bounds): the ones ours cannot see. */
  readonly endedBeforeAReading: number;
}

function runBoth(document: ReturnType<typeof detectorDocument>, readings: readonly { at: number; value: number }[]): Run {
  const theirs = new IotEventsDetector(document.detectorModel.detectorModelDefinition);
  let printer = ours(document);
  let theirActivations = 0;
  let ourActivations = 0;
  let endedBeforeAReading = 0;
  const afterEach = readings.map(({ at, value }): [boolean, boolean] => {
    const before = theirs.state;
    theirs.advance(at);
    if (before !== 'Alarm' && theirs.state === 'Alarm') theirActivations += 1;
    const between = theirs.state;
    theirs.input({ [PATH]: value }, at);
    if (between !== 'Alarm' && theirs.state === 'Alarm') theirActivations += 1;
    if (before !== 'Alarm' && between === 'Alarm' && theirs.state !== 'Alarm') endedBeforeAReading += 1;
    const result = step(printer, { printerId: 'P1', metrics: { temperature: value } }, at);
    if (result.applied) {
      printer = result.next;
      ourActivations += result.transitions.filter((t) => t.to === 'ACTIVE' && t.from !== 'ACTIVE').length;
    }
    return [theirs.state === 'Alarm', printer.alarm.state === 'ACTIVE'];
  });
  return { afterEach, theirActivations, ourActivations, endedBeforeAReading };
}

describe('a threshold-with-timer detector model, imported as duration mode', () => {
  it('agrees after every reading; ours raises no alarm theirs did not, and misses only those ended before a later reading', () => {
    const caseArb = fc
      .record({
        operator: fc.constantFrom<'>' | '<'>('>', '<'),
        threshold: fc.integer({ min: -20, max: 300 }),
        seconds: fc.integer({ min: 1, max: 600 }),
        timerOnEnter: fc.boolean(),
      })
      .chain((model) =>
        fc.tuple(
          fc.constant(model),
          fc.array(
            fc.record({
              gapMs: fc.integer({ min: 1, max: model.seconds * 2_000 }),
              value: fc.integer({ min: model.threshold - 3, max: model.threshold + 3 }),
            }),
            { maxLength: 40 },
          ),
        ),
      );
    fc.assert(
      fc.property(caseArb, ([model, steps]) => {
        const readings: { at: number; value: number }[] = [];
        let at = 1_000_000;
        for (const { gapMs, value } of steps) {
          at += gapMs;
          readings.push({ at, value });
        }
        const run = runBoth(detectorDocument(model.operator, model.threshold, model.seconds, model.timerOnEnter), readings);
        for (const [theirs, mine] of run.afterEach) expect(mine).toBe(theirs);
        expect(run.ourActivations).toBe(run.theirActivations - run.endedBeforeAReading);
      }),
      { numRuns: 300 },
    );
  });

  it('the difference: the timer expires, then the next reading is back in bounds: an alarm there, none here', () => {
    const run = runBoth(detectorDocument('>', 240, 120), [
      { at: 0, value: 250 },
      { at: 200_000, value: 230 },
    ]);
    expect(run).toEqual({
      afterEach: [
        [false, false],
        [false, false],
      ],
      theirActivations: 1,
      ourActivations: 0,
      endedBeforeAReading: 1,
    });
  });
});
