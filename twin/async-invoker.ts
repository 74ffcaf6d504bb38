/**
 * Lambda's asynchronous invocation model, as the twin runs it. Each submitted
 * message is one invocation with its own request id. Messages of one printer
 * run one at a time in arrival order (a lane per PrinterId); lanes run
 * concurrently up to `concurrency`. A failed attempt is retried with the same
 * request id, as Lambda retries asynchronous invocations (after milliseconds,
 * not minutes), and the printer's later messages wait for it, so order is
 * kept. After the last retry the message goes to the on-failure destination:
 * nothing is silently dropped, not even at close. `docs/local.md`, "How the
 * twin delivers readings".
 *
 * It knows nothing of the broker or the rule: it is handed messages and an
 * `invoke` function (the twin's Lambda service), so it can be tested alone.
 */
import { randomUUID } from 'node:crypto';
import { AWS_LIMITS } from '../contract/index.ts';
import { isRecord } from '../common/guards.ts';
import { DETECTOR_FUNCTION } from '../contract/index.ts';
import type { DetectorResult } from '../lambda/app.ts';
import { JsonEvent } from './rule.ts';
import type { DeadLetterCondition, DeadLetters } from './dead-letters.ts';
import type { InvokerEventSink } from './invoker-events.ts';
import type { SerializedError } from './lambda-runtime.ts';
import { IntakeTally } from './intake-tally.ts';

/** How one attempt ended; a rejected `invoke` counts as a failed attempt. */
export type AttemptOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: SerializedError };

export interface AsyncInvokerOptions {
  /** Runs one attempt of an invocation. */
  readonly invoke: (requestId: string, event: unknown) => Promise<AttemptOutcome>;
  /** Most attempts running at once. */
  readonly concurrency: number;
  /** Retries of a failed invocation. @default DETECTOR_FUNCTION.retryAttempts */
  readonly retryAttempts?: number;
  /** Wait before retry 1, 2, ... (the last one repeats). @default [50, 100] */
  readonly retryDelaysMs?: readonly number[];
  /** Where messages go after their last attempt. */
  readonly deadLetters: DeadLetters;
  /** Where the invoker reports what it does: an `EventEmitter` of these events (or of more). */
  readonly events: InvokerEventSink;
}

import type { InvokerStats } from './invoker-events.ts';
export type { InvokerStats };

interface Message {
  readonly requestId: string;
  readonly topic: string;
  readonly event: unknown;
  /** The event's JSON text, as the rule made it. */
  readonly json?: string;
  readonly printerId: string | undefined;
  readonly lane: Lane;
  attempts: number;
}

/** A printer's messages in arrival order; the head one is running, waiting to run, or waiting for a retry. */
interface Lane {
  readonly printerId: string | undefined;
  readonly queue: Message[];
}

function printerIdOf(event: unknown): string | undefined {
  const id = isRecord(event) ? event['PrinterId'] : undefined;
  return typeof id === 'string' ? id : undefined;
}

function isDetectorResult(value: unknown): value is DetectorResult {
  return isRecord(value) && typeof value['outcome'] === 'string';
}

/** The asynchronous invocation queue of one function. */
export class AsyncInvoker {
  private readonly retryAttempts: number;
  private readonly retryDelaysMs: readonly number[];
  /** Lanes of printers with messages held, by PrinterId. */
  private readonly lanes = new Map<string, Lane>();
  /** Lanes whose head message may run now, in turn. */
  private readonly ready: Lane[] = [];
  /** Messages waiting for a retry, with their timers. */
  private readonly retrying = new Map<Message, NodeJS.Timeout>();
  private readonly tally: IntakeTally;
  private closing = false;

  constructor(private readonly options: AsyncInvokerOptions) {
    this.tally = new IntakeTally(options.events);
    this.retryAttempts = options.retryAttempts ?? DETECTOR_FUNCTION.retryAttempts;
    this.retryDelaysMs = options.retryDelaysMs ?? [50, 100];
  }

  stats(): InvokerStats {
    return this.tally.stats();
  }

  /** Queues one asynchronous invocation with `event` (sent as `json`, its text, when given); returns its request id. */
  submit(topic: string, event: unknown, json?: string): string {
    // Lambda refuses an asynchronous event over its limit: the rule's action fails, and its error action takes the message.
    if (json !== undefined && Buffer.byteLength(json) > AWS_LIMITS.lambdaAsyncPayloadBytes) return this.refuse(topic);
    this.tally.counters.received += 1;
    const requestId = randomUUID();
    const printerId = printerIdOf(event);
    // A payload without a readable PrinterId has no order to keep: a lane of its own.
    let lane = printerId === undefined ? undefined : this.lanes.get(printerId);
    if (!lane) {
      lane = { printerId, queue: [] };
      if (printerId !== undefined) this.lanes.set(printerId, lane);
    }
    lane.queue.push({ requestId, topic, event, ...(json === undefined ? {} : { json }), printerId, lane, attempts: 0 });
    if (lane.queue.length === 1) {
      this.ready.push(lane);
      this.dispatch();
    }
    return requestId;
  }

