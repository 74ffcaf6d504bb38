/**
 * The ports of the detector: what the processor needs from the outside world.
 * The adapters (`adapters/`) implement them on DynamoDB, the IoT Data Plane,
 * the IoT registry and SNS; tests and the benchmarks can pass their own.
 */
import type { AlarmNotification, AlarmTransitionPayload, AnomalyEvent, HistoryItem } from '../contract/index.ts';
import type { Reading, PrinterState, StoredPrinter } from './core/types.ts';

/** A profile item as plain JS values (numbers as numbers, sets as `Set`). */
export type ProfileItem = Record<string, unknown>;

/**
 * One reading that changes only the counter (and the silence deadline, the
 * recent values): in bounds resets it, out of bounds adds one. Concurrent
 * writes of this kind commute, so it is guarded by the profile and the
 * revision but not by the exact count.
 */
export interface ReadingWrite {
  readonly kind: 'reset' | 'increment';
  /** The state the detector computed from: the write is guarded by it. */
  readonly expected: PrinterState;
  /** The state after the reading (its silence deadline and clock deadline are written). */
  readonly next: PrinterState;
  readonly reading: Reading;
  /** Id of the invocation applying the reading (stable across Lambda retries). */
  readonly requestId: string;
  /** ISO time the reading is applied at. */
  readonly appliedAt: string;
}

/**
 * The whole new state (counters, ordering fields, memory, alarm), computed
 * from `expected` and guarded by it exactly: a batch, an event, anything the
 * alarm or a window mode remembers, a clock sweep or an operator's action.
 */
export interface FullWrite {
  readonly kind: 'full';
  readonly expected: PrinterState;
  readonly next: PrinterState;
  /** The last reading applied (its value and time become the printer's last); none for the clock and actions. */
  readonly last?: Reading;
  /** Id of the invocation (stable across Lambda retries), or of the action. */
  readonly requestId: string;
  /** ISO time the write is applied at. */
  readonly appliedAt: string;
  /** Outbox entries (JSON) the write counted, in order. */
  readonly entries: readonly string[];
  /**
   * `request`: record the request id and the entries (`RecentRequests`, `RequestEntries`), so that a
   * redelivery of the invocation is recognised and delivers them again (one
   * request per reading). `pending`: add the entries to the pending ones in
   * the same write (the clock and actions, which Lambda does not redeliver).
   */
  readonly record: 'request' | 'pending';
  /** Stream ingest: the sequence number of the last record applied, recorded (guarded by `expected`'s). */
  readonly streamSequence?: string;
  /** The clock must come back by then (epoch ms) even if the alarm has nothing due: entries are pending delivery. */
  readonly dueBy?: number;
}

export type GuardedWrite = ReadingWrite | FullWrite;

export type ApplyResult =
  | {
      readonly applied: true;
      readonly item: ProfileItem;
      /** The write recorded its entries' history in the same request (the outbox does not record them again). */
      readonly recorded?: boolean;
    }
  /** A write whose request returns no item (a transaction): the printer as the write left it, pending entries unknown. */
  | { readonly applied: true; readonly item?: undefined; readonly printer: StoredPrinter; readonly recorded: true }
  | { readonly applied: false; readonly item: ProfileItem | undefined };

/** Where printer profiles live. The processor depends on this, not on DynamoDB. */
export interface ProfileStore {
  /** Strongly consistent read of one profile; undefined when there is none. */
  read(printerId: string): Promise<ProfileItem | undefined>;
  /** The same, and the fleet defaults (`*`) with it, in one request. */
  readWithDefaults(printerId: string): Promise<{ item: ProfileItem | undefined; defaults: ProfileItem | undefined }>;
  /** Applies a guarded write if the stored state still matches; else returns the current item. */
  apply(write: GuardedWrite): Promise<ApplyResult>;
  /** Creates a printer's profile with zero counters unless it exists (fleet defaults with `Enrol`); returns the item. */
  enrol(printerId: string): Promise<ProfileItem>;
  /** Keeps outbox entries whose delivery failed (pending), until a later invocation delivers them. */
  addPendingEntries(printerId: string, entries: readonly string[]): Promise<void>;
  /** Marks pending entries as delivered. */
  clearPendingEntries(printerId: string, entries: readonly string[]): Promise<void>;
  /**
   * Puts the clock's deadline back to `due` (none: out of the deadline index)
   * if it is still `was`: once pending entries are delivered, the clock need
   * not come back for them.
   */
  settleDeadline(printerId: string, was: number, due: number | undefined): Promise<void>;
}

/** Publishes on MQTT (QoS 1). Throws when it could not. */
export interface MqttPublisher {
  /** An anomaly event, on `anom/pred`. */
  publishEvent(event: AnomalyEvent): Promise<void>;
  /** An alarm transition, on `anom/alarm/<PrinterId>`. */
  publishTransition(transition: AlarmTransitionPayload): Promise<void>;
}

/** The history table. Recording the same item twice leaves one (deterministic keys). */
export interface HistoryRecorder {
  /** Records items, as few requests as it can; `number`: the event's EventCount or the transition's sequence number, part of its key. */
  record(items: readonly { readonly item: HistoryItem; readonly number: number }[]): Promise<void>;
}

/** Sends alarm notifications (SNS in the cloud; a file and a webhook on the twin). Throws when it could not. */
export interface Notifier {
  notify(notification: AlarmNotification): Promise<void>;
}

/** The IoT thing registry, for gateways: the printers a thing may report for besides itself. */
export interface ThingRegistry {
  /** The printers `thingName` lists as a gateway; empty when it is not a thing or lists none. Throws when the registry failed. */
  gatewayPrinters(thingName: string): Promise<ReadonlySet<string>>;
}
