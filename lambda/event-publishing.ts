/**
 * Publishing the anomaly events a write counted, so that none is ever lost
 * (`docs/design.md`, "Guarantees"): this invocation's own events, the pending
 * events an earlier invocation failed to publish, and on a redelivery the
 * latest write's events again (the first attempt may have died before
 * publishing them). A failed publish is kept as a pending event on the item.
 */
import type { AnomalyEvent } from '../contract/index.ts';
import type { StoredPrinter } from './core/profile.ts';
import { EventPublishError } from './errors.ts';
import type { EventPublisher, ProfileStore } from './ports.ts';

/** What one publishing round did. */
export interface Publishing {
  readonly published: AnomalyEvent[];
  /** Events that failed to publish and were kept pending for a later invocation. */
  readonly unpublished: number;
}

export interface PublishContext {
  /** This invocation is a redelivery of one whose write went through: republish that write's events. */
  readonly retry: boolean;
  /** The events this invocation's own write counted (JSON, as recorded). */
  readonly ownEvents: readonly string[];
  /**
   * Whether a Lambda retry of this invocation cannot count twice (its write is
   * recognised by request id, or every reading had a `seq`): only then does a
   * failed publish fail the invocation.
   */
  readonly retrySafe: boolean;
}

export class EventPublishing {
  constructor(
    private readonly store: ProfileStore,
    private readonly publisher: EventPublisher,
  ) {}

  /**
   * Publishes what is due, in event-count order. Throws
   * {@link EventPublishError} (Lambda retries) when a publish failed and the
   * retry cannot double-count.
   */
  async publish(printer: StoredPrinter, context: PublishContext): Promise<Publishing> {
    const due = new Set(printer.pendingEvents);
    for (const event of context.ownEvents) due.add(event);
    if (context.retry) for (const event of printer.lastEvents) due.add(event);
    if (due.size === 0) return { published: [], unpublished: 0 };

    const pending = new Set(printer.pendingEvents);
    const published: AnomalyEvent[] = [];
    const cleared: string[] = [];
    const failed: string[] = [];
    let firstError: unknown;
    const ordered = [...due]
      .map((json) => ({ json, event: safeParseEvent(json) }))
      .sort((a, b) => (a.event?.events ?? 0) - (b.event?.events ?? 0));
    for (const { json, event } of ordered) {
      if (event === undefined) {
        cleared.push(json); // not an event this code wrote: drop it rather than block the pending events
        continue;
      }
      try {
        await this.publisher.publish(event);
        published.push(event);
        if (pending.has(json)) cleared.push(json);
      } catch (error) {
        firstError ??= error;
        failed.push(json);
      }
    }
    const { printerId } = printer.state;
    await this.store.addPendingEvents(
      printerId,
      failed.filter((json) => !pending.has(json)),
    );
    await this.store.clearPendingEvents(printerId, cleared);

    const ownFailed = failed.some((json) => context.ownEvents.includes(json));
    if (failed.length > 0 && (context.retry || context.retrySafe || ownFailed)) {
      throw new EventPublishError(
        `printer ${printerId}: ${failed.length} anomaly event(s) counted, kept pending, not published yet: ${(firstError as Error)?.message ?? String(firstError)}`,
        { cause: firstError },
      );
    }
    return { published, unpublished: failed.length };
  }
}

function safeParseEvent(json: string): AnomalyEvent | undefined {
  try {
    const event = JSON.parse(json) as AnomalyEvent;
    return typeof event?.PrinterId === 'string' && typeof event.events === 'number' && typeof event.at === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}
