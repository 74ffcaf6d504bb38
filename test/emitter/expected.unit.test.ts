/**
 * The generator's expected outcomes (`emitter/expected.ts`) come from the
 * function's core; here they are checked against the independent detector and
 * alarm models, on the original profiles (exactly the numbers they always
 * gave) and on fleets in every window mode, scenario and alarm attribute.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProfileInput, Severity } from '../../contract/index.ts';
import { expectedVerdicts, summarizeStreams } from '../../emitter/expected.ts';
import { type GeneratedReading, generateFleet, generateReadings, SCENARIOS } from '../../emitter/generate.ts';
import { runModel } from '../support/model.ts';
import { byPrinter, fleetModelRules, notifiedBySpec, runPrinter } from './sample-model.ts';

const originals = JSON.parse(readFileSync('data/printer_profiles.json', 'utf8')) as ProfileInput[];
const sample = JSON.parse(readFileSync('data/fleet_profiles.json', 'utf8')) as ProfileInput[];

const RANK: Severity[] = ['warning', 'minor', 'major', 'critical'];
const highest = (severities: readonly Severity[]) =>
  severities.reduce<Severity | null>((top, s) => (top === null || RANK.indexOf(s) > RANK.indexOf(top) ? s : top), null);

/** What the models make of `readings`, each arriving at its timestamp, the clock sweeping at every deadline. */
function modelSummaries(profiles: readonly ProfileInput[], readings: readonly GeneratedReading[]) {
  const end = Math.max(...readings.map((r) => r.timestamp));
  const streams = byPrinter(readings);
  return [...fleetModelRules(profiles)].map(([printerId, rules]) => {
    const outcome = runPrinter(rules, streams.get(printerId) ?? [], {
      arrival: (r) => r.timestamp as number,
      everyDeadline: true,
      finalSweep: () => end,
    });
    const log = outcome.alarm.log;
    return {
      printerId,
      readings: outcome.readings,
      outOfBounds: outcome.outOfBounds,
      events: outcome.events,
      severity: highest(outcome.severities),
      transitions: log.length,
      silences: log.filter((t) => t.cause === 'silent').length,
      notifications: log.filter(notifiedBySpec).length + outcome.renotifications,
      alarm: outcome.alarm.state,
    };
  });
}

const comparable = (s: ReturnType<typeof summarizeStreams>[number]) => ({
  printerId: s.printerId,
  readings: s.readings,
  outOfBounds: s.outOfBounds,
  events: s.events,
  severity: s.severity,
  transitions: s.transitions,
  silences: s.silences,
  notifications: s.notifications,
  alarm: s.alarm,
});

describe('summarizeStreams', () => {
  it('gives the original profiles exactly the numbers it always gave', () => {
    const readings = generateReadings({ profiles: originals, readings: 4000, seed: '42' });
    const rows = summarizeStreams(originals, readings).map((s) => [
      s.printerId,
      s.mode,
      s.window,
      s.readings,
      s.outOfBounds,
      s.events,
      s.nearMisses,
      s.onThreshold,
    ]);
    expect(rows).toEqual([
      ['Printer1', 'consecutive 10', 10, 334, 90, 4, 6, 8],
      ['Printer2', 'consecutive 6', 6, 334, 76, 7, 8, 7],
      ['Printer3', 'consecutive 5', 5, 334, 44, 4, 8, 6],
      ['Printer4', 'consecutive 8', 8, 334, 86, 5, 8, 6],
      ['Printer5', 'consecutive 4', 4, 333, 61, 11, 4, 5],
      ['Printer6', 'consecutive 3', 3, 333, 33, 4, 11, 7],
      ['Printer7', 'consecutive 7', 7, 333, 73, 7, 4, 4],
      ['Printer8', 'consecutive 12', 12, 333, 118, 4, 6, 3],
      ['Printer9', 'consecutive 1', 1, 333, 10, 10, 0, 15],
      ['Printer10', 'consecutive 5', 5, 333, 57, 5, 12, 7],
      ['Printer11', 'consecutive 6', 6, 333, 58, 5, 7, 7],
      ['Printer12', 'consecutive 9', 9, 333, 85, 6, 4, 7],
    ]);
    // The same events as the original model's, printer by printer.
    const model = runModel(
      Object.fromEntries(
        originals.map((p) => {
          const t = p.Thresholds as { Lower: number; Upper: number };
          return [p.PrinterId, { lower: t.Lower, upper: t.Upper, window: p.Window as number }];
        }),
      ),
      readings.map((r) => ({ printerId: r.PrinterId, value: r.data['value'] as number, seq: r.seq })),
    );
    expect(Object.fromEntries(rows.map((row) => [row[0], row[5]]))).toEqual(
      Object.fromEntries(Object.entries(model.printers).map(([id, p]) => [id, p.eventCount])),
    );
  });

  it('agrees with the detector and alarm models on the sample fleet: modes, severities, silence, latch and re-notification', () => {
    const readings = JSON.parse(readFileSync('data/fleet_iot_data.json', 'utf8')) as GeneratedReading[];
    const summaries = summarizeStreams(sample, readings);
    expect(summaries.map(comparable)).toEqual(modelSummaries(sample, readings));
    // The sample shows what it is for: every printer has events, a silence is noticed, an alarm is latched.
    expect(summaries.filter((s) => s.events === 0)).toEqual([]);
    expect(summaries.reduce((n, s) => n + s.silences, 0)).toBeGreaterThan(0);
    expect(summaries.map((s) => s.alarm)).toContain('LATCHED');
  });

  it.each(SCENARIOS)('agrees with the models on a derived fleet in every window mode, scenario %s', (scenario) => {
    const { printers, readings } = generateFleet({ profiles: sample, printers: 9, readings: 2700, seed: `expected-${scenario}`, scenario });
    const profiles = [sample[0] as ProfileInput, ...printers];
    expect(summarizeStreams(profiles, readings).map(comparable)).toEqual(modelSummaries(profiles, readings));
  });
});

describe('expectedVerdicts', () => {
  it('yields one verdict per reading of a printer with a profile, in order, and skips the others', () => {
    const readings = generateReadings({ profiles: sample, readings: 300, seed: 1 });
    const known = sample.slice(0, 3);
    const verdicts = [...expectedVerdicts(known, readings)];
    const ids = new Set(known.filter((p) => p.PrinterId !== '*').map((p) => p.PrinterId));
    expect(verdicts.map((v) => v.index)).toEqual(readings.flatMap((r, i) => (ids.has(r.PrinterId) ? [i] : [])));
    expect(verdicts.every((v) => v.verdict.applied)).toBe(true);
    const events = verdicts.filter((v) => v.verdict.applied && v.verdict.event).length;
    expect(events).toBe(summarizeStreams(known, readings).reduce((n, s) => n + s.events, 0));
  });
});
