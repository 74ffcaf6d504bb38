/**
 * The detector: a pure function of (printer state, reading) -> verdict.
 *
 * It keeps the original system's behaviour exactly and adds the ordering
 * rules of `seq` and `timestamp` (both in `docs/design.md`, "Detection"
 * and "Guarantees"), and the extended detection: several metrics, window
 * modes, adaptive bands (`docs/design.md`, "Detection, extended"). It does no
 * I/O and reads no clock: the reading's arrival time comes in.
 */
import { clampStorable, type Severity } from '../../contract/index.ts';
import { moreSevere } from './severity.ts';
import type { Memory, MetricStats, PrinterState, Reading, Rules, Band, Adaptive } from './types.ts';

/** What a reading does to a printer. */
export type Verdict =
  | { readonly applied: false; readonly reason: 'duplicate' | 'late' }
  /** It carries none of the monitored metrics, or a monitored one with an invalid value: nothing changes. */
  | { readonly applied: false; readonly reason: 'invalid'; readonly detail: string }
  | {
      readonly applied: true;
      readonly outOfBounds: boolean;
      /** True when this reading completes a window: one anomaly event. */
      readonly event: boolean;
      /** The monitored metrics out of bounds, with their values (empty when in bounds). */
      readonly broken: Readonly<Record<string, number>>;
      /** The event's severity: the highest of the broken bands' (each defaulting to the profile's). */
      readonly severity: Severity;
      /** Every monitored metric the reading carries is inside its clear band (inclusive). */
      readonly inClear: boolean;
      /** Counters, ordering fields and memory after the reading; the alarm is passed through unchanged. */
      readonly next: PrinterState;
    };

/**
 * Whether a reading may be applied after what was already applied: a reading
 * with `seq` must be above the last applied `seq` (else duplicate or late);
 * without `seq`, a `timestamp` strictly older than the last applied one is late.
 */
export function ordering(state: Pick<PrinterState, 'lastSeq' | 'lastTimestamp'>, reading: Reading): 'apply' | 'duplicate' | 'late' {
  if (reading.seq !== undefined) {
    if (state.lastSeq === undefined || reading.seq > state.lastSeq) return 'apply';
    return reading.seq === state.lastSeq ? 'duplicate' : 'late';
  }
  if (reading.timestamp !== undefined && state.lastTimestamp !== undefined) {
    return reading.timestamp < state.lastTimestamp ? 'late' : 'apply';
  }
  return 'apply';
}

// Metric names come from printers and profiles: `constructor` or `toString`
// must never be read from a prototype, so every lookup is an own-key lookup
// (and every record is built with `Object.fromEntries`, which makes even
// `__proto__` an ordinary key).
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Inside both bounds, inclusive; a missing bound does not limit its side. */
export function within(band: Pick<Band, 'lower' | 'upper'>, x: number): boolean {
  return (band.lower === undefined || x >= band.lower) && (band.upper === undefined || x <= band.upper);
}

/**
 * Why a reading cannot be judged under `rules`, or undefined when it can: a
 * monitored metric carried with an invalid value, or no monitored metric at
 * all. Metrics nobody monitors do not matter, whatever their values.
 */
export function invalidity(rules: Rules, reading: Reading): string | undefined {
  const monitored = Object.keys(rules.bands);
  for (const metric of monitored) {
    const reason = own(reading.invalidMetrics, metric);
    if (reason !== undefined) return reason;
  }
  if (monitored.some((metric) => own(reading.metrics, metric) !== undefined)) return undefined;
  // The original thresholds keep the original reason for a reading without `data.value`.
  if (rules.form === 'original') return 'data.value must be a number, got nothing';
  return `carries none of the monitored metrics (${monitored.join(', ')})`;
}

/**
 * The adaptive verdict: more than `sigma` weighted standard deviations from
 * the weighted mean of the earlier readings, once `warmup` of them were seen.
 */
function adaptiveOut(adaptive: Adaptive, stats: MetricStats | undefined, x: number): boolean {
  if (stats === undefined || stats.n < adaptive.warmup) return false;
  return Math.abs(x - stats.mean) > adaptive.sigma * Math.sqrt(stats.variance);
}

/**
 * The exponentially weighted mean and variance after one more reading. No
 * storable input makes them NaN, infinite, negative or unstorable
 * (`docs/design.md`, "Data formats"): the mean is a convex combination of
 * storable values, and the variance (whose square-scale can pass 1e126 for
 * values near it) is held at the largest storable number; a magnitude below
 * the smallest storable one becomes 0.
 */
export function updateStats(stats: MetricStats | undefined, x: number, alpha: number): MetricStats {
  if (stats === undefined) return { n: 1, mean: clampStorable(x), variance: 0 };
  const d = x - stats.mean;
  const spread = stats.variance + alpha * d * d;
  return {
    n: stats.n + 1,
    mean: clampStorable(stats.mean + alpha * d),
    variance: clampStorable((1 - alpha) * (Number.isFinite(spread) ? spread : Number.MAX_VALUE)),
  };
}

/** One applied reading judged metric by metric, before the window mode counts it. */
interface Judgement {
  readonly broken: Readonly<Record<string, number>>;
  readonly severity: Severity;
  readonly inClear: boolean;
  /** The adaptive metrics' statistics after the reading (judged before they were updated). */
  readonly stats: Readonly<Record<string, MetricStats>>;
}

