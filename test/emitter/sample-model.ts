/**
 * Generated and sample fleets as the independent models see them: a profile
 * (with the fleet defaults) read into the detector model's rules and the alarm
 * model's, from the profile format alone (no product parser), and a printer's
 * readings run through both models. The oracle for the generator's summaries
 * and for `npm start`'s alarms.
 */
import type { BandInput, ProfileInput, ReadingPayload, Severity } from '../../contract/index.ts';
import { AlarmModel, type ModelRules as AlarmModelRules, type ModelTransition } from '../support/alarm-model.ts';
import { type ModelBand, type ModelProfile, type ModelRules, modelStep, newModelPrinter } from '../support/model.ts';

export interface PrinterModelRules {
  readonly detector: ModelRules;
  readonly alarm: AlarmModelRules;
}

type Thresholds = ProfileInput['Thresholds'];
type AdaptiveInput = NonNullable<BandInput['Adaptive']>;

function adaptive(a: AdaptiveInput): NonNullable<ModelBand['adaptive']> {
  // The sample states every setting; a profile leaning on defaults is not what this model reads.
  if (a.Alpha === undefined || a.Warmup === undefined) throw new Error('model: Adaptive needs Alpha and Warmup');
  return { sigma: a.Sigma, alpha: a.Alpha, warmup: a.Warmup };
}

/** `{Lower, Upper}` of numbers is the original form, judging `value`; anything else maps metric names to bands. */
function bandsOf(thresholds: Thresholds): { form: 'original' | 'metrics'; bands: Record<string, ModelBand> } {
  const t = thresholds as Record<string, unknown>;
  const keys = Object.keys(t).sort();
  if (keys.join() === 'Lower,Upper' && typeof t['Lower'] === 'number' && typeof t['Upper'] === 'number') {
    return { form: 'original', bands: { value: { lower: t['Lower'], upper: t['Upper'] } } };
  }
  const bands: Record<string, ModelBand> = {};
  for (const [metric, input] of Object.entries(thresholds as Record<string, BandInput>)) {
    const band: ModelBand = {};
    if (input.Lower !== undefined) band.lower = input.Lower;
    if (input.Upper !== undefined) band.upper = input.Upper;
    if (input.Severity !== undefined) band.severity = input.Severity;
    if (input.Adaptive !== undefined) band.adaptive = adaptive(input.Adaptive);
    bands[metric] = band;
  }
  return { form: 'metrics', bands };
}

/** A printer's rules: each attribute its own, else the fleet defaults' (Thresholds whole). */
export function modelRulesOf(profile: ProfileInput, defaults?: ProfileInput): PrinterModelRules {
  const get = <K extends keyof ProfileInput>(key: K): ProfileInput[K] | undefined =>
    Object.hasOwn(profile, key) ? profile[key] : defaults !== undefined && Object.hasOwn(defaults, key) ? defaults[key] : undefined;
  const { form, bands } = bandsOf(get('Thresholds') as Thresholds);
  const profileAdaptive = get('Adaptive');
  if (profileAdaptive !== undefined) for (const band of Object.values(bands)) band.adaptive ??= adaptive(profileAdaptive);
  const clear: Record<string, ModelBand> = {};
  for (const [metric, band] of Object.entries(bands)) clear[metric] = { lower: band.lower, upper: band.upper } as ModelBand;
  const ownClear = get('Clear');
  if (ownClear !== undefined) Object.assign(clear, bandsOf(ownClear).bands);
  const mode = get('Mode') ?? 'consecutive';
  const severity: Severity = get('Severity') ?? 'major';
  const detector: ModelRules = { form, bands, mode, window: get('Window') ?? 1, severity, clear };
  const of = get('Of');
  const durationSeconds = get('DurationSeconds');
  if (mode === 'm-of-n' && of !== undefined) detector.of = of;
  if (mode === 'duration' && durationSeconds !== undefined) detector.durationMs = durationSeconds * 1000;
  const silenceSeconds = get('SilenceSeconds');
  const renotifyMinutes = get('RenotifyMinutes');
  const alarm: AlarmModelRules = {
    severity,
    clearAfter: get('ClearAfter') ?? 1,
    latch: get('Latch') ?? false,
    ...(silenceSeconds !== undefined ? { silenceMs: silenceSeconds * 1000 } : {}),
    ...(renotifyMinutes !== undefined ? { renotifyMs: renotifyMinutes * 60_000 } : {}),
  };
  return { detector, alarm };
}

