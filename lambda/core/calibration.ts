/**
 * Calibrating thresholds from recorded readings (`npm run calibrate`): a
 * suggested band per printer and per metric it reports, and what the detector
 * would have done with them and with the current profile. Pure: readings and
 * profiles in, numbers out.
 *
 * Why quantiles: the band should hold what a printer normally reads. Its
 * minimum and maximum are set by the single worst reading, so one spike
 * widens the band until it never fires; the mean and standard deviation are
 * pulled by spikes too, and a stuck sensor (the same value over and over)
 * shrinks the deviation until normal readings are flagged. The q and 1-q
 * quantiles ignore any handful of spikes (fewer than a share q of the
 * readings), and runs of one repeated value count once, so a sensor stuck
 * for a while weighs as one reading, wherever it is stuck.
 *
 * Why the detector itself: what a band would have flagged, and how many
 * anomaly events it would have raised, depends on the window mode, adaptive
 * bands, ordering and which readings are valid for the printer. Replaying the
 * readings through `detect` with the printer's own rules answers exactly.
 */
import { type BandInput, clampStorable, type ProfileInput, type WindowMode } from '../../contract/index.ts';
import { INITIAL_ALARM } from './alarm.ts';
import { detect } from './detector.ts';
import type { Reading, PrinterState, Rules, Band as RuleBand } from './types.ts';
import { parseRules } from './rules.ts';

