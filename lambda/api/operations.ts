/**
 * What the operator API (and the CLIs) can do to the fleet: one interface,
 * implemented once on DynamoDB (`lambda/adapters/fleet-operations.ts`), so
 * that the API, the CLIs and the benchmarks run the same code paths.
 */
import type { AlarmActionName, AlarmState, AlarmSummary, HistoryItem, PrinterSummary, ProfileInput } from '../../contract/index.ts';

/** A page of a listing: `next` is the cursor of the following page, null on the last. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** One printer in detail. */
export interface PrinterDetail {
  /** Its user attributes, as stored (no counters, no bookkeeping). */
  readonly profile: ProfileInput;
  /** Its settings as the detector runs them: the profile with the fleet defaults (`*`) filled in. */
  readonly effective: Readonly<Record<string, unknown>>;
  /** Counters and bookkeeping: EventCount, OutOfBoundsCount, LastValue, LastSeenAt, LastEventAt, ... */
  readonly state: Readonly<Record<string, unknown>>;
  readonly alarm: AlarmSummary;
  /** Recent values of its main metric, oldest first: `[epoch ms, value]`. */
  readonly recent: readonly (readonly [number, number])[];
}

/** A profile tried on recent values: per value whether it was out of bounds, and the anomaly events raised. */
export interface ProfilePreview {
  readonly values: readonly (readonly [number, number])[];
  readonly current: { readonly flags: readonly boolean[]; readonly events: number };
  readonly proposed: { readonly flags: readonly boolean[]; readonly events: number };
}

/** One span of a time range: its start (ISO-8601), and the anomaly events and alarm transitions in it. */
export interface EventBucket {
  readonly start: string;
  readonly events: number;
  readonly transitions: number;
}

export interface HistoryQuery {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, inclusive. */
  readonly until?: number;
  readonly limit: number;
  readonly cursor?: string;
}

export interface AlarmActionRequest {
  readonly action: AlarmActionName;
  readonly note?: string;
  /** snooze: epoch ms. */
  readonly until?: number;
  /** Who acts: the caller's IAM ARN in the cloud, `local` on the twin. */
  readonly by: string;
}

/** A refusal: 400 bad input, 404 unknown printer, 409 not valid now; `reason` is one line. */
export interface Refusal {
  readonly ok: false;
  readonly status: 400 | 404 | 409;
  readonly reason: string;
  /** A refused profile: the validator's reasons per attribute (answered as `fields` beside `error`). */
  readonly fields?: Readonly<Record<string, string>>;
}

export interface FleetOperations {
  /** Printers by EventCount descending, then PrinterId: one Query, flat in fleet size. */
  ranked(limit: number): Promise<PrinterSummary[]>;
  /**
   * Every printer, a page at a time (the one listing that reads the whole table, paginated); with `search`, only
   * those whose PrinterId contains it, case-insensitively (a page then reads a bounded share of the table).
   */
  list(cursor: string | undefined, limit: number, search?: string): Promise<Page<PrinterSummary> | Refusal>;
  /** Alarms not NORMAL (or in `state`), ACTIVE, LATCHED, ACKNOWLEDGED, SNOOZE_DISABLED, DISABLED, then PrinterId. */
  alarms(state?: AlarmState): Promise<PrinterSummary[]>;
  /** The same, a page of `limit` at a time from `cursor`. */
  alarmPage(state: AlarmState | undefined, cursor: string | undefined, limit: number): Promise<Page<PrinterSummary> | Refusal>;
  /** One printer, or undefined when it has no profile. */
  printer(printerId: string): Promise<PrinterDetail | undefined>;
  /** Replaces a printer's user attributes through the profile validator; counters, bookkeeping and alarm kept. */
  putProfile(printerId: string, body: unknown): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal>;
  /** Changes only the attributes the body names (a JSON merge patch: null removes one), judged as the profile it leaves. */
  patchProfile(printerId: string, body: unknown): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal>;
  /**
   * What `body` (a profile as for PUT) would have done on the printer's last `n` recent values (all kept by
   * default), beside what its stored profile did; nothing is written. Undefined for an unknown printer.
   */
  preview(printerId: string, body: unknown, n?: number): Promise<ProfilePreview | Refusal | undefined>;
  /** Applies an operator action to a printer's alarm. */
  act(printerId: string, request: AlarmActionRequest): Promise<{ ok: true; alarm: AlarmSummary } | Refusal>;
  /** A printer's anomaly events and alarm transitions, newest first; undefined for an unknown printer. */
  history(printerId: string, query: HistoryQuery): Promise<Page<HistoryItem> | Refusal | undefined>;
  /** The same, fleet-wide. */
  events(query: HistoryQuery): Promise<Page<HistoryItem> | Refusal>;
  /** Fleet-wide events and transitions counted in `buckets` equal spans of [since, until] (epoch ms), oldest first. */
  eventCounts(since: number, until: number, buckets: number): Promise<EventBucket[]>;
}
