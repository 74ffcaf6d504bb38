/**
 * The generator of printer telemetry, one for replays (`npm run gen-data`),
 * tests and benchmarks. Printers with the original `{Lower, Upper}`
 * thresholds get printer-like values inside their band, excursions out of
 * bounds long enough to produce anomaly events, near-misses shorter than the
 * window, and values exactly on a threshold. A named scenario (`scenarios.ts`)
 * drives printers judged on named metrics, or any printer when asked for.
 * Same options, same output: a seeded PRNG (`random.ts`), never `Math.random`.
 */
import type { ProfileInput, ReadingPayload } from '../contract/index.ts';
import { fleetProfiles, profileRules, splitDefaults } from './fleet-profiles.ts';
import { Random } from './random.ts';
import { type Episode, round, type Sample, type Scenario, scenarioSamples } from './scenarios.ts';

export { fleetProfiles } from './fleet-profiles.ts';
export { SCENARIOS, type Scenario } from './scenarios.ts';

/** One generated reading, as published on `anom/detect`: always with a timestamp and a seq. */
export type GeneratedReading = ReadingPayload & {
  /** Epoch ms, strictly increasing per printer, non-decreasing in file order (`'time'` order). */
  readonly timestamp: number;
  /** Per printer, from 1. */
  readonly seq: number;
};

export interface GenerateOptions {
  /** The printers' profiles; a `*` entry is the fleet defaults they inherit from (`docs/design.md`, "Detection, extended"). */
  readonly profiles: readonly ProfileInput[];
  /** How many printers. Beyond the profiles' printers, printers get derived profiles (see {@link fleetProfiles}). @default one per profile */
  readonly printers?: number;
  /** Readings in all, shared evenly between the printers. */
  readonly readings: number;
  readonly seed: number | string;
  /**
   * What happens in the streams (`scenarios.ts`): drift, spikes, stuck,
   * noisy, silence, or every one of them in turn (mixed). Derived printers
   * are then judged on named metrics. @default the original excursions for
   * printers with `{Lower, Upper}` thresholds, mixed for the others
   */
  readonly scenario?: Scenario;
  /** Epoch ms of the first reading. @default 1763700000000 (2025-11-21T04:40:00Z) */
  readonly startTime?: number;
  /** Mean ms between two readings of one printer. @default 1000 */
  readonly intervalMs?: number;
  /**
   * The order of the readings. `'time'`: each printer reports about every
   * `intervalMs` (jitter of +-30 %) and the streams are merged in timestamp
   * order, as a broker sees a fleet. `'round-robin'`: reading j of every
   * printer before reading j+1 of any, exactly `intervalMs` apart (plus any
   * silence of that printer), so that reading j of printer i is at index
   * `j * printers + i` when every printer has as many readings (the
   * benchmarks shard and index readings that way). The values are the same
   * in both orders. @default 'time'
   */
  readonly order?: 'time' | 'round-robin';
  /**
   * Chance per reading of normal operation that an anomaly (an excursion, a
   * near-miss, a boundary near-miss, or the scenario's episode) starts, from
   * the first reading on: a healthy fleet with rare events, as the benchmarks
   * use. Unset, every stream opens with 10 to 30 normal readings, then
   * anomalies with 8 to 45 (scenarios: 8 to 30) normal readings between:
   * rich in events and near-misses, as replays and tests want. @default undefined
   */
  readonly anomalyRate?: number;
}

/** Default `startTime`: fixed, so that output depends only on the options. */
export const DEFAULT_START_TIME = 1_763_700_000_000;

// ---------------------------------------------------------------------------
// One printer's values.

type Segment = 'normal' | 'excursion' | 'near-miss' | 'boundary-near-miss';