export interface CalibrationOptions {
  /** The band is the `quantile` and `1 - quantile` quantiles, in (0, 0.5). */
  readonly quantile: number;
  /** Each side is widened by this share of the inter-quantile range (>= 0). */
  readonly margin: number;
  /** Fewer readings (or runs of distinct values) than this: no suggestion. */
  readonly minReadings: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { quantile: 0.005, margin: 0.1, minReadings: 20 };

/** A suggested band, before it is fitted to the sides the profile uses. */
export interface Band {
  readonly Lower: number;
  readonly Upper: number;
}

/** One metric's band under some rules, and the share (0 to 1) of the applied readings carrying it that it flagged. */
export interface MetricOutcome {
  readonly Lower?: number;
  readonly Upper?: number;
  readonly flaggedShare: number;
}

/** One metric of one printer. */
export interface MetricCalibration {
  readonly metric: string;
  /** Readings of the printer carrying a valid value of this metric. */
  readonly readings: number;
  /** Under the current profile, when it monitors this metric. */
  readonly current?: MetricOutcome;
  /** Under the suggested rules, when there is a suggestion for this metric. */
  readonly suggested?: MetricOutcome;
  /** Why there is no suggestion. */
  readonly reason?: string;
}

/** What the detector did with a printer's readings under one set of rules. */
export interface Outcome {
  /** Readings applied (the others were invalid for these rules, duplicate or late). */
  readonly applied: number;
  /** Share (0 to 1) of the applied readings that were out of bounds. */
  readonly flaggedShare: number;
  /** Anomaly events raised from fresh counters, when the printer has a profile (so a window). */
  readonly events?: number;
}

/** One printer's calibration. */
export interface PrinterCalibration {
  readonly PrinterId: string;
  /** Readings of this printer in the recording. */
  readonly readings: number;
  /** The profile's window mode, when it has a profile. */
  readonly mode?: WindowMode;
  /** The profile's Window, when it has one. */
  readonly window?: number;
  /** The profile's Of (m-of-n) or DurationSeconds (duration). */
  readonly of?: number;
  readonly durationSeconds?: number;
  /** The metrics its profile monitors, then the others its readings carry. */
  readonly metrics: readonly MetricCalibration[];
  /** Under its current profile. */
  readonly current?: Outcome;
  /** Under its current rules with the suggested bands. */
  readonly suggested?: Outcome;
  /** The Thresholds the suggestions would write (printers with a profile and a suggestion only). */
  readonly thresholds?: ProfileInput['Thresholds'];
  /** Why the profile could not be used. */
  readonly reason?: string;
}

/**
 * The q-quantile of sorted values, interpolating linearly between the two
 * nearest ranks (the usual definition, R's type 7 and NumPy's default).
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const low = sorted[below]!;
  const high = sorted[Math.min(below + 1, sorted.length - 1)]!;
  return low + (high - low) * (position - below);
}

/** The values with each run of one repeated value kept once: what a stuck sensor says, said once. */
export function collapseRuns(values: readonly number[]): number[] {
  return values.filter((value, index) => index === 0 || value !== values[index - 1]);
}

/**
 * Rounds a band outwards to about four significant digits of its width, so
 * that a suggestion reads `41.23` rather than `41.2345678`, and rounding
 * never flags a reading the exact band would not.
 */
function roundOutwards(lower: number, upper: number): Band {
  const width = upper - lower;
  if (!(width > 0)) return { Lower: lower, Upper: upper };
  const decimals = Math.min(12, Math.max(0, 3 - Math.floor(Math.log10(width))));
  const scale = 10 ** decimals;
  return {
    Lower: Number((Math.floor(lower * scale) / scale).toFixed(decimals)),
    Upper: Number((Math.ceil(upper * scale) / scale).toFixed(decimals)),
  };
}

export type BandSuggestion = { readonly ok: true; readonly band: Band } | { readonly ok: false; readonly reason: string };

/** The suggested band of one metric's values (in the order recorded), or why there is none. */
export function suggestBand(values: readonly number[], options: CalibrationOptions = DEFAULT_CALIBRATION): BandSuggestion {
  if (values.length === 0) return { ok: false, reason: 'no readings' };
  if (values.length < options.minReadings) {
    return { ok: false, reason: `only ${values.length} reading(s); at least ${options.minReadings} needed` };
  }
  const samples = collapseRuns(values);
  if (samples.length < options.minReadings) {
    return {
      ok: false,
      reason: `${values.length} readings but only ${samples.length} change(s) of value (a stuck sensor?); at least ${options.minReadings} needed`,
    };
  }
  const sorted = samples.sort((a, b) => a - b);
  const low = quantile(sorted, options.quantile);
  const high = quantile(sorted, 1 - options.quantile);
  const widen = (high - low) * options.margin;
  const band = roundOutwards(low - widen, high + widen);
  // Widening values near the storable limits can pass them: the band is held inside (still holding every value).
  return { ok: true, band: { Lower: clampStorable(band.Lower), Upper: clampStorable(band.Upper) } };
}

/** What {@link replay} found: the printer's outcome, and per metric the applied readings carrying it and those it broke. */
export interface Replay {
  readonly outcome: Outcome;
  readonly perMetric: ReadonlyMap<string, { readonly carried: number; readonly flagged: number }>;
}

/**
 * Runs the detector over a printer's readings from fresh counters, as a newly
 * seeded printer would see them. A reading without a timestamp is taken to
 * arrive with the last one that had one (a recording keeps no arrival times).
 * `countEvents` false: the rules' window is not the printer's, so events are
 * not reported.
 */
export function replay(rules: Rules, readings: readonly Reading[], countEvents = true): Replay {
  let state: PrinterState = {
    printerId: readings[0]?.printerId ?? '',
    rules,
    outOfBoundsCount: 0,
    eventCount: 0,
    memory: {},
    alarm: INITIAL_ALARM,
    rev: 0,
    guard: [],
  };
  let applied = 0;
  let flagged = 0;
  let clock = 0;
  const perMetric = new Map<string, { carried: number; flagged: number }>();
  for (const reading of readings) {
    clock = reading.timestamp ?? clock;
    const verdict = detect(state, reading, clock);
    if (!verdict.applied) continue;
    applied += 1;
    if (verdict.outOfBounds) flagged += 1;
    for (const metric of Object.keys(rules.bands)) {
      if (!Object.hasOwn(reading.metrics, metric)) continue;
      const counts = perMetric.get(metric) ?? { carried: 0, flagged: 0 };
      counts.carried += 1;
      if (Object.hasOwn(verdict.broken, metric)) counts.flagged += 1;
      perMetric.set(metric, counts);
    }
    state = verdict.next;
  }
  const outcome: Outcome = {
    applied,
    flaggedShare: applied === 0 ? 0 : flagged / applied,
    ...(countEvents ? { events: state.eventCount } : {}),
  };
  return { outcome, perMetric };
}

/** Rules for a printer without a profile: its bands judged one reading at a time, never an event. */
function unprofiledRules(bands: Rules['bands']): Rules {
  return {
    form: 'metrics',
    bands,
    mode: 'consecutive',
    window: Number.MAX_SAFE_INTEGER,
    severity: 'major',
    clear: {},
    clearAfter: 1,
    latch: false,
  };
}

/**
 * The suggested bounds, on the sides the current band uses: a band the user
 * made one-sided (`{"Upper": 240}`) stays one-sided; a new band has both.
 */
function fitSides(band: Band, current: RuleBand | undefined): { lower?: number; upper?: number } {
  const both = current === undefined || (current.lower === undefined && current.upper === undefined);
  return {
    ...(both || current.lower !== undefined ? { lower: band.Lower } : {}),
    ...(both || current.upper !== undefined ? { upper: band.Upper } : {}),
  };
}

/** The current bands with each suggestion put in (severity and adaptive settings kept), new metrics last. */
function suggestedBands(current: Rules['bands'], suggestions: ReadonlyMap<string, Band>): Rules['bands'] {
  const names = [...new Set([...Object.keys(current), ...suggestions.keys()])];
  return Object.fromEntries(
    names.map((name) => {
      const band = Object.hasOwn(current, name) ? current[name] : undefined;
      const suggestion = suggestions.get(name);
      if (suggestion === undefined) return [name, band!];
      const { lower: _lower, upper: _upper, ...kept } = band ?? {};
      return [name, { ...kept, ...fitSides(suggestion, band) }];
    }),
  );
}

/** `{Lower, Upper}` with only the bounds a band has. */
function bounds(band: RuleBand): { Lower?: number; Upper?: number } {
  return { ...(band.lower !== undefined ? { Lower: band.lower } : {}), ...(band.upper !== undefined ? { Upper: band.upper } : {}) };
}

const isOriginalForm = (thresholds: ProfileInput['Thresholds']): thresholds is { Lower: number; Upper: number } =>
  Object.keys(thresholds).length === 2 && typeof thresholds.Lower === 'number' && typeof thresholds.Upper === 'number';

/**
 * The Thresholds to write: the original `{Lower, Upper}` while the profile is
 * in that form and the readings carry only `value`; otherwise the metric map,
 * each band keeping its Severity and Adaptive, with the suggested bounds.
 */
function thresholdsToWrite(profile: ProfileInput, bands: Rules['bands'], carried: readonly string[]): ProfileInput['Thresholds'] {
  const current = profile.Thresholds;
  if (isOriginalForm(current) && carried.every((metric) => metric === 'value')) {
    const band = bands['value']!;
    return { Lower: band.lower ?? current.Lower, Upper: band.upper ?? current.Upper };
  }
  // A map whose keys are not exactly Lower and Upper is metric -> band (rules.ts judged it so already).
  const inputs = (isOriginalForm(current) ? { value: current } : current) as Readonly<Record<string, BandInput>>;
  return Object.fromEntries(
    Object.entries(bands).map(([name, band]): [string, BandInput] => {
      const { Lower: _lower, Upper: _upper, ...kept } = Object.hasOwn(inputs, name) ? inputs[name]! : ({} as BandInput);
      return [name, { ...bounds(band), ...kept }];
    }),
  );
}

/** The metrics to calibrate: the monitored ones in the profile's order, then the others the readings carry, by name. */
function metricNames(monitored: readonly string[], readings: readonly Reading[]): string[] {
  const carried = new Set(readings.flatMap((reading) => Object.keys(reading.metrics)));
  const others = [...carried].filter((name) => !monitored.includes(name)).sort();
  return [...monitored, ...others];
}

const share = (counts: { carried: number; flagged: number } | undefined) =>
  counts === undefined || counts.carried === 0 ? 0 : counts.flagged / counts.carried;

/** Calibrates one printer from its readings (in the order recorded) and its profile, if any. */
export function calibratePrinter(
  printerId: string,
  readings: readonly Reading[],
  profile: ProfileInput | undefined,
  options: CalibrationOptions = DEFAULT_CALIBRATION,
): PrinterCalibration {
  const parsed = profile === undefined ? undefined : parseRules(profile as unknown as Record<string, unknown>);
  const rules = parsed?.ok ? parsed.rules : undefined;
  const names = metricNames(Object.keys(rules?.bands ?? {}), readings);
  const valuesOf = (name: string) => readings.flatMap((r) => (Object.hasOwn(r.metrics, name) ? [r.metrics[name]!] : []));
  const suggestions = new Map(names.map((name) => [name, suggestBand(valuesOf(name), options)]));
  const bands = new Map([...suggestions].flatMap(([name, s]) => (s.ok ? [[name, s.band] as const] : [])));

  const current = rules ? replay(rules, readings) : undefined;
  const newBands = suggestedBands(rules?.bands ?? {}, bands);
  const onlyValue = Object.keys(newBands).join() === 'value';
  const suggestedRules = rules ? { ...rules, form: onlyValue ? rules.form : 'metrics', bands: newBands } : unprofiledRules(newBands);
  const suggested = bands.size > 0 ? replay(suggestedRules, readings, rules !== undefined) : undefined;
  const carried = names.filter((name) => valuesOf(name).length > 0);

  const metrics = names.map((name): MetricCalibration => {
    const suggestion = suggestions.get(name)!;
    const band = rules && Object.hasOwn(rules.bands, name) ? rules.bands[name] : undefined;
    return {
      metric: name,
      readings: valuesOf(name).length,
      ...(band && current ? { current: { ...bounds(band), flaggedShare: share(current.perMetric.get(name)) } } : {}),
      ...(suggestion.ok && suggested
        ? { suggested: { ...bounds(newBands[name]!), flaggedShare: share(suggested.perMetric.get(name)) } }
        : {}),
      ...(suggestion.ok ? {} : { reason: suggestion.reason }),
    };
  });
  return {
    PrinterId: printerId,
    readings: readings.length,
    ...(rules ? { mode: rules.mode } : {}),
    ...(profile?.Window !== undefined ? { window: profile.Window } : {}),
    ...(profile?.Of !== undefined ? { of: profile.Of } : {}),
    ...(profile?.DurationSeconds !== undefined ? { durationSeconds: profile.DurationSeconds } : {}),
    metrics,
    ...(current ? { current: current.outcome } : {}),
    ...(suggested ? { suggested: suggested.outcome } : {}),
    ...(profile && rules && bands.size > 0 ? { thresholds: thresholdsToWrite(profile, newBands, carried) } : {}),
    ...(parsed && !parsed.ok ? { reason: `profile refused: ${parsed.reasons.join('; ')}` } : {}),
  };
}

/** Printer ids in a natural order: `Printer2` before `Printer10`. */
const byId = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);

