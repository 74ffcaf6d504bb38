/**
 * The generator's scenarios and multi-metric fleets (`emitter/scenarios.ts`,
 * `emitter/generate.ts`): each scenario puts into the readings what it names,
 * judged on the readings alone; the output is a function of the seed; every
 * payload is one the function accepts; derived fleets pass the profile validator.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { fleetProfiles, type GeneratedReading, generateFleet, generateReadings, SCENARIOS } from '../../emitter/generate.ts';
import type { EpisodeKind } from '../../emitter/scenarios.ts';
import { checkProfiles } from '../../lambda/core/profile-input.ts';
import { parseReading } from '../../lambda/core/reading.ts';
import type { ModelBand } from '../support/model.ts';
import { byPrinter, fleetModelRules, type PrinterModelRules } from './sample-model.ts';

const sample = JSON.parse(readFileSync('data/fleet_profiles.json', 'utf8')) as ProfileInput[];
const rules = fleetModelRules(sample);
const INTERVAL_MS = 1000;

const isOut = (band: ModelBand, x: number) => (band.lower !== undefined && x < band.lower) || (band.upper !== undefined && x > band.upper);
/** The band's width; a one-sided band's scale is 40 % of its bound's magnitude (at least 1), as the generator documents. */
const scale = (band: ModelBand) =>
  band.lower !== undefined && band.upper !== undefined
    ? band.upper - band.lower
    : Math.max(Math.abs(band.lower ?? band.upper ?? 0) * 0.4, 1);
/** How far out of its band `x` is, in band widths (0 inside). */
const beyond = (band: ModelBand, x: number) =>
  Math.max(0, band.lower !== undefined ? band.lower - x : 0, band.upper !== undefined ? x - band.upper : 0) / scale(band);

/** Maximal runs of out-of-bounds values: [first index, length]. */
function outRuns(band: ModelBand, values: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  values.forEach((x, i) => {
    if (!isOut(band, x)) return;
    const last = runs.at(-1);
    if (last && last[0] + last[1] === i) last[1]++;
    else runs.push([i, 1]);
  });
  return runs;
}

/** Out-of-bounds readings in a row that make an event (duration: the time at most 1.3 intervals per reading). */
function readingsForEvent(r: PrinterModelRules): number {
  const { mode, window, durationMs } = r.detector;
  return mode === 'duration' ? Math.ceil((durationMs ?? 0) / (1.3 * INTERVAL_MS)) : window;
}

type Check = (stream: readonly GeneratedReading[], r: PrinterModelRules) => boolean;
const metricsOf = (r: PrinterModelRules) => Object.entries(r.detector.bands);
const series = (stream: readonly GeneratedReading[], metric: string) => stream.map((x) => x.data[metric] as number);

/** What each kind of episode leaves in a printer's readings. */
const SHOWS: Record<EpisodeKind, Check> = {
  // A sensor repeating one value for at least ten readings.
  stuck: (stream, r) =>
    metricsOf(r).some(([metric]) => {
      const values = series(stream, metric);
      let run = 1;
      for (let i = 1; i < values.length; i++) {
        run = values[i] === values[i - 1] ? run + 1 : 1;
        if (run >= 10) return true;
      }
      return false;
    }),
  // A gap in the timestamps of at least a minute, and longer than the printer's SilenceSeconds.
  silence: (stream, r) => {
    const least = Math.max(60_000, 1.5 * (r.alarm.silenceMs ?? 0));
    return stream.some((x, i) => i > 0 && (x.timestamp as number) - (stream[i - 1]?.timestamp as number) >= least);
  },
  // Every excursion is short (one or two readings), far out, and there are several.
  spikes: (stream, r) => {
    const runs = metricsOf(r).flatMap(([metric, band]) => {
      const values = series(stream, metric);
      return outRuns(band, values).map(([start, length]) => ({ length, values: values.slice(start, start + length), band }));
    });
    return runs.length >= 3 && runs.every((run) => run.length <= 2 && run.values.every((x) => beyond(run.band, x) >= 0.1));
  },
  // Out of bounds, entered by small steps, and out long enough for an event.
  drift: (stream, r) =>
    metricsOf(r).some(([metric, band]) => {
      const values = series(stream, metric);
      return outRuns(band, values).some(([start, length]) => {
        const steps = [1, 2, 3].map((k) => Math.abs((values[start - k + 1] as number) - (values[start - k] as number)));
        return start >= 3 && length >= readingsForEvent(r) && steps.every((step) => step < 0.12 * scale(band));
      });
    }),
  // Twenty readings in a row jumping about by more than 15 % of the band on average.
  noisy: (stream, r) =>
    metricsOf(r).some(([metric, band]) => {
      const values = series(stream, metric);
      for (let i = 20; i < values.length; i++) {
        let sum = 0;
        for (let k = i - 19; k <= i; k++) sum += Math.abs((values[k] as number) - (values[k - 1] as number));
        if (sum / 20 >= 0.15 * scale(band)) return true;
      }
      return false;
    }),
};
const KINDS = Object.keys(SHOWS) as EpisodeKind[];

const streamsOf = (scenario: (typeof SCENARIOS)[number]) =>
  byPrinter(generateReadings({ profiles: sample, readings: 2000, seed: `shows-${scenario}`, scenario }));

