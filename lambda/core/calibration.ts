/**
 * Calibrating thresholds from recorded readings (`npm run calibrate`): a
 * suggested band per printer, and what the detector would have done with it
 * and with the current profile. Pure: readings and profiles in, numbers out.
 *
 * Why quantiles: the band should hold what a printer normally reads. Its
 * minimum and maximum are set by the single worst reading, so one spike
 * widens the band until it never fires; the mean and standard deviation are
 * pulled by spikes too, and a stuck sensor (the same value over and over)
 * shrinks the deviation until normal readings are flagged. The q and 1-q
 * quantiles ignore any handful of spikes (fewer than a share q of the
 * readings), and runs of one repeated value count once, so a sensor stuck
 * for a while weighs as one reading, wherever it is stuck.
 */
import type { ProfileInput } from '../../contract/index.ts';
import { detect, type PrinterState, type Reading } from './detector.ts';

export interface CalibrationOptions {
  /** The band is the `quantile` and `1 - quantile` quantiles, in (0, 0.5). */
  readonly quantile: number;
  /** Each side is widened by this share of the inter-quantile range (>= 0). */
  readonly margin: number;
  /** Fewer readings (or runs of distinct values) than this: no suggestion. */
  readonly minReadings: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { quantile: 0.005, margin: 0.1, minReadings: 20 };

export interface Band {
  readonly Lower: number;
  readonly Upper: number;
}

/** What the detector did with a printer's readings under one band. */
export interface Outcome extends Band {
  /** Share (0 to 1) of the applied readings that were out of bounds. */
  readonly flaggedShare: number;
  /** Anomaly events raised, when the printer's Window is known. */
  readonly events?: number;
}

/** One printer's calibration. */
export interface PrinterCalibration {
  readonly PrinterId: string;
  /** Readings of this printer in the recording. */
  readonly readings: number;
  /** Readings the detector applied (the others were duplicate or late by `seq`/`timestamp`). */
  readonly applied: number;
  /** The Window of its profile, when it has one. */
  readonly window?: number;
  /** Under its current profile. */
  readonly current?: Outcome;
  /** Under the suggested band (with its current Window). */
  readonly suggested?: Outcome;
  /** Why there is no suggestion. */
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

/** The suggested band of a printer's values (in the order recorded), or why there is none. */
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
  return { ok: true, band: roundOutwards(low - widen, high + widen) };
}

/**
 * Runs the detector over a printer's readings from fresh counters, as a
 * newly seeded printer would see them: how many it applied, flagged, and
 * counted as anomaly events. Without a window, events are not counted.
 */
export function replay(band: Band, window: number | undefined, readings: readonly Reading[]): { outcome: Outcome; applied: number } {
  let state: PrinterState = {
    printerId: readings[0]?.printerId ?? '',
    lower: band.Lower,
    upper: band.Upper,
    window: window ?? Number.MAX_SAFE_INTEGER,
    outOfBoundsCount: 0,
    eventCount: 0,
  };
  let applied = 0;
  let flagged = 0;
  for (const reading of readings) {
    const verdict = detect(state, reading);
    if (!verdict.applied) continue;
    applied += 1;
    if (verdict.outOfBounds) flagged += 1;
    state = verdict.next;
  }
  const outcome: Outcome = {
    Lower: band.Lower,
    Upper: band.Upper,
    flaggedShare: applied === 0 ? 0 : flagged / applied,
    ...(window !== undefined ? { events: state.eventCount } : {}),
  };
  return { outcome, applied };
}

/** Printer ids in a natural order: `Printer2` before `Printer10`. */
const byId = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);

/** Calibrates one printer from its readings (in the order recorded) and its profile, if any. */
export function calibratePrinter(
  printerId: string,
  readings: readonly Reading[],
  profile: ProfileInput | undefined,
  options: CalibrationOptions = DEFAULT_CALIBRATION,
): PrinterCalibration {
  const window = profile?.Window;
  const current = profile ? replay(profile.Thresholds, window, readings) : undefined;
  const suggestion = suggestBand(
    readings.map((reading) => reading.value),
    options,
  );
  const suggested = suggestion.ok ? replay(suggestion.band, window, readings) : undefined;
  // Which readings the detector applies depends on their order fields only, not on the band.
  const { applied } = current ?? suggested ?? replay({ Lower: 0, Upper: 0 }, undefined, readings);
  return {
    PrinterId: printerId,
    readings: readings.length,
    applied,
    ...(window !== undefined ? { window } : {}),
    ...(current ? { current: current.outcome } : {}),
    ...(suggested ? { suggested: suggested.outcome } : {}),
    ...(suggestion.ok ? {} : { reason: suggestion.reason }),
  };
}

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

/** The profiles the suggestions would write: each printer's suggested band with its current Window. */
export function suggestedProfiles(calibrations: readonly PrinterCalibration[]): ProfileInput[] {
  return calibrations.flatMap((c) =>
    c.suggested && c.window !== undefined
      ? [{ PrinterId: c.PrinterId, Thresholds: { Lower: c.suggested.Lower, Upper: c.suggested.Upper }, Window: c.window }]
      : [],
  );
}
