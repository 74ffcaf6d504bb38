/**
 * The profiles the alarms section measures: between them every detection
 * and alarm option (`docs/detection.md` and `docs/alarms.md`).
 */
import type { ProfileInput } from '../contract/index.ts';

/** The fleet defaults of the extended fleet: what a printer's own profile omits comes from here. */
export const FLEET_DEFAULTS: ProfileInput = {
  PrinterId: '*',
  Thresholds: { temperature: { Lower: 190, Upper: 230 }, humidity: { Lower: 20, Upper: 60 } },
  Window: 4,
  Severity: 'major',
  ClearAfter: 2,
  SilenceSeconds: 300,
  RenotifyMinutes: 15,
};

/**
 * The extended printers, in turn: between them every detection and alarm
 * option; the fleet defaults fill in what each omits (the last one omits
 * everything, Thresholds included, which `ProfileInput` does not allow for).
 */
export const EXTENDED_TEMPLATES: readonly Partial<Omit<ProfileInput, 'PrinterId'>>[] = [
  // consecutive, a one-sided band, band severities, a Clear band inside the thresholds (hysteresis)
  {
    Thresholds: {
      temperature: { Lower: 190, Upper: 230, Severity: 'major' },
      humidity: { Lower: 20, Upper: 60, Severity: 'minor' },
      vibration: { Upper: 4, Severity: 'critical' },
    },
    Window: 4,
    Clear: { temperature: { Lower: 195, Upper: 225 }, humidity: { Lower: 25, Upper: 55 } },
    ClearAfter: 3,
  },
  // m-of-n, latched until acknowledged
  {
    Thresholds: { temperature: { Lower: 190, Upper: 230 }, vibration: { Upper: 4.5, Severity: 'critical' } },
    Mode: 'm-of-n',
    Window: 3,
    Of: 8,
    Latch: true,
    Severity: 'minor',
  },
  // duration, one-sided, its own silence time
  {
    Thresholds: { temperature: { Upper: 240 }, humidity: { Lower: 25, Upper: 65 } },
    Mode: 'duration',
    DurationSeconds: 15,
    Severity: 'warning',
    SilenceSeconds: 120,
  },
  // an adaptive band on one metric, re-notified every 5 minutes
  {
    Thresholds: {
      temperature: { Lower: 180, Upper: 250, Adaptive: { Sigma: 4, Alpha: 0.05, Warmup: 30 } },
      humidity: { Lower: 15, Upper: 70 },
    },
    Window: 2,
    RenotifyMinutes: 5,
  },
  // the profile's adaptive band on every metric, m-of-n, latched
  {
    Thresholds: { temperature: { Lower: 185, Upper: 245 }, humidity: { Lower: 15, Upper: 70 }, vibration: { Upper: 5 } },
    Adaptive: { Sigma: 5, Warmup: 20 },
    Mode: 'm-of-n',
    Window: 2,
    Of: 5,
    Severity: 'critical',
    Latch: true,
  },
  // everything from the fleet defaults
  {},
];

const ALARM_OPTIONS = { Severity: 'major', ClearAfter: 2, SilenceSeconds: 300, RenotifyMinutes: 5 } as const;

/** One printer per window mode, each with every alarm option, and one original profile (no option) to compare. m-of-n keeps the longest window there is (Of 1000) and rarely empties it. */
export const STATE_PROFILES: readonly (ProfileInput & { readonly mode: string })[] = [
  {
    mode: 'consecutive',
    PrinterId: 'State-Consecutive',
    Thresholds: {
      temperature: { Lower: 190, Upper: 230, Severity: 'major' },
      humidity: { Lower: 20, Upper: 60, Severity: 'minor' },
      vibration: { Upper: 4, Severity: 'critical' },
    },
    Window: 5,
    Clear: { temperature: { Lower: 195, Upper: 225 } },
    ...ALARM_OPTIONS,
    ClearAfter: 3,
  },
  {
    mode: 'm-of-n, Of 1000',
    PrinterId: 'State-MofN',
    Thresholds: { temperature: { Lower: 190, Upper: 230 }, vibration: { Upper: 4.5, Severity: 'critical' } },
    Mode: 'm-of-n',
    Window: 500,
    Of: 1000,
    Latch: true,
    ...ALARM_OPTIONS,
  },
  {
    mode: 'duration',
    PrinterId: 'State-Duration',
    Thresholds: { temperature: { Upper: 240 }, humidity: { Lower: 25, Upper: 65 } },
    Mode: 'duration',
    DurationSeconds: 15,
    ...ALARM_OPTIONS,
  },
  {
    mode: 'adaptive, 3 metrics',
    PrinterId: 'State-Adaptive',
    Thresholds: {
      temperature: { Lower: 180, Upper: 250, Adaptive: { Sigma: 4, Alpha: 0.05, Warmup: 30 } },
      humidity: { Lower: 15, Upper: 70, Adaptive: { Sigma: 4 } },
      vibration: { Upper: 5, Adaptive: { Sigma: 5, Alpha: 0.1, Warmup: 20 } },
    },
    Window: 3,
    Latch: true,
    ...ALARM_OPTIONS,
  },
  { mode: 'original form, no option', PrinterId: 'State-Original', Thresholds: { Lower: 20, Upper: 80 }, Window: 5 },
];