/** A printer's value stream: segments of normal operation between anomalies. */
function printerValues(
  band: { lower: number; upper: number; window: number },
  count: number,
  random: Random,
  anomalyRate: number | undefined,
): number[] {
  const { lower, upper, window } = band;
  const width = upper - lower;
  // Resolution of the sensor: coarse for wide bands, finer for narrow ones.
  const decimals = width >= 10 ? 1 : 2;
  const step = 10 ** -decimals;
  const scale = width > 0 ? width : Math.max(Math.abs(lower) * 0.05, 1);
  const values: number[] = [];
  let level = lower + width * random.between(0.4, 0.6);

  const inBand = (value: number) => Math.min(upper, Math.max(lower, round(value, decimals)));
  /** A value strictly out of bounds: `depth` fractions of the band beyond a threshold. */
  const outOfBand = (above: boolean, depth: number) => {
    const beyond = Math.max(step, round(scale * depth, decimals));
    return above ? round(upper + beyond, decimals) : round(lower - beyond, decimals);
  };
  const push = (value: number) => {
    if (values.length < count) values.push(value);
  };

  const normal = (length: number) => {
    const centre = lower + width * random.between(0.3, 0.7);
    for (let i = 0; i < length; i++) {
      if (random.chance(0.015)) {
        // Exactly on a threshold: in bounds (equal is in bounds), resets the count.
        push(random.chance(0.5) ? lower : upper);
        continue;
      }
      level = centre + 0.8 * (level - centre) + random.normal() * scale * 0.05;
      level = Math.min(upper - width * 0.03, Math.max(lower + width * 0.03, level));
      push(inBand(level));
    }
  };
  const outRun = (length: number, above: boolean, peak: number) => {
    for (let i = 0; i < length; i++) {
      // Rises to its peak, then hovers around it.
      const ramp = Math.min(1, (i + 1) / Math.max(2, length / 3));
      push(outOfBand(above, Math.max(0.005, peak * ramp + random.normal() * peak * 0.1)));
    }
  };
  /** Normal readings before the next anomaly: geometric (memoryless) with `anomalyRate`, else uniform in [min, max]. */
  const stretch = (min: number, max: number) =>
    anomalyRate === undefined
      ? random.int(Math.max(window, min), max)
      : anomalyRate >= 1
        ? 0
        : Math.floor(Math.log(1 - random.next()) / Math.log(1 - anomalyRate));

  const opening: Segment[] = random.chance(0.5) ? ['excursion', 'near-miss'] : ['near-miss', 'excursion'];
  const schedule = anomalyRate === undefined ? opening : [];
  normal(stretch(10, 30));
  while (values.length < count) {
    let segment = schedule.shift();
    if (segment === undefined) {
      const roll = random.next();
      segment = roll < 0.4 ? 'excursion' : roll < 0.75 ? 'near-miss' : 'boundary-near-miss';
    }
    const above = random.chance(0.7);
    if (segment === 'excursion') {
      // At least a window long: one event, sometimes two.
      outRun(random.int(window, 2 * window + 1), above, random.between(0.05, 0.3));
    } else if (window >= 2 && segment === 'near-miss') {
      outRun(random.int(1, window - 1), above, random.between(0.02, 0.15));
    } else if (window >= 2 && segment === 'boundary-near-miss') {
      // Out, exactly on the threshold (in bounds: the count resets), out again: never a window in a row.
      outRun(random.int(1, window - 1), above, random.between(0.02, 0.1));
      push(above ? upper : lower);
      outRun(random.int(1, window - 1), above, random.between(0.02, 0.1));
    } else {
      // A window of 1 has no near-miss: every out-of-bounds value is an event. A close call instead.
      push(above ? upper : lower);
    }
    normal(stretch(8, 45));
  }
  return values;
}

// ---------------------------------------------------------------------------
// The fleet's readings.

interface Stream {
  readonly printerId: string;
  readonly random: Random;
  readonly samples: readonly Sample[];
}

/** Each printer about every `interval` ms (jitter of +-30 %, plus its silences), merged in timestamp order. */
function inTimeOrder(streams: readonly Stream[], start: number, interval: number): GeneratedReading[] {
  const all: { reading: GeneratedReading; order: number }[] = [];
  streams.forEach(({ printerId, random, samples }, index) => {
    let timestamp = start + Math.floor(random.between(0, interval));
    samples.forEach(({ data, pauseMs }, i) => {
      all.push({ reading: { PrinterId: printerId, data, timestamp, seq: i + 1 }, order: index });
      // Jitter of +-30 %: strictly increasing per printer.
      timestamp += Math.max(1, Math.round(interval * random.between(0.7, 1.3)));
      if (pauseMs !== undefined) timestamp += pauseMs;
    });
  });
  all.sort((x, y) => x.reading.timestamp - y.reading.timestamp || x.order - y.order || x.reading.seq - y.reading.seq);
  return all.map((entry) => entry.reading);
}

