/**
 * The ports of the detector: what the processor needs from the outside world.
 * The adapters (`adapters/`) implement them on DynamoDB and the IoT Data
 * Plane; tests and the benchmarks can pass their own.
 */
import type { AnomalyEvent } from '../contract/index.ts';
import type { PrinterState, Reading } from './core/detector.ts';

/** A profile item as plain JS values (numbers as numbers, sets as `Set`). */
export type ProfileItem = Record<string, unknown>;

/** One reading's effect on a printer, computed by the detector from `expected`. */
export interface ReadingTransition {
  /** `reset`: in bounds; `increment`: out of bounds, no event; `event`: completes a window. */
  readonly kind: 'reset' | 'increment' | 'event';
  /** The state the detector computed from: the write is guarded by it. */
  readonly expected: PrinterState;
  readonly reading: Reading;
  /** Id of the invocation applying the reading (stable across Lambda retries). */
  readonly requestId: string;
  /** ISO time the reading is applied at. */
  readonly appliedAt: string;
  /** For `event`: the anomaly event, as JSON, recorded with the count for a retry to republish. */
  readonly event?: string;
}

/** A batch of one printer's readings folded into one state, computed from `expected`. */
export interface BatchTransition {
  readonly kind: 'batch';
  /** The state the fold started from: the write is guarded by it, exactly. */
  readonly expected: PrinterState;
  /** The state after the batch. */
  readonly next: PrinterState;
  /** The last reading the batch applied (its value and time are the printer's last). */
  readonly last: Reading;
  /** Id of the invocation (stable across Lambda retries): recorded, so that a retry is recognised. */
  readonly requestId: string;
  /** ISO time the batch is applied at. */
  readonly appliedAt: string;
  /** The anomaly events the batch counted, as JSON, in order: recorded for a retry to republish. */
  readonly events: readonly string[];
  /** Stream ingest: the sequence number of the last record applied, recorded (guarded by `expected`'s). */
  readonly streamSequence?: string;
}

export type Transition = ReadingTransition | BatchTransition;

export type ApplyResult =
  | { readonly applied: true; readonly item: ProfileItem }
  | { readonly applied: false; readonly item: ProfileItem | undefined };

/** Where printer profiles live. The processor depends on this, not on DynamoDB. */
export interface ProfileStore {
  /** Strongly consistent read of one profile; undefined when there is none. */
  read(printerId: string): Promise<ProfileItem | undefined>;
  /** Applies a transition if the stored state still matches; else returns the current item. */
  apply(transition: Transition): Promise<ApplyResult>;
  /** Keeps anomaly events whose publish failed (pending events), until a later invocation publishes them. */
  addPendingEvents(printerId: string, events: readonly string[]): Promise<void>;
  /** Marks pending events as published. */
  clearPendingEvents(printerId: string, events: readonly string[]): Promise<void>;
}

/** Publishes one anomaly event (QoS 1). Throws when it could not. */
export interface EventPublisher {
  publish(event: AnomalyEvent): Promise<void>;
}

/** The IoT thing registry, for gateways: the printers a thing may report for besides itself. */
export interface ThingRegistry {
  /** The printers `thingName` lists as a gateway; empty when it is not a thing or lists none. Throws when the registry failed. */
  gatewayPrinters(thingName: string): Promise<ReadonlySet<string>>;
}
