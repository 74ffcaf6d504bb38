/**
 * "What would this profile have done?": a printer's recent values run through
 * the detector itself (the core's `step`, as every reading is applied), once
 * with the stored profile and once with a proposed one, from fresh counters,
 * so an operator can compare before saving. Pure; nothing is written.
 */
import { initialState, step } from '../core/step.ts';
import type { Reading, Rules } from '../core/types.ts';

/** What a profile did on the values: per value, whether it was out of bounds; and the anomaly events it raised. */
export interface PreviewRun {
  readonly flags: boolean[];
  readonly events: number;
}

export interface Preview {
  /** The values judged, oldest first: `[epoch ms, value]`. */
  readonly values: (readonly [number, number])[];
  readonly current: PreviewRun;
  readonly proposed: PreviewRun;
}

/**
 * The metric the recent values are of: the ring keeps each reading's main
 * value (`data.value`, else its first metric), so `value` unless the stored
 * profile watches other metrics only, then its first one.
 */
function recordedMetric(rules: Rules): string {
  const names = Object.keys(rules.bands);
  return names.includes('value') || names.length === 0 ? 'value' : names[0]!;
}

function run(printerId: string, rules: Rules, readings: readonly Reading[]): PreviewRun {
  let state = initialState(printerId, rules);
  const flags: boolean[] = [];
  let events = 0;
  for (const reading of readings) {
    const stepped = step(state, reading, reading.timestamp ?? 0);
    // A value the profile cannot judge (it watches another metric) is not flagged.
    flags.push(stepped.applied && stepped.verdict.outOfBounds);
    if (!stepped.applied) continue;
    if (stepped.verdict.event) events += 1;
    state = stepped.next;
  }
  return { flags, events };
}

/** The stored (`current`) and `proposed` rules of `printerId` on its recent `values` (oldest first). */
export function previewProfile(
  printerId: string,
  values: readonly (readonly [number, number])[],
  current: Rules,
  proposed: Rules,
): Preview {
  const metric = recordedMetric(current);
  const readings: Reading[] = values.map(([timestamp, value]) => ({ printerId, metrics: { [metric]: value }, timestamp }));
  return {
    values: values.map(([t, v]) => [t, v] as const),
    current: run(printerId, current, readings),
    proposed: run(printerId, proposed, readings),
  };
}