describe('scenarios', () => {
  it.each(KINDS)('%s: every printer of the sample fleet shows it', (kind) => {
    for (const [id, stream] of streamsOf(kind)) expect(SHOWS[kind](stream, rules.get(id)!), id).toBe(true);
  });

  it.each(KINDS.filter((k) => k !== 'drift'))('%s: no printer shows it in a drift, which is all slow excursions', (kind) => {
    for (const [id, stream] of streamsOf('drift')) expect(SHOWS[kind](stream, rules.get(id)!), id).toBe(false);
  });

  it('drift: no printer shows it in spikes, which are all short', () => {
    for (const [id, stream] of streamsOf('spikes')) expect(SHOWS.drift(stream, rules.get(id)!), id).toBe(false);
  });

  it('mixed: every printer has every kind of episode, and each episode shows in its own readings', () => {
    const fleet = generateFleet({ profiles: sample, readings: 2000, seed: 'fleet', scenario: 'mixed' });
    const streams = byPrinter(fleet.readings);
    for (const [id, episodes] of fleet.episodes) {
      expect(new Set(episodes.map((e) => e.kind)), id).toEqual(new Set(KINDS));
      const stream = streams.get(id)!;
      for (const e of episodes) {
        if (e.kind === 'silence') {
          expect(SHOWS.silence(stream.slice(e.start - 1, e.start + 1), rules.get(id)!), `${id} ${e.kind}@${e.start}`).toBe(true);
          continue;
        }
        // Judged on its own metric, with three readings before it (a drift is entered from there).
        const one = {
          ...rules.get(id)!,
          detector: { ...rules.get(id)!.detector, bands: { [e.metric!]: rules.get(id)!.detector.bands[e.metric!]! } },
        };
        const window = stream.slice(Math.max(0, e.start - 3), e.start + e.length);
        // An episode the stream's end cut short may not have had the room to show.
        if (e.start + e.length < stream.length) expect(SHOWS[e.kind](window, one), `${id} ${e.kind}@${e.start}`).toBe(true);
      }
    }
  });

  it('is deterministic: the same seed gives the same readings and episodes, another seed others', () => {
    for (const scenario of SCENARIOS) {
      const options = { profiles: sample, readings: 600, seed: 9, scenario };
      const once = generateFleet(options);
      expect(generateFleet(options)).toEqual(once);
      const other = generateFleet({ ...options, seed: 10 });
      expect(other.readings.map((r) => r.data)).not.toEqual(once.readings.map((r) => r.data));
    }
  });

  it('printers judged on named metrics get the mixed scenario by default', () => {
    expect(generateReadings({ profiles: sample, readings: 500, seed: 4 })).toEqual(
      generateReadings({ profiles: sample, readings: 500, seed: 4, scenario: 'mixed' }),
    );
  });
});

describe('multi-metric readings', () => {
  it('carry exactly the metrics each printer is judged on, as valid payloads, seq from 1 and increasing timestamps', () => {
    for (const order of ['time', 'round-robin'] as const) {
      const readings = generateReadings({ profiles: sample, readings: 1000, seed: 5, scenario: 'mixed', order });
      expect(readings).toHaveLength(1000);
      for (const r of readings) expect(parseReading(r), JSON.stringify(r)).toMatchObject({ ok: true });
      for (const [id, stream] of byPrinter(readings)) {
        const metrics = Object.keys(rules.get(id)!.detector.bands).sort();
        for (const r of stream) expect(Object.keys(r.data).sort(), id).toEqual(metrics);
        expect(stream.map((r) => r.seq)).toEqual(stream.map((_, i) => i + 1));
        for (let i = 1; i < stream.length; i++) expect(stream[i]!.timestamp).toBeGreaterThan(stream[i - 1]!.timestamp);
      }
      if (order === 'time')
        for (let i = 1; i < readings.length; i++) expect(readings[i]!.timestamp).toBeGreaterThanOrEqual(readings[i - 1]!.timestamp);
    }
  });

  it('a scenario drives printers with the original thresholds too, on their value', () => {
    const originals = JSON.parse(readFileSync('data/printer_profiles.json', 'utf8')) as ProfileInput[];
    const readings = generateReadings({ profiles: originals, readings: 1200, seed: 2, scenario: 'stuck' });
    expect(new Set(readings.flatMap((r) => Object.keys(r.data)))).toEqual(new Set(['value']));
    for (const [id, stream] of byPrinter(readings)) expect(SHOWS.stuck(stream, fleetModelRules(originals).get(id)!), id).toBe(true);
  });
});

describe('derived multi-metric fleets', () => {
  it('beyond the profiles, with a scenario: FleetN printers in every window mode, valid for the profile validator', () => {
    const fleet = fleetProfiles(sample, 13, 'derive', { metrics: true });
    expect(fleet.slice(0, 5)).toEqual(sample.slice(1));
    expect(fleet.slice(5).map((p) => p.PrinterId)).toEqual([
      'Fleet1',
      'Fleet2',
      'Fleet3',
      'Fleet4',
      'Fleet5',
      'Fleet6',
      'Fleet7',
      'Fleet8',
    ]);
    const derived = fleet.slice(5);
    expect(new Set(derived.map((p) => p.Mode ?? 'consecutive'))).toEqual(new Set(['consecutive', 'm-of-n', 'duration']));
    expect(derived.some((p) => JSON.stringify(p.Thresholds).includes('Adaptive'))).toBe(true);
    expect(checkProfiles([sample[0], ...fleet])).toMatchObject({ ok: true });
    const { printers } = generateFleet({ profiles: sample, printers: 13, readings: 130, seed: 'derive', scenario: 'drift' });
    expect(printers).toEqual(fleet);
  });
});
