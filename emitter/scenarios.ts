/**
 * The generator's named scenarios, for printers judged on named metrics
 * (`temperature`, `humidity`, `vibration`, or the original `value`): normal
 * operation between episodes of one kind (or of every kind in turn, `mixed`).
 *
 * - drift: a metric moves slowly out of bounds, stays out long enough for an
 *   anomaly event in the printer's window mode, then slowly comes back;
 * - spikes: a burst of short excursions (one or two readings), far out;
 * - stuck: a sensor repeats one value while the printer carries on;
 * - noisy: a metric jitters widely around its centre for a while;
 * - silence: the printer stops reporting for a while (a gap in timestamps).
 *
 * Episode lengths follow the printer's rules (read by the detector's own
 * profile parser), so a drift makes an event in every window mode. Seeded:
 * the randomness is the caller's `Random`.
 */
import type { Rules, Band } from '../lambda/core/types.ts';
import type { Random } from './random.ts';

export const SCENARIOS = ['drift', 'spikes', 'stuck', 'noisy', 'silence', 'mixed'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type EpisodeKind = Exclude<Scenario, 'mixed'>;
export const EPISODE_KINDS: readonly EpisodeKind[] = ['drift', 'spikes', 'stuck', 'noisy', 'silence'];

/** One reading's metrics, and how long the printer stays silent after it. */
export interface Sample {
  readonly data: Readonly<Record<string, number>>;
  readonly pauseMs?: number;
}

/** Where an episode is in a printer's stream: its first reading's index and how many readings it spans. */
export interface Episode {
  readonly kind: EpisodeKind;
  /** The metric it acts on (none for a silence, which stops the whole printer). */
  readonly metric?: string;
  readonly start: number;
  readonly length: number;
}

export interface ScenarioOptions {
  readonly scenario: Scenario;
  /** Mean ms between two readings (to size duration-mode episodes). */
  readonly intervalMs: number;
  /** As in `GenerateOptions`: chance per normal reading that an episode starts; unset, 8 to 30 normal readings between. */
  readonly anomalyRate?: number;
}

/** Rounds to `decimals` places, as a sensor of that resolution reports. */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Number((Math.round(value * factor) / factor).toFixed(decimals));
}

/** The shortest silence, whatever the profile says: a minute, as the shortest `SilenceSeconds`. */
const MIN_SILENCE_MS = 60_000;

/** One metric's generator: its band, the range it normally runs in, and its true level. */
class Track {
  readonly lo: number;
  readonly hi: number;
  readonly width: number;
  readonly decimals: number;
  readonly step: number;
  level: number;
  centre: number;

  constructor(
    readonly metric: string,
    readonly band: Band,
    private readonly random: Random,
  ) {
    // A one-sided band runs on its side, over 40 % of the bound's magnitude (at least 1).
    const reach = (bound: number) => Math.max(Math.abs(bound) * 0.4, 1);
    this.lo = band.lower ?? (band.upper ?? 0) - reach(band.upper ?? 0);
    this.hi = band.upper ?? this.lo + reach(this.lo);
    this.width = Math.max(this.hi - this.lo, 10 ** -2);
    // Resolution of the sensor: coarse for wide bands, finer for narrow ones.
    this.decimals = this.width >= 10 ? 1 : 2;
    this.step = 10 ** -this.decimals;
    this.centre = this.lo + this.width * random.between(0.3, 0.7);
    this.level = this.centre;
  }

  /** A new centre for the next stretch of normal operation. */
  recentre(): void {
    this.centre = this.lo + this.width * this.random.between(0.3, 0.7);
  }

  /** The next normal value: a wandering level inside the band, now and then exactly on a bound (in bounds). */
  normal(): number {
    this.level = this.centre + 0.8 * (this.level - this.centre) + this.random.normal() * this.width * 0.05;
    this.level = Math.min(this.hi - this.width * 0.03, Math.max(this.lo + this.width * 0.03, this.level));
    const bounds = [this.band.lower, this.band.upper].filter((b): b is number => b !== undefined);
    if (this.random.chance(0.015)) return bounds[this.random.int(0, bounds.length - 1)] ?? this.value(this.level);
    return this.value(this.level);
  }

  value(x: number): number {
    return round(x, this.decimals);
  }

  /** A side of the band with a bound: above (when there is an upper bound) more often than below. */
  side(): 'above' | 'below' {
    if (this.band.upper === undefined) return 'below';
    if (this.band.lower === undefined) return 'above';
    return this.random.chance(0.7) ? 'above' : 'below';
  }

  /** A value `depth` band widths beyond the bound on `side`: always strictly out. */
  beyond(side: 'above' | 'below', depth: number): number {
    const distance = Math.max(this.step, depth * this.width);
    return side === 'above' ? this.value(this.hi + distance) : this.value(this.lo - distance);
  }
}

