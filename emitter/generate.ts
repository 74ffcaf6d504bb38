/**
 * The generator of printer telemetry, one for replays (`npm run gen-data`),
 * tests and benchmarks: printer-like values inside each profile's band,
 * excursions out of bounds long enough to produce anomaly events, near-misses
 * shorter than the window, and values exactly on a threshold. Same options,
 * same output: a seeded PRNG (`random.ts`), never `Math.random`.
 */
import type { ProfileInput, ReadingPayload } from '../contract/index.ts';
import { Random } from './random.ts';

/** One generated reading, as published on `anom/detect`: always with a timestamp and a seq. */
export type GeneratedReading = ReadingPayload & {
  /** Epoch ms, strictly increasing per printer, non-decreasing in file order. */
  readonly timestamp: number;
  /** Per printer, from 1. */
  readonly seq: number;
};

export interface GenerateOptions {
  readonly profiles: readonly ProfileInput[];
  /** How many printers. Beyond `profiles.length`, printers get derived profiles (see {@link fleetProfiles}). @default profiles.length */
  readonly printers?: number;
  /** Readings in all, shared evenly between the printers. */
  readonly readings: number;
  readonly seed: number | string;
  /** Epoch ms of the first reading. @default 1763700000000 (2025-11-21T04:40:00Z) */
  readonly startTime?: number;
  /** Mean ms between two readings of one printer. @default 1000 */
  readonly intervalMs?: number;
  /**
   * The order of the readings. `'time'`: each printer reports about every
   * `intervalMs` (jitter of +-30 %) and the streams are merged in timestamp
   * order, as a broker sees a fleet. `'round-robin'`: reading j of every
   * printer before reading j+1 of any, exactly `intervalMs` apart, so that
   * reading j of printer i is at index `j * printers + i` when every printer
   * has as many readings (the benchmarks shard and index readings that way).
   * The values are the same in both orders. @default 'time'
   */
  readonly order?: 'time' | 'round-robin';
  /**
   * Chance per reading of normal operation that an anomaly (an excursion, a
   * near-miss, a boundary near-miss) starts, from the first reading on: a
   * healthy fleet with rare events, as the benchmarks use. Unset, every
   * stream opens with 10 to 30 normal readings, then an excursion and a
   * near-miss, with 8 to 45 normal readings between anomalies: rich in events
   * and near-misses, as replays and tests want. @default undefined
   */
  readonly anomalyRate?: number;
}

/** Default `startTime`: fixed, so that output depends only on the options. */
export const DEFAULT_START_TIME = 1_763_700_000_000;

// ---------------------------------------------------------------------------
// Profiles for the whole fleet.

/** Printer-like bands for printers without a profile. */
const DERIVED_BANDS: readonly { lower: number; upper: number }[] = [
  { lower: 190, upper: 230 }, // nozzle temperature, degrees C
  { lower: 50, upper: 70 }, // bed temperature
  { lower: 20, upper: 80 }, // humidity, %
  { lower: 15, upper: 35 }, // enclosure temperature
  { lower: 0.5, upper: 2.5 }, // extruder pressure, bar
  { lower: 30, upper: 90 }, // fan speed, % of max
];

/**
 * The profiles of a fleet of `printers`: the given ones first (cut to
 * `printers` when fewer), then derived ones named `PrinterN` with printer-like
 * bands and windows. Readings of printers whose profile is not stored in
 * `PrinterProfiles` are counted as unknown by the backend: seed these too.
 */
export function fleetProfiles(profiles: readonly ProfileInput[], printers: number, seed: number | string): ProfileInput[] {
  const fleet = profiles.slice(0, printers);
  const taken = new Set(fleet.map((p) => p.PrinterId));
  for (let n = 1; fleet.length < printers; n++) {
    const id = `Printer${n}`;
    if (taken.has(id) || profiles.some((p) => p.PrinterId === id)) continue;
    const random = new Random(seed, 'profile', id);
    const band = DERIVED_BANDS[random.int(0, DERIVED_BANDS.length - 1)] ?? { lower: 20, upper: 80 };
    const width = band.upper - band.lower;
    const shift = random.between(-0.1, 0.1) * width;
    const decimals = width >= 10 ? 0 : 1;
    fleet.push({
      PrinterId: id,
      Thresholds: { Lower: round(band.lower + shift, decimals), Upper: round(band.upper + shift, decimals) },
      Window: random.int(3, 12),
    });
    taken.add(id);
  }
  return fleet;
}

