/**
 * A batch folded into one state (`lambda/core/fold.ts`) against the
 * independent model of the detection (`test/support/model.ts`) for what each
 * reading did, and against its readings stepped one by one for the state and
 * the alarm transitions: a batch reads exactly as its readings published one
 * by one (docs/design.md, "Alarms").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FoldEvent, type FoldOutcome, foldReadings } from '../../../lambda/core/fold.ts';
import type { Reading, Rules } from '../../../lambda/core/types.ts';
import { alarmRules, initialState, step } from '../../../lambda/core/step.ts';
import {
  type ModelMetricReading,
  type ModelRules,
  modelReadingsArb,
  modelRulesArb,
  modelStep,
  newModelPrinter,
} from '../../support/model.ts';

const ARRIVAL = 1_763_700_000_000;
const rulesOf = (model: ModelRules): Rules => ({ ...model, clearAfter: 1, latch: false });
const readingOf = ({ metrics, invalid, seq, timestamp }: ModelMetricReading): Reading => ({
  printerId: 'P',
  metrics,
  ...(Object.keys(invalid).length > 0 ? { invalidMetrics: invalid } : {}),
  ...(seq !== undefined ? { seq } : {}),
  ...(timestamp !== undefined ? { timestamp: ARRIVAL - 10_000 + timestamp } : {}),
});

describe('fold: a batch of one printer', () => {
  it('counts each outcome, keeps the applied readings, events and invalid reasons of the model, whatever the rules and readings', () => {
    fc.assert(
      fc.property(modelRulesArb, modelReadingsArb({ maxLength: 40 }), (model, stream) => {
        const readings = stream.map(readingOf);
        const fold = foldReadings(initialState('P', rulesOf(model)), readings, ARRIVAL);

        const printer = newModelPrinter();
        const counts: Partial<Record<FoldOutcome, number>> = {};
        const applied: Reading[] = [];
        const events: FoldEvent[] = [];
        const invalid: string[] = [];
        stream.forEach((input, i) => {
          const reading = readings[i]!;
          const judged = modelStep(model, printer, {
            ...input,
            arrival: ARRIVAL,
            ...(reading.timestamp !== undefined ? { timestamp: reading.timestamp } : {}),
          });
          const outcome: FoldOutcome =
            judged.kind === 'invalid'
              ? 'invalid'
              : judged.kind === 'skipped'
                ? judged.reason
                : judged.event
                  ? 'event'
                  : judged.out
                    ? 'out-of-bounds'
                    : 'in-bounds';
          counts[outcome] = (counts[outcome] ?? 0) + 1;
          if (judged.kind === 'invalid') invalid.push(judged.detail);
          if (judged.kind !== 'applied') return;
          applied.push(reading);
          if (judged.event) events.push({ reading, eventCount: printer.eventCount, broken: judged.broken, severity: judged.severity });
        });

        expect(fold.counts).toEqual(counts);
        expect(fold.applied).toEqual(applied);
        expect(fold.events).toEqual(events);
        expect(fold.invalid).toEqual(invalid);
        expect(fold.next).toMatchObject({ eventCount: printer.eventCount, outOfBoundsCount: printer.outOfBoundsCount });
      }),
      { numRuns: 500 },
    );
  });

  it('leaves the state and makes the alarm transitions its readings stepped one by one would, each at its reading time', () => {
    const counters = fc.record({ outOfBoundsCount: fc.nat(50), eventCount: fc.nat(50) });
    fc.assert(
      fc.property(modelRulesArb, modelReadingsArb({ maxLength: 40 }), counters, (model, stream, start) => {
        const readings = stream.map(readingOf);
        const state = initialState('P', rulesOf(model), start);
        expect(state).toMatchObject({ ...start, memory: {}, rev: 0, guard: [], alarm: { state: 'NORMAL' } });
        const fold = foldReadings(state, readings, ARRIVAL);

        let next = state;
        const transitions = [];
        for (const reading of readings) {
          const stepped = step(next, reading, ARRIVAL);
          if (!stepped.applied) continue;
          for (const t of stepped.transitions) expect(t.at).toBe(new Date(reading.timestamp ?? ARRIVAL).toISOString());
          next = stepped.next;
          transitions.push(...stepped.transitions);
        }
        expect(fold.next).toEqual(next);
        expect(fold.transitions).toEqual(transitions);
      }),
      { numRuns: 300 },
    );
  });

  it('an empty batch changes nothing', () => {
    const state = initialState(
      'P',
      rulesOf({ form: 'original', bands: { value: { lower: 1, upper: 2 } }, mode: 'consecutive', window: 1, severity: 'major', clear: {} }),
    );
    expect(foldReadings(state, [], ARRIVAL)).toEqual({ next: state, counts: {}, applied: [], events: [], transitions: [], invalid: [] });
  });
});

describe('step: what of the rules the alarm follows', () => {
  it('passes severity, clearAfter and latch, and the silence and re-notification times only when the rules have them', () => {
    const time = fc.option(fc.integer({ min: 1, max: 10 ** 9 }), { nil: undefined });
    fc.assert(
      fc.property(
        modelRulesArb,
        fc.integer({ min: 1, max: 10 }),
        fc.boolean(),
        time,
        time,
        (model, clearAfter, latch, silenceMs, renotifyMs) => {
          const rules: Rules = {
            ...model,
            clearAfter,
            latch,
            ...(silenceMs === undefined ? {} : { silenceMs }),
            ...(renotifyMs === undefined ? {} : { renotifyMs }),
          };
          // Strictly: an absent time is no key at all, never a key holding undefined.
          expect(alarmRules(rules)).toStrictEqual({
            severity: model.severity,
            clearAfter,
            latch,
            ...(silenceMs === undefined ? {} : { silenceMs }),
            ...(renotifyMs === undefined ? {} : { renotifyMs }),
          });
        },
      ),
    );
  });
});