/** Every printer's rules in a profiles list, whose `*` entry is the fleet defaults. */
export function fleetModelRules(profiles: readonly ProfileInput[]): Map<string, PrinterModelRules> {
  const defaults = profiles.find((p) => p.PrinterId === '*');
  return new Map(profiles.filter((p) => p.PrinterId !== '*').map((p) => [p.PrinterId, modelRulesOf(p, defaults)]));
}

/** The notifications rule: activations (threshold or silence), escalations, latches, and clears back to NORMAL. */
export function notifiedBySpec(t: ModelTransition): boolean {
  if (t.to === 'ACTIVE' && (t.cause === 'threshold' || t.cause === 'silent')) return true;
  if (t.from === t.to && t.cause === 'threshold') return true;
  if (t.to === 'LATCHED') return true;
  return t.to === 'NORMAL' && t.cause === 'clear' && (t.from === 'ACTIVE' || t.from === 'ACKNOWLEDGED');
}

export interface PrinterOutcome {
  readonly readings: number;
  readonly outOfBounds: number;
  readonly events: number;
  /** Each event's severity, in order. */
  readonly severities: readonly Severity[];
  readonly alarm: AlarmModel;
  readonly renotifications: number;
}

export interface ClockOptions {
  /** When reading `index` (of this printer) arrives, epoch ms. */
  readonly arrival: (reading: ReadingPayload, index: number) => number;
  /** The clock sweeps at every deadline as it falls, between readings too; else only once, at `finalSweep`. */
  readonly everyDeadline: boolean;
  /** The last sweep, after the last reading. */
  readonly finalSweep: (lastArrival: number) => number;
}

/** One printer's readings through the detector model and the alarm model. */
export function runPrinter(rules: PrinterModelRules, readings: readonly ReadingPayload[], clock: ClockOptions): PrinterOutcome {
  const printer = newModelPrinter();
  const alarm = new AlarmModel(rules.alarm);
  let renotifications = 0;
  let outOfBounds = 0;
  const severities: Severity[] = [];
  const sweepUntil = (at: number) => {
    for (let due = alarm.deadline(); due !== undefined && due <= at; due = alarm.deadline()) {
      const before = due;
      const ticked = alarm.step({ kind: 'tick', at: due });
      if (ticked.ok && ticked.renotify !== undefined) renotifications++;
      const next = alarm.deadline();
      if (next !== undefined && next <= before) break;
    }
  };
  const sweepOnce = (at: number) => {
    const ticked = alarm.step({ kind: 'tick', at });
    if (ticked.ok && ticked.renotify !== undefined) renotifications++;
  };
  let last = 0;
  readings.forEach((reading, index) => {
    const arrival = clock.arrival(reading, index);
    last = arrival;
    if (clock.everyDeadline) sweepUntil(arrival);
    const stepped = modelStep(rules.detector, printer, {
      metrics: reading.data,
      invalid: {},
      ...(reading.seq !== undefined ? { seq: reading.seq } : {}),
      ...(typeof reading.timestamp === 'number' ? { timestamp: reading.timestamp } : {}),
      arrival,
    });
    if (stepped.kind !== 'applied') return;
    if (stepped.out) outOfBounds++;
    if (stepped.event) severities.push(stepped.severity);
    alarm.step({
      kind: 'reading',
      at: arrival,
      inClear: stepped.inClear,
      ...(stepped.event ? { event: { severity: stepped.severity } } : {}),
    });
  });
  const end = clock.finalSweep(last);
  if (clock.everyDeadline) sweepUntil(end);
  else sweepOnce(end);
  return { readings: readings.length, outOfBounds, events: severities.length, severities, alarm, renotifications };
}

/** Each printer's readings, in file order. */
export function byPrinter<T extends { PrinterId: string }>(readings: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const r of readings) {
    const list = map.get(r.PrinterId) ?? [];
    list.push(r);
    map.set(r.PrinterId, list);
  }
  return map;
}

/** The original model's profiles: every one of `profiles` has the original thresholds and a window. */
export function originalModelProfiles(profiles: readonly ProfileInput[]): Record<string, ModelProfile> {
  return Object.fromEntries(
    profiles.map((p) => {
      const t = p.Thresholds as { Lower?: unknown; Upper?: unknown };
      if (typeof t.Lower !== 'number' || typeof t.Upper !== 'number' || p.Window === undefined)
        throw new Error(`${p.PrinterId} is not original`);
      return [p.PrinterId, { lower: t.Lower, upper: t.Upper, window: p.Window }];
    }),
  );
}