// ---------------------------------------------------------------------------
// One printer's values.

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Number((Math.round(value * factor) / factor).toFixed(decimals));
}

type Segment = 'normal' | 'excursion' | 'near-miss' | 'boundary-near-miss';

/** A printer's value stream: segments of normal operation between anomalies. */
function printerValues(profile: ProfileInput, count: number, random: Random, anomalyRate: number | undefined): number[] {
  const lower = profile.Thresholds.Lower;
  const upper = profile.Thresholds.Upper;
  const window = profile.Window;
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
  readonly profile: ProfileInput;
  readonly random: Random;
  readonly values: readonly number[];
}

/** Each printer about every `interval` ms (jitter of +-30 %), merged in timestamp order. */
function inTimeOrder(streams: readonly Stream[], start: number, interval: number): GeneratedReading[] {
  const all: { reading: GeneratedReading; order: number }[] = [];
  streams.forEach(({ profile, random, values }, index) => {
    let timestamp = start + Math.floor(random.between(0, interval));
    values.forEach((value, i) => {
      all.push({ reading: { PrinterId: profile.PrinterId, data: { value }, timestamp, seq: i + 1 }, order: index });
      // Jitter of +-30 %: strictly increasing per printer.
      timestamp += Math.max(1, Math.round(interval * random.between(0.7, 1.3)));
    });
  });
  all.sort((x, y) => x.reading.timestamp - y.reading.timestamp || x.order - y.order || x.reading.seq - y.reading.seq);
  return all.map((entry) => entry.reading);
}

/** Reading j of every printer before reading j+1 of any; the printers of one round share its interval. */
function inRoundRobin(streams: readonly Stream[], start: number, interval: number): GeneratedReading[] {
  const all: GeneratedReading[] = [];
  const rounds = streams.reduce((most, stream) => Math.max(most, stream.values.length), 0);
  for (let j = 0; j < rounds; j++) {
    streams.forEach(({ profile, values }, i) => {
      const value = values[j];
      if (value === undefined) return;
      const timestamp = start + j * interval + Math.floor((i * interval) / streams.length);
      all.push({ PrinterId: profile.PrinterId, data: { value }, timestamp, seq: j + 1 });
    });
  }
  return all;
}

/**
 * Generates `readings` readings for `printers` printers (default: one per
 * profile), deterministic in its options. Each printer's values depend only
 * on the seed and its profile, whatever the fleet size and the order.
 */
export function generateReadings(options: GenerateOptions): GeneratedReading[] {
  const printers = options.printers ?? options.profiles.length;
  if (!Number.isSafeInteger(printers) || printers < 1) throw new RangeError(`printers must be a whole number >= 1, got ${printers}`);
  if (!Number.isSafeInteger(options.readings) || options.readings < 0)
    throw new RangeError(`readings must be a whole number >= 0, got ${options.readings}`);
  const { anomalyRate } = options;
  if (anomalyRate !== undefined && !(anomalyRate > 0 && anomalyRate <= 1))
    throw new RangeError(`anomalyRate must be in (0, 1], got ${anomalyRate}`);
  const fleet = fleetProfiles(options.profiles, printers, options.seed);
  const streams = fleet.map((profile, index): Stream => {
    const count = Math.floor(options.readings / printers) + (index < options.readings % printers ? 1 : 0);
    const random = new Random(options.seed, 'values', profile.PrinterId);
    return { profile, random, values: printerValues(profile, count, random, anomalyRate) };
  });
  const start = options.startTime ?? DEFAULT_START_TIME;
  const interval = options.intervalMs ?? 1000;
  return options.order === 'round-robin' ? inRoundRobin(streams, start, interval) : inTimeOrder(streams, start, interval);
}

/** A JSON array with one reading per line (diff-friendly, and each line's number is its reading's). */
export function formatReadings(readings: readonly ReadingPayload[]): string {
  if (readings.length === 0) return '[]\n';
  return `[\n${readings.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
}
