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
export interface Transition {
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
