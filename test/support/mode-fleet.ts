/**
 * A mixed-mode fleet for the load, fault, duplicate and crash tests: printers
 * in every window mode (consecutive, m-of-n, duration), adaptive bands,
 * several metrics with one-sided bands, original profiles that inherit from
 * the fleet defaults, and printers enrolled by the `*` item (`Enrol: true`).
 * Readings carry `seq` and `timestamp`, so the expected outcome does not
 * depend on when they arrive. The expectation comes from the independent
 * model (`model.ts`, `modelStep`), never from the product's core; the
 * profiles are turned into the model's rules here, from the written rules
 * alone (`docs/detection.md`, "Fleet defaults"; `docs/design.md`, "Detection, extended").
 */
import type { BandInput, ProfileInput } from '../../contract/index.ts';
import { type ModelBand, type ModelMetricReading, type ModelRules, type ModelSeverity, modelStep, newModelPrinter } from './model.ts';

/** How a printer of the fleet detects. */
export type ModeKind = 'consecutive' | 'inherited' | 'm-of-n' | 'duration' | 'adaptive' | 'metrics' | 'enrolled';

export const MODE_KINDS: readonly ModeKind[] = ['consecutive', 'inherited', 'm-of-n', 'duration', 'adaptive', 'metrics', 'enrolled'];

/** The fleet defaults: printers without a Mode run m-of-n (3 of 4), and unknown printers are enrolled. */
export const FLEET_DEFAULTS: ProfileInput = {
  PrinterId: '*',
  Enrol: true,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 3,
  Mode: 'm-of-n',
  Of: 4,
};

/** One reading as published: a value may be a string, which makes that metric invalid. */
export interface ModeReading {
  readonly PrinterId: string;
  readonly data: Readonly<Record<string, number | string>>;
  readonly seq: number;
  readonly timestamp: number;
}

export interface ExpectedEvent {
  readonly PrinterId: string;
  readonly events: number;
  /** The reading's `data.value`, when it had a valid one. */
  readonly value?: number;
  /** Metric-map profiles: the metrics out of bounds and the event's severity. */
  readonly metrics?: Readonly<Record<string, number>>;
  readonly severity?: ModelSeverity;
}

export interface ModeExpectation {
  /** Final counts of every printer that has an item. */
  readonly printers: Record<string, { outOfBoundsCount: number; eventCount: number }>;
  /** Every anomaly event, in each printer's order. */
  readonly events: ExpectedEvent[];
}

export interface ModeFleet {
  readonly defaults: ProfileInput;
  /** The printers' own profiles (enrolled printers have none). */
  readonly profiles: readonly ProfileInput[];
  /** What to seed: the defaults and the profiles. */
  readonly seed: readonly ProfileInput[];
  readonly kinds: ReadonlyMap<string, ModeKind>;
  /** Every printer's readings, merged in timestamp order as a broker sees a fleet. */
  readonly readings: readonly ModeReading[];
  readonly expected: ModeExpectation;
}

