/**
 * A deterministic generator of printer telemetry for replays, tests and
 * benchmarks: printer-like values inside each profile's band, excursions out
 * of bounds long enough to produce anomaly events, near-misses shorter than
 * the window, and values exactly on a threshold. Same options, same output:
 * a seeded PRNG, never `Math.random`.
 */

/** A printer profile as `data/printer_profiles.json` holds it. */
export interface GeneratorProfile {
  readonly PrinterId: string;
  readonly Thresholds: { readonly Lower: number; readonly Upper: number };
  readonly Window: number;
}

/** One generated reading, as published on `anom/detect`. */
export interface GeneratedReading {
  readonly PrinterId: string;
  readonly data: { readonly value: number };
  /** Epoch ms, strictly increasing per printer, non-decreasing in file order. */
  readonly timestamp: number;
  /** Per printer, from 1. */
  readonly seq: number;
}

export interface GenerateOptions {
  readonly profiles: readonly GeneratorProfile[];
  /** How many printers. Beyond `profiles.length`, printers get derived profiles (see {@link fleetProfiles}). @default profiles.length */
  readonly printers?: number;
  /** Readings in all, shared evenly between the printers. */
  readonly readings: number;
  readonly seed: number | string;
  /** Epoch ms of the first reading. @default 1763700000000 (2025-11-21T04:40:00Z) */
  readonly startTime?: number;
  /** Mean ms between two readings of one printer. @default 1000 */
  readonly intervalMs?: number;
}

/** Default `startTime`: fixed, so that output depends only on the options. */
export const DEFAULT_START_TIME = 1_763_700_000_000;

// ---------------------------------------------------------------------------
// Seeded randomness: cyrb128 string hash -> sfc32 generator.

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A small seeded PRNG with the helpers the generator needs. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Independent streams for different `parts` of the same seed. */
  constructor(...parts: (string | number)[]) {
    [this.a, this.b, this.c, this.d] = cyrb128(parts.join('\u0000'));
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). sfc32. */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const result = (t + this.d) | 0;
    this.c = (this.c + result) | 0;
    return (result >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

// ---------------------------------------------------------------------------
// Profiles for the whole fleet.

/** Printer-like bands for printers without a profile: [Lower, Upper, resolution]. */
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
export function fleetProfiles(profiles: readonly GeneratorProfile[], printers: number, seed: number | string): GeneratorProfile[] {
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
function printerValues(profile: GeneratorProfile, count: number, random: Random): number[] {
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

  const schedule: Segment[] = random.chance(0.5) ? ['excursion', 'near-miss'] : ['near-miss', 'excursion'];
  normal(random.int(Math.max(window, 10), 30));
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
    normal(random.int(Math.max(window, 8), 45));
  }
  return values;
}

// ---------------------------------------------------------------------------

/**
 * Generates `readings` readings for `printers` printers (default: one per
 * profile), deterministic in its options. Each printer reports about every
 * `intervalMs`; the streams are merged in timestamp order.
 */
export function generateReadings(options: GenerateOptions): GeneratedReading[] {
  const printers = options.printers ?? options.profiles.length;
  if (!Number.isSafeInteger(printers) || printers < 1) throw new RangeError(`printers must be a whole number >= 1, got ${printers}`);
  if (!Number.isSafeInteger(options.readings) || options.readings < 0)
    throw new RangeError(`readings must be a whole number >= 0, got ${options.readings}`);
  const fleet = fleetProfiles(options.profiles, printers, options.seed);
  const start = options.startTime ?? DEFAULT_START_TIME;
  const interval = options.intervalMs ?? 1000;

  const all: { reading: GeneratedReading; order: number }[] = [];
  fleet.forEach((profile, index) => {
    const count = Math.floor(options.readings / printers) + (index < options.readings % printers ? 1 : 0);
    const random = new Random(options.seed, 'values', profile.PrinterId);
    const values = printerValues(profile, count, random);
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

/** A JSON array with one reading per line (diff-friendly, and each line's number is its reading's). */
export function formatReadings(readings: readonly object[]): string {
  if (readings.length === 0) return '[]\n';
  return `[\n${readings.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
}

/** What one printer's stream holds, by the rules of SPEC section 2. */
export interface StreamSummary {
  readonly printerId: string;
  readonly window: number;
  readonly readings: number;
  readonly outOfBounds: number;
  /** Anomaly events the stream produces. */
  readonly events: number;
  /** Out-of-bounds runs shorter than the window (no event). */
  readonly nearMisses: number;
  /** Values exactly on Lower or Upper (in bounds). */
  readonly onThreshold: number;
}

/** Per printer of `profiles`, in profile order: what its readings in `readings` hold. */
export function summarizeStreams(profiles: readonly GeneratorProfile[], readings: readonly GeneratedReading[]): StreamSummary[] {
  const byPrinter = new Map<string, number[]>();
  for (const r of readings) {
    let values = byPrinter.get(r.PrinterId);
    if (!values) {
      values = [];
      byPrinter.set(r.PrinterId, values);
    }
    values.push(r.data.value);
  }
  return profiles.map((profile) => {
    const { Lower: lower, Upper: upper } = profile.Thresholds;
    const values = byPrinter.get(profile.PrinterId) ?? [];
    let outOfBounds = 0;
    let events = 0;
    let nearMisses = 0;
    let onThreshold = 0;
    let run = 0;
    let count = 0;
    for (const value of values) {
      if (value === lower || value === upper) onThreshold++;
      if (value < lower || value > upper) {
        outOfBounds++;
        run++;
        count++;
        if (count >= profile.Window) {
          events++;
          count = 0;
        }
      } else {
        if (run > 0 && run < profile.Window) nearMisses++;
        run = 0;
        count = 0;
      }
    }
    return { printerId: profile.PrinterId, window: profile.Window, readings: values.length, outOfBounds, events, nearMisses, onThreshold };
  });
}
