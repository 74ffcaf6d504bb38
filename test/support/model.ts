/**
 * An independent, deliberately naive model of the detector, written from the
 * rules in `docs/design.md` ("Detection", "Detection, extended") without
 * reusing the detector: the oracle that tests compare the product against.
 * `runModel` is the original system (one `value`, consecutive windows, `seq`);
 * `modelStep` is the extended detection, one reading at a time.
 */
import fc from 'fast-check';

export interface ModelProfile {
  lower: number;
  upper: number;
  window: number;
}

export interface ModelReading {
  printerId: string;
  value: number;
  seq?: number;
}

export interface ModelPrinter {
  outOfBoundsCount: number;
  eventCount: number;
}

/** Replays readings in order; returns final counts and the events in order. */
export function runModel(profiles: Record<string, ModelProfile>, readings: readonly ModelReading[]) {
  const printers: Record<string, ModelPrinter> = {};
  const lastSeq: Record<string, number> = {};
  const events: { PrinterId: string; events: number }[] = [];
  for (const id of Object.keys(profiles)) printers[id] = { outOfBoundsCount: 0, eventCount: 0 };
  for (const r of readings) {
    const profile = profiles[r.printerId];
    const printer = printers[r.printerId];
    if (!profile || !printer) continue;
    if (r.seq !== undefined) {
      const last = lastSeq[r.printerId];
      if (last !== undefined && r.seq <= last) continue;
      lastSeq[r.printerId] = r.seq;
    }
    const out = r.value < profile.lower || r.value > profile.upper;
    if (out) {
      printer.outOfBoundsCount = printer.outOfBoundsCount + 1;
    } else {
      printer.outOfBoundsCount = 0;
    }
    if (printer.outOfBoundsCount >= profile.window) {
      printer.eventCount = printer.eventCount + 1;
      printer.outOfBoundsCount = 0;
      events.push({ PrinterId: r.printerId, events: printer.eventCount });
    }
  }
  return { printers, events };
}

// ---------------------------------------------------------------------------
// The extended detection (`docs/design.md`, "Detection, extended"): several
// metrics, one-sided bands, the three window modes, adaptive bands, readings
// invalid by metric. Written from those rules alone, as plainly as possible:
// Maps instead of records, an array of booleans for the m-of-n window.

export type ModelSeverity = 'critical' | 'major' | 'minor' | 'warning';

export interface ModelBand {
  lower?: number;
  upper?: number;
  severity?: ModelSeverity;
  adaptive?: { sigma: number; alpha: number; warmup: number };
}

export interface ModelRules {
  form: 'original' | 'metrics';
  bands: Readonly<Record<string, ModelBand>>;
  mode: 'consecutive' | 'm-of-n' | 'duration';
  window: number;
  of?: number;
  durationMs?: number;
  severity: ModelSeverity;
  clear: Readonly<Record<string, ModelBand>>;
}

export interface ModelStats {
  n: number;
  mean: number;
  variance: number;
}

/** One printer, as the model keeps it between readings. */
export interface ModelPrinterState {
  outOfBoundsCount: number;
  eventCount: number;
  lastSeq?: number;
  lastTimestamp?: number;
  /** m-of-n: the verdicts in the current window, oldest first (true = out of bounds). */
  recent: boolean[];
  /** duration: when the current run began. */
  runStart?: number;
  /** Adaptive metrics: what was learnt so far. */
  stats: Map<string, ModelStats>;
}

export interface ModelMetricReading {
  metrics: Readonly<Record<string, number>>;
  invalid: Readonly<Record<string, string>>;
  seq?: number;
  timestamp?: number;
  arrival: number;
}

export type ModelStep =
  | { kind: 'invalid'; detail: string }
  | { kind: 'skipped'; reason: 'duplicate' | 'late' }
  | { kind: 'applied'; out: boolean; event: boolean; broken: Record<string, number>; severity: ModelSeverity; inClear: boolean };

export function newModelPrinter(): ModelPrinterState {
  return { outOfBoundsCount: 0, eventCount: 0, recent: [], stats: new Map() };
}

const RANK: ModelSeverity[] = ['critical', 'major', 'minor', 'warning'];

/**
 * A statistic as DynamoDB keeps it (docs/design.md, "Data formats"), written
 * from the decimal exponent: beyond e+125 it is held at the largest storable
 * double, below e-130 it is 0.
 */
function stored(v: number): number {
  if (v === 0) return v;
  const exponent = Number(v.toExponential().split('e')[1]);
  if (exponent < -130) return 0;
  return exponent > 125 ? Math.sign(v) * 9.999999999999998e125 : v;
}