/** A small seeded PRNG (mulberry32): the same fleet for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
const PREFIX: Record<ModeKind, string> = {
  consecutive: 'Cons',
  inherited: 'Inherit',
  'm-of-n': 'MofN',
  duration: 'Dur',
  adaptive: 'Adapt',
  metrics: 'Metrics',
  enrolled: 'Enrol',
};

/** The profile of printer `k` of a kind (undefined for an enrolled printer). */
function profileOf(kind: ModeKind, id: string, k: number): ProfileInput | undefined {
  switch (kind) {
    case 'consecutive':
      return { PrinterId: id, Thresholds: { Lower: 20, Upper: 80 }, Window: 2 + (k % 4), Mode: 'consecutive' };
    case 'inherited':
      // As the original put-item commands write it: Mode and Of come from the defaults.
      return { PrinterId: id, Thresholds: { Lower: 20, Upper: 80 }, Window: 2 + (k % 2) };
    case 'm-of-n':
      return { PrinterId: id, Thresholds: { Lower: 20, Upper: 80 }, Mode: 'm-of-n', Window: 2 + (k % 3), Of: 3 + (k % 3) + (k % 2) };
    case 'duration':
      // No Window of its own: the inherited one is unused, the inherited Of left out.
      return { PrinterId: id, Thresholds: { temp: { Upper: 240 } }, Mode: 'duration', DurationSeconds: 2 + (k % 3) };
    case 'adaptive':
      return {
        PrinterId: id,
        Thresholds: { Lower: 0, Upper: 100 },
        Mode: 'consecutive',
        Window: 2,
        Adaptive: { Sigma: 3, Alpha: 0.05, Warmup: 8 },
      };
    case 'metrics': {
      const Thresholds: Record<string, BandInput> = { temp: { Upper: 240, Severity: 'critical' }, humidity: { Lower: 20 } };
      return k % 2 === 0
        ? { PrinterId: id, Thresholds, Mode: 'm-of-n', Window: 2, Of: 3 }
        : { PrinterId: id, Thresholds, Mode: 'consecutive', Window: 2 };
    }
    case 'enrolled':
      return undefined;
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Values around a band with excursions out of it, some broken by an in-bounds reading, some exactly on a threshold. */
function valueSeries(random: () => number, n: number): number[] {
  const values: number[] = [];
  let excursion = 0;
  let high = true;
  for (let j = 0; j < n; j++) {
    if (excursion === 0 && random() < 0.2) {
      excursion = 1 + Math.floor(random() * 6);
      high = random() < 0.6;
    }
    if (excursion > 0) {
      excursion -= 1;
      if (random() < 0.2) values.push(round(25 + random() * 50));
      else values.push(high ? round(81 + random() * 18) : round(1 + random() * 18));
    } else if (random() < 0.06) {
      values.push(random() < 0.5 ? 20 : 80);
    } else {
      values.push(round(25 + random() * 50));
    }
  }
  return values;
}

/** Data of one reading of printer kind `kind`. */
function dataSeries(kind: ModeKind, random: () => number, n: number): Record<string, number | string>[] {
  if (kind === 'adaptive') {
    // Steady around 50, with bursts of spikes inside the fixed band that only the adaptive band catches.
    let burst = 0;
    return Array.from({ length: n }, (_, j) => {
      if (burst === 0 && j >= 8 && random() < 0.12) burst = 2 + Math.floor(random() * 3);
      const spike = burst > 0;
      if (burst > 0) burst -= 1;
      const x = spike ? 50 + (random() < 0.5 ? -1 : 1) * (30 + random() * 15) : 50 + (random() - 0.5) * 4;
      return { value: round(x, 2) };
    });
  }
  if (kind === 'duration' || kind === 'metrics') {
    const data: Record<string, number | string>[] = [];
    let excursion = 0;
    for (let j = 0; j < n; j++) {
      if (excursion === 0 && random() < 0.2) excursion = 1 + Math.floor(random() * 7);
      const out = excursion > 0;
      if (excursion > 0) excursion -= 1;
      const temp = out && random() < (kind === 'duration' ? 0.92 : 0.7) ? round(241 + random() * 20) : round(180 + random() * 50);
      const humidity = out && random() < 0.5 ? round(5 + random() * 14) : round(30 + random() * 30);
      // An unmonitored metric, sometimes with a value that would be invalid were it monitored.
      const fan = random() < 0.2 ? 'stalled' : round(random() * 3000, 0);
      if (kind === 'duration') {
        data.push({ temp, fan });
        continue;
      }
      const pick = random();
      if (pick < 0.55) data.push({ temp, humidity, fan });
      else if (pick < 0.75) data.push({ temp });
      else if (pick < 0.9) data.push({ humidity, fan });
      else if (pick < 0.95)
        data.push({ fan: round(random() * 3000, 0) }); // none of the monitored metrics: invalid here
      else data.push({ temp, humidity: 'wet' }); // a monitored metric with an invalid value: invalid
    }
    return data;
  }
  return valueSeries(random, n).map((value) => ({ value }));
}

/**
 * `perKind` printers of each kind with `readingsPerPrinter` readings each,
 * about a second apart; deterministic for a seed.
 */
export function makeModeFleet(options: { perKind: number; readingsPerPrinter: number; seed: number }): ModeFleet {
  const random = prng(options.seed);
  const profiles: ProfileInput[] = [];
  const kinds = new Map<string, ModeKind>();
  const readings: ModeReading[] = [];
  const start = 1_763_700_000_000;
  for (const kind of MODE_KINDS) {
    for (let k = 0; k < options.perKind; k++) {
      const id = `${PREFIX[kind]}-${pad(k + 1)}`;
      kinds.set(id, kind);
      const profile = profileOf(kind, id, k);
      if (profile) profiles.push(profile);
      let time = start + Math.floor(random() * 1000);
      dataSeries(kind, random, options.readingsPerPrinter).forEach((data, j) => {
        readings.push({ PrinterId: id, data, seq: j + 1, timestamp: time });
        time += 700 + Math.floor(random() * 600);
      });
    }
  }
  readings.sort((a, b) => a.timestamp - b.timestamp || (a.PrinterId < b.PrinterId ? -1 : 1));
  const fleet = { defaults: FLEET_DEFAULTS, profiles, seed: [FLEET_DEFAULTS, ...profiles], kinds, readings };
  return { ...fleet, expected: expectFor(fleet, readings) };
}

// ---------------------------------------------------------------------------
// Profiles as the model's rules, written from the rules alone: every rule
// attribute a printer omits is the defaults' (a printer's own Thresholds
// replace theirs whole); Of only for m-of-n, DurationSeconds only for
// duration; the profile's Adaptive goes to every band without its own.

const INHERITED = ['Thresholds', 'Window', 'Mode', 'Of', 'DurationSeconds', 'Adaptive', 'Severity'] as const;

function modelBand(band: BandInput): ModelBand {
  const out: ModelBand = {};
  if (band.Lower !== undefined) out.lower = band.Lower;
  if (band.Upper !== undefined) out.upper = band.Upper;
  if (band.Severity !== undefined) out.severity = band.Severity;
  if (band.Adaptive !== undefined) out.adaptive = modelAdaptive(band.Adaptive);
  return out;
}

function modelAdaptive(a: NonNullable<BandInput['Adaptive']>) {
  return { sigma: a.Sigma, alpha: a.Alpha ?? 0.05, warmup: a.Warmup ?? 30 };
}

/** The model's rules for a printer's own profile (none: enrolled) under the fleet defaults. */
export function modelRulesOf(profile: ProfileInput | undefined, defaults: ProfileInput): ModelRules {
  const merged: Record<string, unknown> = {};
  for (const key of INHERITED) merged[key] = profile?.[key] ?? defaults[key];
  const thresholds = merged['Thresholds'] as Record<string, unknown>;
  const keys = Object.keys(thresholds).sort();
  const original = keys.length === 2 && keys[0] === 'Lower' && keys[1] === 'Upper';
  const given: Record<string, BandInput> = original ? { value: thresholds as BandInput } : (thresholds as Record<string, BandInput>);
  const adaptive = merged['Adaptive'] as BandInput['Adaptive'];
  const bands = Object.fromEntries(
    Object.entries(given).map(([name, band]) => {
      const b = modelBand(band);
      if (b.adaptive === undefined && adaptive !== undefined) b.adaptive = modelAdaptive(adaptive);
      return [name, b];
    }),
  );
  const mode = (merged['Mode'] as ModelRules['mode'] | undefined) ?? 'consecutive';
  const rules: ModelRules = {
    form: original ? 'original' : 'metrics',
    bands,
    mode,
    window: mode === 'duration' ? 1 : (merged['Window'] as number),
    severity: (merged['Severity'] as ModelSeverity | undefined) ?? 'major',
    clear: {},
  };
  if (mode === 'm-of-n') rules.of = merged['Of'] as number;
  if (mode === 'duration') rules.durationMs = (merged['DurationSeconds'] as number) * 1000;
  return rules;
}

/** A reading to run the model on: `seq` and `timestamp` may be left out. */
export type ModelInput = Pick<ModeReading, 'PrinterId' | 'data'> & { readonly seq?: number; readonly timestamp?: number };

/** A published reading as the model takes it (a reading without a timestamp is never late and never times a run). */
export function modelReading(r: Omit<ModelInput, 'PrinterId'>): ModelMetricReading {
  const metrics: Record<string, number> = {};
  const invalid: Record<string, string> = {};
  for (const [name, x] of Object.entries(r.data)) {
    if (typeof x === 'number' && Number.isFinite(x)) metrics[name] = x;
    else invalid[name] = `data.${name} is not a finite number`;
  }
  return {
    metrics,
    invalid,
    ...(r.seq !== undefined ? { seq: r.seq } : {}),
    ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
    arrival: r.timestamp ?? 0,
  };
}

/**
 * What the model makes of `readings` (each printer's in the order given).
 * A printer with a profile always has an item; an enrolled one once a
 * reading of it was valid. `everyPrinter`: zero counts for the others too.
 */
export function expectFor(
  fleet: Pick<ModeFleet, 'defaults' | 'profiles' | 'kinds'>,
  readings: readonly ModelInput[],
  options: { everyPrinter?: boolean } = {},
): ModeExpectation {
  const own = new Map(fleet.profiles.map((p) => [p.PrinterId, p]));
  const state = new Map<string, ReturnType<typeof newModelPrinter>>();
  const printers: ModeExpectation['printers'] = {};
  const events: ExpectedEvent[] = [];
  for (const id of fleet.kinds.keys()) {
    state.set(id, newModelPrinter());
    if (own.has(id) || options.everyPrinter) printers[id] = { outOfBoundsCount: 0, eventCount: 0 };
  }
  for (const r of readings) {
    const rules = modelRulesOf(own.get(r.PrinterId), fleet.defaults);
    // A printer outside the fleet has no profile of its own: the defaults enrol it.
    const printer = state.get(r.PrinterId) ?? newModelPrinter();
    state.set(r.PrinterId, printer);
    const stepped = modelStep(rules, printer, modelReading(r));
    if (stepped.kind === 'invalid') continue;
    printers[r.PrinterId] = { outOfBoundsCount: printer.outOfBoundsCount, eventCount: printer.eventCount };
    if (stepped.kind !== 'applied' || !stepped.event) continue;
    const value = r.data['value'];
    events.push({
      PrinterId: r.PrinterId,
      events: printer.eventCount,
      ...(typeof value === 'number' ? { value } : {}),
      ...(rules.form === 'metrics' ? { metrics: stepped.broken, severity: stepped.severity } : {}),
    });
  }
  return { printers, events };
}

/** Each printer's readings, in order. */
export function byPrinter<T extends { PrinterId: string }>(readings: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of readings) {
    const group = groups.get(r.PrinterId) ?? [];
    group.push(r);
    groups.set(r.PrinterId, group);
  }
  return groups;
}

/** Consecutive readings of one printer in batched messages of at most `size`, as `npm run emit -- --batch` sends them. */
export function batchesOf(
  readings: readonly ModeReading[],
  size: number,
): { PrinterId: string; readings: Omit<ModeReading, 'PrinterId'>[] }[] {
  const batches: { PrinterId: string; readings: Omit<ModeReading, 'PrinterId'>[] }[] = [];
  for (const [id, group] of byPrinter(readings)) {
    for (let i = 0; i < group.length; i += size) {
      batches.push({ PrinterId: id, readings: group.slice(i, i + size).map(({ PrinterId: _, ...rest }) => rest) });
    }
  }
  return batches;
}

export const eventKey = (e: { PrinterId: string; events: number }) => `${e.PrinterId}#${e.events}`;

/** Stored counts of every printer (the `*` item is not a printer). */
export function printerCounts(items: readonly Record<string, unknown>[]): ModeExpectation['printers'] {
  const counts: ModeExpectation['printers'] = {};
  for (const item of items) {
    const id = String(item['PrinterId']);
    if (id === '*') continue;
    counts[id] = { outOfBoundsCount: Number(item['OutOfBoundsCount']), eventCount: Number(item['EventCount']) };
  }
  return counts;
}

/** How many of the expected events each kind of printer has: every kind must have some for a test to mean anything. */
export function eventsPerKind(fleet: Pick<ModeFleet, 'kinds'>, events: readonly ExpectedEvent[]): Record<ModeKind, number> {
  const counts = Object.fromEntries(MODE_KINDS.map((kind) => [kind, 0])) as Record<ModeKind, number>;
  for (const e of events) counts[fleet.kinds.get(e.PrinterId)!] += 1;
  return counts;
}

/** The readings the model judges valid for their printer's rules (validity does not depend on the printer's state). */
export function validReadings<T extends ModelInput>(fleet: Pick<ModeFleet, 'defaults' | 'profiles'>, readings: readonly T[]): T[] {
  const own = new Map(fleet.profiles.map((p) => [p.PrinterId, p]));
  return readings.filter(
    (r) => modelStep(modelRulesOf(own.get(r.PrinterId), fleet.defaults), newModelPrinter(), modelReading(r)).kind !== 'invalid',
  );
}
