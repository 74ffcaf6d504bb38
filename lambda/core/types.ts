/**
 * The core's types, in one module that imports nothing of the core: every
 * other core module imports them from here, so the core's files depend one
 * way (`docs/design.md`, "Layout and dependencies"). Types only, no code.
 */

import type { AlarmState, AlarmCause, Severity, WindowMode } from '../../contract/index.ts';

/** An adaptive band's settings. */
export interface Adaptive {
  /** Out of bounds beyond this many weighted standard deviations (> 0). */
  readonly sigma: number;
  /** Weight of the newest reading, in (0, 1]. @default 0.05 */
  readonly alpha: number;
  /** Readings seen before the band judges (integer >= 0). @default 30 */
  readonly warmup: number;
}

/** One metric's band. At least one bound is present. */
export interface Band {
  readonly lower?: number;
  readonly upper?: number;
  /** This metric's severity; the profile's when absent. */
  readonly severity?: Severity;
  readonly adaptive?: Adaptive;
}

/** Bands by metric name. The original form is `{ value: {lower, upper} }`. */
export type Bands = Readonly<Record<string, Band>>;

export interface Rules {
  /** `original`: `Thresholds` is `{Lower, Upper}` judging `data.value`; `metrics`: a map of metric name to band. */
  readonly form: 'original' | 'metrics';
  readonly bands: Bands;
  readonly mode: WindowMode;
  /** consecutive and m-of-n: out-of-bounds readings that make an event. duration: unused (the Window given, else 1). */
  readonly window: number;
  /** m-of-n: the readings a window holds (>= window). */
  readonly of?: number;
  /** duration: how long (ms) a run of out-of-bounds readings lasts before it is an event. */
  readonly durationMs?: number;
  /** The profile's severity. @default 'major' */
  readonly severity: Severity;
  /** The band a reading must be inside (inclusive) to count towards clearing an alarm. @default the thresholds */
  readonly clear: Bands;
  /** Consecutive readings inside `clear` that clear an alarm (integer >= 1). @default 1 */
  readonly clearAfter: number;
  /** An alarm whose condition clears while ACTIVE waits in LATCHED for an acknowledgement. @default false */
  readonly latch: boolean;
  /** A reading must follow the previous one within this (ms), else the alarm goes ACTIVE (`silent`). */
  readonly silenceMs?: number;
  /** While ACTIVE and unacknowledged, the activation is notified again this often (ms). */
  readonly renotifyMs?: number;
  /** At least this long (ms) between two notifications of the alarm, unless the severity rises. */
  readonly notifyMinIntervalMs?: number;
}

/** One alarm transition (the `anom/alarm` payload, less the PrinterId), numbered per printer. */
export interface AlarmTransition {
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly cause: AlarmCause;
  readonly severity: Severity | null;
  readonly by: string;
  readonly note: string | null;
  /** ISO time. */
  readonly at: string;
  /** 1 for a printer's first transition, then 2, 3, ...: with PrinterId, its identity. */
  readonly seq: number;
}

export interface Alarm {
  readonly state: AlarmState;
  /** The transition into the current state's severity, cause and time; null while NORMAL from the start. */
  readonly severity: Severity | null;
  readonly cause: AlarmCause | null;
  readonly since: string | null;
  /** Transitions so far: the last one's `seq` (stored as `Seq` in the alarm's map). */
  readonly transitionCount: number;
  /** ACTIVE or ACKNOWLEDGED: consecutive readings inside the clear band since activation (or since the last outside it). */
  readonly clearCount: number;
  /** The current activation came from silence: the next reading clears it whatever its value. */
  readonly silent: boolean;
  /** SNOOZE_DISABLED: when the snooze ends (epoch ms). */
  readonly until?: number;
  /** ACTIVE or ACKNOWLEDGED: the transition that activated (or last escalated) the alarm, re-sent by re-notifications. */
  readonly activation?: AlarmTransition;
  /** Re-notifications sent for the current activation. */
  readonly renotified: number;
  /** When silence is next due (epoch ms): the last reading's arrival plus the silence time; consumed by the clock. */
  readonly silenceAt?: number;
  /** ACKNOWLEDGED, SNOOZE_DISABLED or DISABLED by an operator: who put it there, with their note (the alarm list's owner). */
  readonly owner?: AlarmOwner;
}

export interface AlarmOwner {
  readonly by: string;
  readonly note: string | null;
}

/** Adaptive statistics of one metric: readings seen, exponentially weighted mean and variance. */
export interface MetricStats {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

/** What a window mode remembers between readings, beside `OutOfBoundsCount`. Bounded whatever the window. */
export interface Memory {
  /** m-of-n: the current window's verdicts, oldest first, `1` for out of bounds (at most `Of` characters). */
  readonly bits?: string;
  /** duration: time (epoch ms) of the current run's first out-of-bounds reading. */
  readonly runStart?: number;
  /** Adaptive bands: per metric. */
  readonly stats?: Readonly<Record<string, MetricStats>>;
}

/** Everything the detector needs to know about one printer. */
export interface PrinterState {
  readonly printerId: string;
  readonly rules: Rules;
  readonly outOfBoundsCount: number;
  readonly eventCount: number;
  /** `seq` of the last applied reading that had one. */
  readonly lastSeq?: number;
  /** `timestamp` (epoch ms) of the last applied reading that had one. */
  readonly lastTimestamp?: number;
  /** Sequence number of the last stream record applied (stream ingest only). */
  readonly lastStreamSequence?: string;
  readonly memory: Memory;
  /** The printer's alarm (the detector passes it through; `step.ts` moves it). */
  readonly alarm: Alarm;
  /** Revision of the mode memory and the alarm: every write that changes either adds one. */
  readonly rev: number;
  /** The printer's own profile scalars a write is guarded by (see `adapters/profile-item.ts`). */
  readonly guard: readonly ProfileGuard[];
  /** The item has its ring of recent values (a write then sets one slot of it). */
  readonly hasRecent?: boolean;
  /** Tags of the request ids of the latest writes of readings, oldest first (bounded: `RECENT_REQUEST_IDS` in `contract/`). */
  readonly requests?: readonly string[];
  /** The outbox entries (JSON) of the latest writes that counted any, by request tag (`core/request-tag.ts`): what a redelivery of one delivers again. */
  readonly recorded?: Readonly<Record<string, readonly string[]>>;
  /** When (epoch ms) and at what severity the alarm was last notified (`NotifyMinIntervalSeconds` paces by it). */
  readonly lastNotified?: LastNotified;
}

export interface LastNotified {
  readonly at: number;
  readonly severity: Severity | null;
}

/** One reading (see `reading.ts`): its valid metrics, and its metrics whose values are invalid. */
export interface Reading {
  readonly printerId: string;
  /** Metrics with a finite numeric value. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Metrics carried with an invalid value, each with its one-line reason. */
  readonly invalidMetrics?: Readonly<Record<string, string>>;
  readonly seq?: number;
  /** Epoch milliseconds. */
  readonly timestamp?: number;
}

/**
 * One scalar of the printer's own profile that a write is guarded by: the
 * attribute path and the value the state was computed with. A profile changed
 * under a writer fails its guard, and the writer recomputes.
 */
export interface ProfileGuard {
  readonly path: readonly string[];
  readonly value: number | string;
}

/** A printer as stored: detector state plus the bookkeeping the handler needs. */
export interface StoredPrinter {
  readonly state: PrinterState;
  /** Outbox entries (events, alarm transitions, re-notifications) not delivered yet (JSON, as stored). */
  readonly pendingEntries: readonly string[];
}
