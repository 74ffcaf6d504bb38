/**
 * What the twin's two intakes (direct invocation, `async-invoker.ts`, and the
 * stream, `stream-ingest.ts`) count alike: messages received, handled and
 * refused, invocations, readings per outcome; and the waits on those counts
 * (`waitForIdle`, `waitUntilProcessed`, the drain at close).
 */
import { randomUUID } from 'node:crypto';
import { OUTCOMES, type Outcome, type OutcomeCounts } from '../lambda/processor.ts';
import type { HandledMessage, InvokerEventSink, InvokerStats } from './invoker-events.ts';
import { Waiters } from './waiters.ts';

export class IntakeTally {
  readonly counters = {
    received: 0,
    done: 0,
    processed: 0,
    eventsPublished: 0,
    invocations: 0,
    functionErrors: 0,
    retries: 0,
    deadLettered: 0,
    refused: 0,
    maxConcurrentInvocations: 0,
  };
  /** Invocations running now. */
  inFlight = 0;
  private readonly outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  private readonly waiters = new Waiters(() => `${this.counters.done} of ${this.counters.received} handled`);

  constructor(private readonly events: InvokerEventSink) {}

  stats(): InvokerStats {
    return { ...this.counters, outcomes: { ...this.outcomes }, inFlight: this.inFlight };
  }

  /** One invocation starts. */
  invoking(): void {
    this.inFlight += 1;
    this.counters.invocations += 1;
    this.counters.maxConcurrentInvocations = Math.max(this.counters.maxConcurrentInvocations, this.inFlight);
  }

  /** Adds a result's readings per outcome (one for a single reading, each of a batch's) and its published events. */
  countReadings(readings: OutcomeCounts, published: number): void {
    for (const [outcome, count] of Object.entries(readings)) {
      if (outcome in this.outcomes) this.outcomes[outcome as Outcome] += count ?? 0;
    }
    this.counters.eventsPublished += published;
  }

  /** Counts a message that never reaches the function (the rule could not hand it on): handled at once. */
  refuse(topic: string, received = true): string {
    if (received) this.counters.received += 1;
    this.counters.refused += 1;
    const requestId = randomUUID();
    this.handled({ requestId, topic, printerId: undefined, event: undefined, attempts: 0, status: 'rule-error' });
    return requestId;
  }

  /** A message's handling is over: reported, and the waits checked. */
  handled(message: HandledMessage): void {
    this.counters.done += 1;
    this.events.emit('handled', message);
    this.waiters.check();
  }

  /** Resolves when every message received so far is handled. */
  waitForIdle(timeoutMs?: number, what = 'every received message to be handled'): Promise<void> {
    return this.waiters.wait(() => this.counters.done >= this.counters.received, timeoutMs, what);
  }

  /** Resolves once `count` messages in total are handled. */
  waitUntilHandled(count: number, timeoutMs?: number): Promise<void> {
    return this.waiters.wait(() => this.counters.done >= count, timeoutMs, `${count} messages to be handled`);
  }

  /** Fails every pending wait (the twin is closed). */
  closeWaits(): void {
    this.waiters.close();
  }
}
