/**
 * The shapes that cross a boundary: what printers publish, what a profile
 * holds, what the detector republishes. One type each, used alike by the
 * function, the twin, the emitter, the CLIs, the benchmarks and the tests.
 * (The function validates what it receives: these describe valid input.)
 */

/** A reading as published on `anom/detect`. */
export interface ReadingPayload {
  readonly PrinterId: string;
  /** Named metrics; `value` is the one the original thresholds judge. */
  readonly data: Readonly<Record<string, number>>;
  /** Epoch milliseconds or ISO-8601. */
  readonly timestamp?: number | string;
  /** Increasing per printer: makes processing exactly-once and ordered. */
  readonly seq?: number;
}

/** One element of a batched message: a reading without its `PrinterId`. */
export type BatchElement = Omit<ReadingPayload, 'PrinterId'>;

/**
 * Several readings of one printer in one message on `anom/detect`, applied in
 * array order exactly as if published one by one (`docs/emitter.md`, "Batched readings").
 */
export interface BatchPayload {
  readonly PrinterId: string;
  readonly readings: readonly BatchElement[];
}

/**
 * A printer profile's user attributes, as `data/printer_profiles.json` and the
 * original `aws dynamodb put-item` commands write them. The function keeps its
 * own bookkeeping beside these and never removes one of them.
 */
export interface ProfileInput {
  readonly PrinterId: string;
  /** The original `{Lower, Upper}` judging `data.value`, or a map of metric name to band. */
  readonly Thresholds: { readonly Lower: number; readonly Upper: number } | Readonly<Record<string, BandInput>>;
  /** Required but for `duration` mode. */
  readonly Window?: number;
  readonly Mode?: WindowMode;
  readonly Of?: number;
  readonly DurationSeconds?: number;
  readonly Adaptive?: AdaptiveInput;
  readonly Severity?: Severity;
  readonly Clear?: { readonly Lower: number; readonly Upper: number } | Readonly<Record<string, BandInput>>;
  readonly ClearAfter?: number;
  readonly Latch?: boolean;
  readonly SilenceSeconds?: number;
  readonly RenotifyMinutes?: number;
  /** At least this long between two notifications of the alarm, unless the severity rises (integer >= 1). */
  readonly NotifyMinIntervalSeconds?: number;
  /** Fleet defaults (`PrinterId` `*`) only: a valid reading of a printer without a profile creates its profile. */
  readonly Enrol?: boolean;
}

/** How readings add up to an anomaly event (`docs/design.md`, "Window modes"). */
export type WindowMode = 'consecutive' | 'm-of-n' | 'duration';

/** One metric's band: either bound may be absent (one-sided), not both. */
export interface BandInput {
  readonly Lower?: number;
  readonly Upper?: number;
  readonly Severity?: Severity;
  readonly Adaptive?: AdaptiveInput;
}

/** An adaptive band: out of bounds also beyond `Sigma` weighted standard deviations from the weighted mean. */
export interface AdaptiveInput {
  readonly Sigma: number;
  readonly Alpha?: number;
  readonly Warmup?: number;
}

/** Alarm severities, highest first. */
export type Severity = 'critical' | 'major' | 'minor' | 'warning';

/** The states of a printer's alarm (as AWS IoT Events alarm models had them). */
export type AlarmState = 'NORMAL' | 'ACTIVE' | 'ACKNOWLEDGED' | 'LATCHED' | 'SNOOZE_DISABLED' | 'DISABLED';

/** Why an alarm moved: a detector or clock cause, or the name of the operator's action. */
export type AlarmCause = 'threshold' | 'silent' | 'clear' | AlarmActionName | 'snooze-expired';

/** What an operator can do to an alarm. */
export type AlarmActionName = 'acknowledge' | 'snooze' | 'disable' | 'enable' | 'reset';

/** The payload published on `anom/alarm/<PrinterId>` (QoS 1) for each alarm transition. */
export interface AlarmTransitionPayload {
  readonly PrinterId: string;
  readonly From: AlarmState;
  readonly To: AlarmState;
  readonly Cause: AlarmCause;
  readonly Severity: Severity | null;
  /** `detector`, `clock`, the caller's IAM ARN, or `local` on the twin. */
  readonly By: string;
  readonly Note: string | null;
  readonly At: string;
}

/** A printer's alarm as summaries show it: the transition into the current state (nulls while NORMAL from the start). */
export interface AlarmSummary {
  readonly State: AlarmState;
  readonly Severity: Severity | null;
  readonly Cause: AlarmCause | null;
  readonly Since: string | null;
  /** A snoozed alarm's end (ISO-8601); absent otherwise. */
  readonly Until?: string;
  /** Who acknowledged, snoozed or disabled the alarm while it is held so (the caller's IAM ARN, `local` on the twin). */
  readonly By?: string;
  /** Their note, when they gave one. */
  readonly Note?: string;
}

/** One printer in a listing. */
export interface PrinterSummary {
  readonly PrinterId: string;
  readonly EventCount: number;
  readonly OutOfBoundsCount: number;
  readonly LastValue: number | null;
  readonly LastSeenAt: string | null;
  readonly Alarm: AlarmSummary;
}

/** A history item: an anomaly event or an alarm transition, exactly as published, with its type. */
export type HistoryItem = (AnomalyEvent & { readonly Type: 'event' }) | (AlarmTransitionPayload & { readonly Type: 'transition' });

/** A notification (SNS message, `notifications.jsonl` line, webhook body). */
export interface AlarmNotification {
  readonly Subject: string;
  readonly Message: AlarmTransitionPayload;
  /** Re-notifications of an activation only: 1 for the first. */
  readonly Renotify?: number;
  /** How many earlier notified transitions of the same write this one stands for (absent when none). */
  readonly Folded?: number;
}

/** The payload published on `anom/pred` (QoS 1) when a window completes. */
export interface AnomalyEvent {
  readonly PrinterId: string;
  /** The printer's new EventCount. */
  readonly events: number;
  /** `data.value` of the reading that completed the window, when it had one. */
  readonly value?: number;
  readonly window: number;
  readonly thresholds: ProfileInput['Thresholds'];
  /** ISO time the event was counted. */
  readonly at: string;
  /** With a metric map: the metrics out of bounds in the reading that completed the window, with their values. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** With a metric map or a profile `Severity`: the event's severity. */
  readonly severity?: Severity;
}