function inside(band: ModelBand, x: number): boolean {
  if (band.lower !== undefined && x < band.lower) return false;
  if (band.upper !== undefined && x > band.upper) return false;
  return true;
}

/** Applies one reading to `printer` (changed in place) and says what happened. */
export function modelStep(rules: ModelRules, printer: ModelPrinterState, reading: ModelMetricReading): ModelStep {
  const bands = new Map(Object.entries(rules.bands));
  const clear = new Map(Object.entries(rules.clear));
  const values = new Map(Object.entries(reading.metrics));
  const invalid = new Map(Object.entries(reading.invalid));

  // 1. Is it valid for these rules?
  for (const name of bands.keys()) {
    if (invalid.has(name)) return { kind: 'invalid', detail: invalid.get(name)! };
  }
  const carried = [...bands.keys()].filter((name) => values.has(name));
  if (carried.length === 0) {
    if (rules.form === 'original') return { kind: 'invalid', detail: 'data.value must be a number, got nothing' };
    return { kind: 'invalid', detail: `carries none of the monitored metrics (${[...bands.keys()].join(', ')})` };
  }

  // 2. Is it in order?
  if (reading.seq !== undefined) {
    if (printer.lastSeq !== undefined && reading.seq === printer.lastSeq) return { kind: 'skipped', reason: 'duplicate' };
    if (printer.lastSeq !== undefined && reading.seq < printer.lastSeq) return { kind: 'skipped', reason: 'late' };
  } else if (reading.timestamp !== undefined && printer.lastTimestamp !== undefined && reading.timestamp < printer.lastTimestamp) {
    return { kind: 'skipped', reason: 'late' };
  }
  if (reading.seq !== undefined) printer.lastSeq = reading.seq;
  if (reading.timestamp !== undefined) printer.lastTimestamp = reading.timestamp;

  // 3. Judge each carried metric, then learn from it.
  const broken: Record<string, number> = {};
  let worst: number | undefined;
  let inClear = true;
  for (const name of carried) {
    const band = bands.get(name)!;
    const x = values.get(name)!;
    let out = !inside(band, x);
    const seen = printer.stats.get(name);
    if (band.adaptive !== undefined && seen !== undefined && seen.n >= band.adaptive.warmup) {
      if (Math.abs(x - seen.mean) > band.adaptive.sigma * Math.sqrt(seen.variance)) out = true;
    }
    if (out) {
      Object.defineProperty(broken, name, { value: x, enumerable: true, writable: true, configurable: true });
      const rank = RANK.indexOf(band.severity ?? rules.severity);
      if (worst === undefined || rank < worst) worst = rank;
    }
    if (!inside(clear.has(name) ? clear.get(name)! : band, x)) inClear = false;
    if (band.adaptive !== undefined) {
      if (seen === undefined) {
        printer.stats.set(name, { n: 1, mean: stored(x), variance: 0 });
      } else {
        const alpha = band.adaptive.alpha;
        const d = x - seen.mean;
        printer.stats.set(name, {
          n: seen.n + 1,
          mean: stored(seen.mean + alpha * d),
          variance: stored((1 - alpha) * (seen.variance + alpha * d * d)),
        });
      }
    }
  }
  const out = worst !== undefined;
  const severity = worst === undefined ? rules.severity : RANK[worst]!;

  // 4. Count it in the window.
  let event = false;
  if (rules.mode === 'consecutive') {
    printer.outOfBoundsCount = out ? printer.outOfBoundsCount + 1 : 0;
    if (printer.outOfBoundsCount >= rules.window) {
      event = true;
      printer.outOfBoundsCount = 0;
    }
  } else if (rules.mode === 'm-of-n') {
    printer.recent.push(out);
    while (printer.recent.length > (rules.of ?? rules.window)) printer.recent.shift();
    printer.outOfBoundsCount = printer.recent.filter((b) => b).length;
    if (printer.outOfBoundsCount >= rules.window) {
      event = true;
      printer.recent = [];
      printer.outOfBoundsCount = 0;
    }
  } else {
    const time = reading.timestamp !== undefined ? reading.timestamp : reading.arrival;
    if (!out) {
      printer.runStart = undefined;
      printer.outOfBoundsCount = 0;
    } else {
      if (printer.runStart === undefined) {
        printer.runStart = time;
        printer.outOfBoundsCount = 1;
      } else {
        printer.outOfBoundsCount += 1;
      }
      if (time - printer.runStart >= rules.durationMs!) {
        event = true;
        printer.runStart = undefined;
        printer.outOfBoundsCount = 0;
      }
    }
  }
  if (event) printer.eventCount += 1;
  return { kind: 'applied', out, event, broken, severity, inClear };
}

