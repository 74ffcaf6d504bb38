/**
 * The profiles of a generated fleet: the given ones, then derived ones for
 * printers beyond them. Seeded, like the readings (`generate.ts`).
 */
import { FLEET_DEFAULTS_ID, type ProfileInput } from '../contract/index.ts';
import { parseRules } from '../lambda/core/rules.ts';
import type { Rules } from '../lambda/core/types.ts';
import { Random } from './random.ts';
import { round } from './scenarios.ts';

/** A profiles list split into its fleet defaults (the `*` entry, if any) and its printers. */
export function splitDefaults(profiles: readonly ProfileInput[]): { defaults?: ProfileInput; printers: ProfileInput[] } {
  const defaults = profiles.find((p) => p.PrinterId === FLEET_DEFAULTS_ID);
  const printers = profiles.filter((p) => p.PrinterId !== FLEET_DEFAULTS_ID);
  return defaults ? { defaults, printers } : { printers };
}

/** A printer's rules as the detector reads them (with the fleet defaults); throws a RangeError naming every reason when it has none. */
export function profileRules(profile: ProfileInput, defaults?: ProfileInput): Rules {
  const parsed = parseRules(profile as unknown as Record<string, unknown>, defaults as unknown as Record<string, unknown> | undefined);
  if (!parsed.ok) throw new RangeError(`profile ${profile.PrinterId}: ${parsed.reasons.join('; ')}`);
  return parsed.rules;
}

/** Printer-like bands for derived printers with the original thresholds. */
const DERIVED_BANDS: readonly { lower: number; upper: number }[] = [
  { lower: 190, upper: 230 }, // nozzle temperature, degrees C
  { lower: 50, upper: 70 }, // bed temperature
  { lower: 20, upper: 80 }, // humidity, %
  { lower: 15, upper: 35 }, // enclosure temperature
  { lower: 0.5, upper: 2.5 }, // extruder pressure, bar
  { lower: 30, upper: 90 }, // fan speed, % of max
];

/** A derived printer with the original thresholds and window. */
function originalProfile(id: string, seed: number | string): ProfileInput {
  const random = new Random(seed, 'profile', id);
  const band = DERIVED_BANDS[random.int(0, DERIVED_BANDS.length - 1)] ?? { lower: 20, upper: 80 };
  const width = band.upper - band.lower;
  const shift = random.between(-0.1, 0.1) * width;
  const decimals = width >= 10 ? 0 : 1;
  return {
    PrinterId: id,
    Thresholds: { Lower: round(band.lower + shift, decimals), Upper: round(band.upper + shift, decimals) },
    Window: random.int(3, 12),
  };
}

/**
 * A derived printer judged on named metrics, in turn in each window mode
 * (consecutive, m-of-n, duration, consecutive with an adaptive band), each
 * with its own severities.
 */
function metricProfile(id: string, n: number, seed: number | string): ProfileInput {
  const random = new Random(seed, 'profile', id);
  const shift = Math.round(random.between(-5, 5));
  switch ((n - 1) % 4) {
    case 0:
      return {
        PrinterId: id,
        Thresholds: {
          temperature: { Lower: 190 + shift, Upper: 230 + shift, Severity: 'major' },
          humidity: { Lower: 20, Upper: 60, Severity: 'minor' },
        },
        Window: random.int(3, 8),
      };
    case 1:
      return {
        PrinterId: id,
        Thresholds: {
          temperature: { Lower: 190 + shift, Upper: 230 + shift },
          vibration: { Upper: round(random.between(3, 5), 1), Severity: 'critical' },
        },
        Mode: 'm-of-n',
        Window: 3,
        Of: random.int(6, 10),
      };
    case 2:
      return {
        PrinterId: id,
        Thresholds: { temperature: { Upper: 235 + shift }, humidity: { Lower: 20, Upper: 65 } },
        Mode: 'duration',
        DurationSeconds: random.int(10, 30),
        Severity: 'minor',
      };
    default:
      return {
        PrinterId: id,
        Thresholds: {
          temperature: { Lower: 180 + shift, Upper: 250 + shift, Adaptive: { Sigma: 4, Alpha: 0.05, Warmup: 30 } },
          humidity: { Lower: 15, Upper: 70 },
        },
        Window: 2,
        Severity: 'warning',
      };
  }
}

/**
 * The printers of a fleet of `printers`: the given ones first (cut to
 * `printers` when fewer; a `*` fleet defaults entry is not a printer), then
 * derived ones: `PrinterN` with the original thresholds, or with `metrics`,
 * `FleetN` judged on named metrics in every window mode. Readings of
 * printers whose profile is not stored in `PrinterProfiles` are counted as
 * unknown by the backend: seed these too.
 */
export function fleetProfiles(
  profiles: readonly ProfileInput[],
  printers: number,
  seed: number | string,
  options: { metrics?: boolean } = {},
): ProfileInput[] {
  const given = splitDefaults(profiles).printers;
  const fleet = given.slice(0, printers);
  const taken = new Set(given.map((p) => p.PrinterId));
  for (let n = 1; fleet.length < printers; n++) {
    const id = `${options.metrics ? 'Fleet' : 'Printer'}${n}`;
    if (taken.has(id)) continue;
    fleet.push(options.metrics ? metricProfile(id, n, seed) : originalProfile(id, seed));
    taken.add(id);
  }
  return fleet;
}
