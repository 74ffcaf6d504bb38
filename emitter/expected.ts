/**
 * What the backend will make of generated readings, computed by the
 * function's own detector (`detect()` in `lambda/core/detector.ts`), so that
 * the window rule has one definition: `npm run gen-data` summarises its
 * streams with it and the benchmarks check the events they count against it.
 * (The tests check the detector against an independent model instead.)
 */
import type { ProfileInput } from '../contract/index.ts';
import { detect, type PrinterState, type Verdict } from '../lambda/core/detector.ts';
import type { GeneratedReading } from './generate.ts';

/** A printer as a freshly seeded profile leaves it: its thresholds and window, both counters at 0. */
export function initialState(profile: ProfileInput): PrinterState {
  return {
    printerId: profile.PrinterId,
    lower: profile.Thresholds.Lower,
    upper: profile.Thresholds.Upper,
    window: profile.Window,
    outOfBoundsCount: 0,
    eventCount: 0,
  };
}

/** The detector's verdict on one reading, with the reading's index in the stream. */
export interface ExpectedVerdict {
  readonly index: number;
  readonly reading: GeneratedReading;
  readonly verdict: Verdict;
}

/**
 * Applies `readings` in order with `detect()`, every printer of `profiles`
 * starting from {@link initialState}: one verdict per reading of a printer
 * with a profile (the backend counts the others as unknown, and they are skipped).
 */
export function* expectedVerdicts(profiles: readonly ProfileInput[], readings: readonly GeneratedReading[]): Generator<ExpectedVerdict> {
  const states = new Map(profiles.map((profile) => [profile.PrinterId, initialState(profile)]));
  for (const [index, reading] of readings.entries()) {
    const state = states.get(reading.PrinterId);
    if (state === undefined) continue;
    const verdict = detect(state, {
      printerId: reading.PrinterId,
      value: reading.data.value,
      seq: reading.seq,
      timestamp: reading.timestamp,
    });
    if (verdict.applied) states.set(reading.PrinterId, verdict.next);
    yield { index, reading, verdict };
  }
}

/** What one printer's stream holds, as the detector sees it (`docs/design.md`, "Detection"). */
export interface StreamSummary {
  readonly printerId: string;
  readonly window: number;
  readonly readings: number;
  readonly outOfBounds: number;
  /** Anomaly events the stream produces. */
  readonly events: number;
  /** Runs of out-of-bounds readings that ended without an event (shorter than the window). */
  readonly nearMisses: number;
  /** Values exactly on Lower or Upper (in bounds). */
  readonly onThreshold: number;
}

/** Per printer of `profiles`, in profile order: what its readings in `readings` hold. */
export function summarizeStreams(profiles: readonly ProfileInput[], readings: readonly GeneratedReading[]): StreamSummary[] {
  const tallies = new Map(
    profiles.map((p) => [
      p.PrinterId,
      { readings: 0, outOfBounds: 0, events: 0, nearMisses: 0, onThreshold: 0, run: 0, runHadEvent: false },
    ]),
  );
  for (const { reading, verdict } of expectedVerdicts(profiles, readings)) {
    const tally = tallies.get(reading.PrinterId);
    if (tally === undefined) continue;
    tally.readings++;
    if (!verdict.applied) continue; // a duplicate or late seq: the backend skips it
    const { lower, upper } = verdict.next;
    if (reading.data.value === lower || reading.data.value === upper) tally.onThreshold++;
    if (verdict.event) tally.events++;
    if (verdict.outOfBounds) {
      tally.outOfBounds++;
      tally.run++;
      tally.runHadEvent ||= verdict.event;
    } else {
      if (tally.run > 0 && !tally.runHadEvent) tally.nearMisses++;
      tally.run = 0;
      tally.runHadEvent = false;
    }
  }
  return profiles.map((profile) => {
    const { readings: count, outOfBounds, events, nearMisses, onThreshold } = tallies.get(profile.PrinterId)!;
    return { printerId: profile.PrinterId, window: profile.Window, readings: count, outOfBounds, events, nearMisses, onThreshold };
  });
}