// ---------------------------------------------------------------------------
// Random rules and readings on which tests compare the detector with the
// model: every mode, 1 to 3 metrics (one named like an Object property),
// one-sided, adaptive and clear bands; readings with missing, invalid and
// unmonitored metrics, repeated and late `seq` and `timestamp`.

export const MODEL_METRICS = ['value', 'temp', 'hum', 'constructor'];
const severityArb = fc.constantFrom<ModelSeverity>('critical', 'major', 'minor', 'warning');
const numberArb = fc.oneof(fc.integer({ min: -30, max: 30 }), fc.double({ min: -30, max: 30, noNaN: true }));
const adaptiveArb = fc.record({
  sigma: fc.double({ min: 0.5, max: 4, noNaN: true }),
  alpha: fc.double({ min: 0.01, max: 1, noNaN: true }),
  warmup: fc.nat(6),
});

const bandArb = fc
  .record({
    a: fc.option(numberArb),
    b: fc.option(numberArb),
    severity: fc.option(severityArb),
    adaptive: fc.option(adaptiveArb, { freq: 2 }),
  })
  .map(({ a, b, severity, adaptive }) => {
    const band: ModelBand = {};
    if (a !== null) band.lower = b !== null ? Math.min(a, b) : a;
    if (b !== null) band.upper = a !== null ? Math.max(a, b) : b;
    if (a === null && b === null && adaptive === null) band.upper = 0;
    if (severity !== null) band.severity = severity;
    if (adaptive !== null) band.adaptive = adaptive;
    return band;
  });

export const modelRulesArb: fc.Arbitrary<ModelRules> = fc
  .record({
    names: fc.shuffledSubarray(MODEL_METRICS, { minLength: 1, maxLength: 3 }),
    bands: fc.array(bandArb, { minLength: 3, maxLength: 3 }),
    clears: fc.array(fc.option(bandArb), { minLength: 3, maxLength: 3 }),
    mode: fc.constantFrom<ModelRules['mode']>('consecutive', 'm-of-n', 'duration'),
    window: fc.integer({ min: 1, max: 5 }),
    spare: fc.nat(4),
    durationMs: fc.integer({ min: 1, max: 4000 }),
    severity: severityArb,
  })
  .map(({ names, bands, clears, mode, window, spare, durationMs, severity }) => {
    const rules: ModelRules = {
      form: names.length === 1 && names[0] === 'value' ? 'original' : 'metrics',
      bands: Object.fromEntries(names.map((name, i) => [name, bands[i]!])),
      mode,
      window: mode === 'duration' ? 1 : window,
      severity,
      clear: Object.fromEntries(names.flatMap((name, i) => (clears[i] ? [[name, clears[i]]] : []))),
    };
    if (mode === 'm-of-n') rules.of = window + spare;
    if (mode === 'duration') rules.durationMs = durationMs;
    return rules;
  });

// Each metric is absent, valid or invalid; `other` is never monitored.
const cellArb = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: numberArb, weight: 6 },
  { arbitrary: fc.constant('bad' as const), weight: 1 },
);

/** Readings arriving 0 to 2.5 s apart. */
export function modelReadingsArb(length: { minLength?: number; maxLength: number }): fc.Arbitrary<ModelMetricReading[]> {
  const names = [...MODEL_METRICS, 'other'];
  const input = fc.record({
    cells: fc.array(cellArb, { minLength: names.length, maxLength: names.length }),
    // Mostly in order, sometimes repeated or behind: offsets from the reading's place and arrival.
    seq: fc.option(fc.integer({ min: -3, max: 1 })),
    timestamp: fc.option(fc.integer({ min: -4000, max: 500 })),
    gap: fc.nat(2500),
  });
  return fc.array(input, { size: 'medium', ...length }).map((inputs) => {
    let arrival = 0;
    return inputs.map(({ cells, seq: seqOffset, timestamp: timeOffset, gap }, index) => {
      arrival += gap;
      const seq = seqOffset === null ? null : Math.max(0, index + seqOffset);
      const timestamp = timeOffset === null ? null : Math.max(0, arrival + timeOffset);
      const reading: ModelMetricReading = {
        metrics: Object.fromEntries(names.flatMap((name, i) => (typeof cells[i] === 'number' ? [[name, cells[i]]] : []))),
        invalid: Object.fromEntries(names.flatMap((name, i) => (cells[i] === 'bad' ? [[name, `data.${name} must be finite`]] : []))),
        arrival,
      };
      if (seq !== null) reading.seq = seq;
      if (timestamp !== null) reading.timestamp = timestamp;
      return reading;
    });
  });
}