  /** Counts a message that never reaches the function (the topic rule could not make an event of it): handled at once. */
  refuse(topic: string): string {
    return this.tally.refuse(topic);
  }

  /** Resolves when every message received so far is handled. */
  waitForIdle(timeoutMs?: number, what = 'every received message to be handled'): Promise<void> {
    return this.tally.waitForIdle(timeoutMs, what);
  }

  /** Resolves once `count` messages in total are handled. */
  waitUntilHandled(count: number, timeoutMs?: number): Promise<void> {
    return this.tally.waitUntilHandled(count, timeoutMs);
  }

  /**
   * Closes: stops the intake, waits up to `drainTimeoutMs` for what it holds,
   * then stops the function (which must fail every running and later
   * attempt), so whatever is still held is dead-lettered as `TwinClosed`,
   * never dropped. A failure once closing starts is not retried. Pending
   * waits then reject.
   */
  async close(options: { drainTimeoutMs: number; stopIntake?: () => Promise<void>; stopFunction: () => Promise<void> }): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await options.stopIntake?.();
    await this.waitForIdle(options.drainTimeoutMs, 'the twin to drain').catch(() => {
      for (const [message, timer] of this.retrying) {
        clearTimeout(timer);
        this.ready.push(message.lane);
      }
      this.retrying.clear();
    });
    await options.stopFunction();
    this.dispatch();
    await this.waitForIdle(undefined, 'the twin to dead-letter what it holds');
    this.tally.closeWaits();
  }

  private dispatch(): void {
    while (this.tally.inFlight < this.options.concurrency && this.ready.length > 0) {
      const head = this.ready.shift()!.queue[0];
      if (head) void this.attempt(head);
    }
  }

  private async attempt(message: Message): Promise<void> {
    const { requestId, printerId } = message;
    this.tally.invoking();
    message.attempts += 1;
    this.options.events.emit('invoking', { requestId, printerId, attempt: message.attempts });
    const outcome = await this.options
      .invoke(requestId, message.json === undefined ? message.event : new JsonEvent(message.json))
      .catch((error: Error): AttemptOutcome => ({ ok: false, error: { errorType: error.name, errorMessage: error.message, trace: [] } }));
    this.tally.inFlight -= 1;
    const result = outcome.ok && isDetectorResult(outcome.value) ? outcome.value : undefined;
    this.options.events.emit('invocation', {
      requestId,
      printerId,
      attempt: message.attempts,
      ok: outcome.ok,
      ...(result ? { result } : {}),
      ...(outcome.ok ? {} : { error: outcome.error }),
    });
    if (outcome.ok) this.succeeded(message, result);
    else this.failed(message, outcome.error);
    this.dispatch();
  }

  private succeeded(message: Message, result: DetectorResult | undefined): void {
    this.tally.counters.processed += 1;
    if (result) this.tally.countReadings(result.readings ?? { [result.outcome]: 1 }, result.eventsDelivered);
    this.finish(message, 'processed', result);
  }

  private failed(message: Message, error: SerializedError): void {
    this.tally.counters.functionErrors += 1;
    if (this.closing) this.deadLetter(message, error, 'TwinClosed');
    else if (message.attempts <= this.retryAttempts) this.retryLater(message);
    else this.deadLetter(message, error, 'RetriesExhausted');
  }

  /** The message stays at the head of its lane, so the printer's later messages wait for it. */
  private retryLater(message: Message): void {
    this.tally.counters.retries += 1;
    const delays = this.retryDelaysMs;
    const delay = delays[Math.min(message.attempts - 1, delays.length - 1)] ?? 0;
    const timer = setTimeout(() => {
      this.retrying.delete(message);
      this.ready.push(message.lane);
      this.dispatch();
    }, delay);
    this.retrying.set(message, timer);
  }

  private deadLetter(message: Message, error: SerializedError, condition: DeadLetterCondition): void {
    this.tally.counters.deadLettered += 1;
    const record = this.options.deadLetters.send(message, error, condition);
    this.options.events.emit('dead-letter', record);
    this.finish(message, 'dead-lettered');
  }

  /** A message's handling is over: its lane moves on to the printer's next message. */
  private finish(message: Message, status: 'processed' | 'dead-lettered', result?: DetectorResult): void {
    const { lane, requestId, topic, printerId, event, attempts } = message;
    lane.queue.shift();
    if (lane.queue.length > 0) this.ready.push(lane);
    else if (lane.printerId !== undefined) this.lanes.delete(lane.printerId);
    this.tally.handled({ requestId, topic, printerId, event, attempts, status, ...(result ? { result } : {}) });
  }
}