/** Out-of-bounds readings in a row that make one anomaly event under `rules` (readings about `intervalMs` apart, jitter 30 %). */
export function readingsForEvent(rules: Rules, intervalMs: number): number {
  if (rules.mode === 'duration') return Math.ceil((rules.durationMs ?? 0) / (0.7 * intervalMs)) + 1;
  return rules.window;
}

/** `count` samples of a printer under `rules`, with the episodes they hold. */
export function scenarioSamples(
  rules: Rules,
  count: number,
  random: Random,
  options: ScenarioOptions,
): { samples: Sample[]; episodes: Episode[] } {
  const tracks = Object.entries(rules.bands).map(([metric, band]) => new Track(metric, band, random));
  const samples: { data: Record<string, number>; pauseMs?: number }[] = [];
  const episodes: Episode[] = [];
  const full = () => samples.length >= count;
  /** One reading: every metric's normal value, then `set` overrides some (their true level still moves on). */
  const emit = (set: Record<string, number> = {}) => {
    if (full()) return;
    const data: Record<string, number> = {};
    for (const track of tracks) {
      const value = track.normal();
      data[track.metric] = Object.hasOwn(set, track.metric) ? (set[track.metric] as number) : value;
    }
    samples.push({ data });
  };
  const pick = () => tracks[random.int(0, tracks.length - 1)] as Track;
  const need = readingsForEvent(rules, options.intervalMs);

  const episode: Record<EpisodeKind, () => Omit<Episode, 'start' | 'length' | 'kind'>> = {
    drift: () => {
      const track = pick();
      const side = track.side();
      const target = track.beyond(side, random.between(0.05, 0.2));
      const from = track.level;
      const ramp = random.int(12, 24);
      for (let i = 1; i <= ramp; i++)
        emit({ [track.metric]: track.value(from + ((target - from) * i) / ramp + random.normal() * track.width * 0.01) });
      // Out long enough for one event (sometimes two), hovering beyond the bound.
      for (let i = random.int(need, 2 * need); i > 0; i--) {
        const x = track.value(target + random.normal() * track.width * 0.02);
        emit({ [track.metric]: side === 'above' ? Math.max(x, track.beyond('above', 0)) : Math.min(x, track.beyond('below', 0)) });
      }
      const back = random.int(8, 14);
      track.recentre();
      for (let i = 1; i <= back; i++) emit({ [track.metric]: track.value(target + ((track.centre - target) * i) / back) });
      track.level = track.centre;
      return { metric: track.metric };
    },
    spikes: () => {
      const track = pick();
      for (let spikes = random.int(4, 7); spikes > 0; spikes--) {
        const side = track.side();
        const spike = track.beyond(side, random.between(0.2, 0.6));
        emit({ [track.metric]: spike });
        if (random.chance(0.25)) emit({ [track.metric]: track.beyond(side, random.between(0.1, 0.4)) });
        if (spikes > 1) for (let gap = random.int(1, 2); gap > 0; gap--) emit();
      }
      return { metric: track.metric };
    },
    stuck: () => {
      const track = pick();
      // Frozen on the last value it reported, while the printer itself moves on.
      const last = samples.at(-1)?.data[track.metric] ?? track.normal();
      for (let i = random.int(15, 40); i > 0; i--) emit({ [track.metric]: last });
      return { metric: track.metric };
    },
    noisy: () => {
      const track = pick();
      for (let i = random.int(25, 50); i > 0; i--)
        emit({ [track.metric]: track.value(track.centre + random.normal() * track.width * 0.3) });
      return { metric: track.metric };
    },
    silence: () => {
      if (samples.length === 0) emit();
      const last = samples.at(-1);
      // Silent for longer than the printer's SilenceSeconds (or a minute): a no-data alarm when it monitors silence.
      if (last) last.pauseMs = Math.round(Math.max(rules.silenceMs ?? 0, MIN_SILENCE_MS) * random.between(1.5, 3));
      return {};
    },
  };

  const stretch = () => {
    const { anomalyRate } = options;
    if (anomalyRate === undefined) return random.int(8, 30);
    return anomalyRate >= 1 ? 0 : Math.floor(Math.log(1 - random.next()) / Math.log(1 - anomalyRate));
  };
  const normal = (length: number) => {
    for (const track of tracks) track.recentre();
    for (let i = 0; i < length; i++) emit();
  };

  const kinds: EpisodeKind[] = [];
  /** The next episode's kind: the scenario's, or for `mixed` each kind once per round, in a seeded order. */
  const nextKind = (): EpisodeKind => {
    if (options.scenario !== 'mixed') return options.scenario;
    if (kinds.length === 0) kinds.push(...shuffled(EPISODE_KINDS, random));
    return kinds.shift() as EpisodeKind;
  };

  normal(options.anomalyRate === undefined ? random.int(10, 30) : stretch());
  while (!full()) {
    const kind = nextKind();
    const start = samples.length;
    const where = episode[kind]();
    if (start < count) episodes.push({ kind, ...where, start, length: Math.min(samples.length, count) - start });
    normal(stretch());
  }
  return { samples, episodes };
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