/**
 * Calibrates every printer that has readings or a profile, in natural
 * PrinterId order. Readings are taken in the order given, per printer.
 */
export function calibrate(
  readings: readonly Reading[],
  profiles: readonly ProfileInput[],
  options: CalibrationOptions = DEFAULT_CALIBRATION,
): PrinterCalibration[] {
  const byPrinter = new Map<string, Reading[]>();
  for (const reading of readings) {
    const list = byPrinter.get(reading.printerId);
    if (list) list.push(reading);
    else byPrinter.set(reading.printerId, [reading]);
  }
  const profileOf = new Map(profiles.map((profile) => [profile.PrinterId, profile]));
  const ids = [...new Set([...byPrinter.keys(), ...profileOf.keys()])].sort(byId);
  return ids.map((id) => calibratePrinter(id, byPrinter.get(id) ?? [], profileOf.get(id), options));
}

/** The profiles the suggestions would write: each profiled printer's suggested Thresholds with its current Window. */
export function suggestedProfiles(calibrations: readonly PrinterCalibration[]): ProfileInput[] {
  return calibrations.flatMap((c) =>
    c.thresholds !== undefined
      ? [{ PrinterId: c.PrinterId, Thresholds: c.thresholds, ...(c.window !== undefined ? { Window: c.window } : {}) }]
      : [],
  );
}