/** Reading j of every printer before reading j+1 of any; the printers of one round share its interval. */
function inRoundRobin(streams: readonly Stream[], start: number, interval: number): GeneratedReading[] {
  const all: GeneratedReading[] = [];
  const rounds = streams.reduce((most, stream) => Math.max(most, stream.samples.length), 0);
  const silent = streams.map(() => 0);
  for (let j = 0; j < rounds; j++) {
    streams.forEach(({ printerId, samples }, i) => {
      const sample = samples[j];
      if (sample === undefined) return;
      const timestamp = start + j * interval + Math.floor((i * interval) / streams.length) + (silent[i] ?? 0);
      all.push({ PrinterId: printerId, data: sample.data, timestamp, seq: j + 1 });
      silent[i] = (silent[i] ?? 0) + (sample.pauseMs ?? 0);
    });
  }
  return all;
}

/** A generated fleet: its profiles, its readings and where each printer's episodes are. */
export interface GeneratedFleet {
  /** The fleet defaults the profiles came with, if any. */
  readonly defaults?: ProfileInput;
  /** One per printer, given then derived, in the order the streams were made. */
  readonly printers: readonly ProfileInput[];
  readonly readings: GeneratedReading[];
  /** Per printer driven by a scenario: its episodes, in stream order (indexes into its own readings). */
  readonly episodes: ReadonlyMap<string, readonly Episode[]>;
}

/**
 * Generates `readings` readings for `printers` printers (default: one per
 * profile), deterministic in its options. Each printer's values depend only
 * on the seed, the scenario and its profile, whatever the fleet size and the order.
 */
export function generateFleet(options: GenerateOptions): GeneratedFleet {
  const { defaults, printers: given } = splitDefaults(options.profiles);
  const printers = options.printers ?? given.length;
  if (!Number.isSafeInteger(printers) || printers < 1) throw new RangeError(`printers must be a whole number >= 1, got ${printers}`);
  if (!Number.isSafeInteger(options.readings) || options.readings < 0)
    throw new RangeError(`readings must be a whole number >= 0, got ${options.readings}`);
  const { anomalyRate, scenario } = options;
  if (anomalyRate !== undefined && !(anomalyRate > 0 && anomalyRate <= 1))
    throw new RangeError(`anomalyRate must be in (0, 1], got ${anomalyRate}`);
  const interval = options.intervalMs ?? 1000;
  if (!(interval > 0)) throw new RangeError(`intervalMs must be above 0, got ${interval}`);

  const givenRules = given.map((profile) => profileRules(profile, defaults));
  const metrics = scenario !== undefined || givenRules.some((rules) => rules.form !== 'original');
  const fleet = fleetProfiles(options.profiles, printers, options.seed, { metrics });
  const episodes = new Map<string, readonly Episode[]>();
  const streams = fleet.map((profile, index): Stream => {
    const count = Math.floor(options.readings / printers) + (index < options.readings % printers ? 1 : 0);
    const rules = givenRules[index] ?? profileRules(profile, defaults);
    const original = rules.bands['value'];
    if (scenario === undefined && rules.form === 'original' && original?.lower !== undefined && original.upper !== undefined) {
      const random = new Random(options.seed, 'values', profile.PrinterId);
      const band = { lower: original.lower, upper: original.upper, window: rules.window };
      return {
        printerId: profile.PrinterId,
        random,
        samples: printerValues(band, count, random, anomalyRate).map((value) => ({ data: { value } })),
      };
    }
    const named = scenario ?? 'mixed';
    const random = new Random(options.seed, 'values', profile.PrinterId, named);
    const stream = scenarioSamples(rules, count, random, {
      scenario: named,
      intervalMs: interval,
      ...(anomalyRate !== undefined ? { anomalyRate } : {}),
    });
    episodes.set(profile.PrinterId, stream.episodes);
    return { printerId: profile.PrinterId, random, samples: stream.samples };
  });
  const start = options.startTime ?? DEFAULT_START_TIME;
  const readings = options.order === 'round-robin' ? inRoundRobin(streams, start, interval) : inTimeOrder(streams, start, interval);
  return { ...(defaults ? { defaults } : {}), printers: fleet, readings, episodes };
}

/** The readings of {@link generateFleet}. */
export function generateReadings(options: GenerateOptions): GeneratedReading[] {
  return generateFleet(options).readings;
}

/** A JSON array with one reading per line (diff-friendly, and each line's number is its reading's). */
export function formatReadings(readings: readonly ReadingPayload[]): string {
  if (readings.length === 0) return '[]\n';
  return `[\n${readings.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
}