function judge(state: PrinterState, reading: Reading): Judgement {
  const { rules } = state;
  const broken: [string, number][] = [];
  const stats: [string, MetricStats][] = [];
  let severity: Severity | null = null;
  let inClear = true;
  for (const [metric, band] of Object.entries(rules.bands)) {
    const earlier = own(state.memory.stats, metric);
    const x = own(reading.metrics, metric);
    if (x === undefined) {
      // Not carried this time: an adaptive metric keeps what it learnt so far.
      if (band.adaptive !== undefined && earlier !== undefined) stats.push([metric, earlier]);
      continue;
    }
    if (!within(band, x) || (band.adaptive !== undefined && adaptiveOut(band.adaptive, earlier, x))) {
      broken.push([metric, x]);
      const bandSeverity = band.severity ?? rules.severity;
      if (moreSevere(bandSeverity, severity)) severity = bandSeverity;
    }
    if (!within(own(rules.clear, metric) ?? band, x)) inClear = false;
    if (band.adaptive !== undefined) stats.push([metric, updateStats(earlier, x, band.adaptive.alpha)]);
  }
  return { broken: Object.fromEntries(broken), severity: severity ?? rules.severity, inClear, stats: Object.fromEntries(stats) };
}

/** What the window mode makes of one verdict: the new count, whether it is an event, and its memory. */
interface Counted {
  readonly outOfBoundsCount: number;
  readonly event: boolean;
  readonly bits?: string;
  readonly runStart?: number;
}

/** The original rule: a run of `window` consecutive out-of-bounds readings is an event. */
function consecutive(state: PrinterState, out: boolean): Counted {
  const count = out ? state.outOfBoundsCount + 1 : 0;
  return count >= state.rules.window ? { outOfBoundsCount: 0, event: true } : { outOfBoundsCount: count, event: false };
}

/**
 * At least `window` of the last `of` verdicts out of bounds is an event, and
 * the window starts empty again. The verdicts are kept as a string of at most
 * `of` characters, so the memory stays bounded.
 */
function mOfN(state: PrinterState, out: boolean): Counted {
  const { window } = state.rules;
  const of = Math.max(state.rules.of ?? window, 1);
  const bits = `${state.memory.bits ?? ''}${out ? '1' : '0'}`.slice(-of);
  const count = [...bits].filter((bit) => bit === '1').length;
  return count >= window ? { outOfBoundsCount: 0, event: true } : { outOfBoundsCount: count, event: false, bits };
}

/**
 * A run of out-of-bounds readings is an event on its first reading at least
 * `durationMs` after the run's first; an in-bounds reading or an event ends
 * the run. Time is the reading's own, else its arrival.
 */
function duration(state: PrinterState, reading: Reading, arrival: number, out: boolean): Counted {
  if (!out) return { outOfBoundsCount: 0, event: false };
  const time = reading.timestamp ?? arrival;
  const runStart = state.memory.runStart ?? time;
  const count = state.memory.runStart === undefined ? 1 : state.outOfBoundsCount + 1;
  // Without a duration (rules that never passed validation) every out-of-bounds reading is an event.
  if (time - runStart >= (state.rules.durationMs ?? 0)) return { outOfBoundsCount: 0, event: true };
  return { outOfBoundsCount: count, event: false, runStart };
}

function count(state: PrinterState, reading: Reading, arrival: number, out: boolean): Counted {
  switch (state.rules.mode) {
    case 'm-of-n':
      return mOfN(state, out);
    case 'duration':
      return duration(state, reading, arrival, out);
    default:
      return consecutive(state, out);
  }
}

/**
 * Applies one reading to a printer's state (`docs/design.md`, "Detection"
 * and "Detection, extended"): validity under the printer's rules, then
 * ordering, then the verdict of each monitored metric, then the window mode.
 * `arrival` (epoch ms) is the reading's time when it has no `timestamp`.
 */
export function detect(state: PrinterState, reading: Reading, arrival: number): Verdict {
  const detail = invalidity(state.rules, reading);
  if (detail !== undefined) return { applied: false, reason: 'invalid', detail };
  const order = ordering(state, reading);
  if (order !== 'apply') return { applied: false, reason: order };

  const { broken, severity, inClear, stats } = judge(state, reading);
  const outOfBounds = Object.keys(broken).length > 0;
  const counted = count(state, reading, arrival, outOfBounds);
  // Empty fields are left out so that the stored memory stays as small as the mode needs.
  const memory: Memory = {
    ...(counted.bits ? { bits: counted.bits } : {}),
    ...(counted.runStart !== undefined ? { runStart: counted.runStart } : {}),
    ...(Object.keys(stats).length > 0 ? { stats } : {}),
  };
  const next: PrinterState = {
    ...state,
    outOfBoundsCount: counted.outOfBoundsCount,
    eventCount: counted.event ? state.eventCount + 1 : state.eventCount,
    ...(reading.seq !== undefined ? { lastSeq: reading.seq } : {}),
    ...(reading.timestamp !== undefined ? { lastTimestamp: reading.timestamp } : {}),
    memory,
  };
  return { applied: true, outOfBounds, event: counted.event, broken, severity, inClear, next };
}
