/**
 * What the asynchronous invoker (`async-invoker.ts`) reports as it works: one
 * record when an attempt starts and one when it ends, one per message whose
 * handling is over, and each dead letter. The twin's `events` carry them.
 */
import type { DetectorResult } from '../lambda/app.ts';
import type { Outcome } from '../lambda/processor.ts';
import type { DeadLetterRecord } from './dead-letters.ts';
import type { SerializedError } from './lambda-runtime.ts';

/** One invocation attempt. */
export interface InvocationRecord {
  readonly requestId: string;
  readonly printerId: string | undefined;
  readonly attempt: number;
  readonly ok: boolean;
  readonly result?: DetectorResult;
  readonly error?: SerializedError;
}

/** A message whose handling is over. */
export interface HandledMessage {
  readonly requestId: string;
  /** The MQTT topic it came on; in stream ingest, the stream it was read from. */
  readonly topic: string;
  /** The PrinterId read from the payload (its ordering lane); in stream ingest, the record's partition key. */
  readonly printerId: string | undefined;
  readonly event: unknown;
  readonly attempts: number;
  /** `rule-error`: refused before any invocation (see `AsyncInvoker.refuse`). */
  readonly status: 'processed' | 'dead-lettered' | 'rule-error';
  readonly result?: DetectorResult;
}

export interface InvokerEvents {
  /** An invocation attempt starts. */
  invoking: [{ readonly requestId: string; readonly printerId: string | undefined; readonly attempt: number }];
  /** An invocation attempt ended. */
  invocation: [InvocationRecord];
  handled: [HandledMessage];
  'dead-letter': [DeadLetterRecord];
}

/** The part of an `EventEmitter<InvokerEvents>` the invoker uses. */
export interface InvokerEventSink {
  emit<K extends keyof InvokerEvents>(event: K, ...args: InvokerEvents[K]): unknown;
}

/** Counters of what the invoker did since it started. */
export interface InvokerStats {
  /** Messages submitted or refused. */
  readonly received: number;
  /** Messages whose handling is over: processed, dead-lettered or refused. */
  readonly done: number;
  /** Messages the function processed (the invocation succeeded). */
  readonly processed: number;
  /** Readings per handler outcome (a batched message counts each of its readings). */
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** Anomaly events the function reported as published. */
  readonly eventsPublished: number;
  /** Invocations, retries included. */
  readonly invocations: number;
  /** Invocations that failed (function error, crash, timeout). */
  readonly functionErrors: number;
  readonly retries: number;
  readonly deadLettered: number;
  /** Messages refused before any invocation. */
  readonly refused: number;
  /** Most invocations seen running at the same time. */
  readonly maxConcurrentInvocations: number;
  /** Invocations running now. */
  readonly inFlight: number;
}
