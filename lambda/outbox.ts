/**
 * Delivering what a write counted, so that nothing is ever lost
 * (`docs/design.md`, "Guarantees"): this invocation's own outbox entries, the
 * pending entries an earlier invocation failed to deliver, and on a
 * redelivery the latest write's entries again (the first attempt may have
 * died before delivering them). An entry is delivered to each of its sinks:
 * an anomaly event is recorded in history and published; an alarm
 * transition is recorded, published and, when notifiable, notified; a
 * re-notification is notified. An entry any sink failed is kept pending on
 * the item and delivered whole again later (history writes are idempotent;
 * publishing and notifying are then at least once).
 */
import type { AlarmTransitionPayload, AnomalyEvent } from '../contract/index.ts';
import { compareEntries, historyItemOf, notificationOf, type OutboxEntry, parseEntry } from './core/outbox.ts';
import type { StoredPrinter } from './core/types.ts';
import { DeliveryError } from './errors.ts';
import type { MqttPublisher, HistoryRecorder, Notifier, ProfileStore } from './ports.ts';

/** What one delivery round did. */
export interface DeliveryRound {
  readonly deliveredEvents: AnomalyEvent[];
  /** Alarm transitions delivered. */
  readonly transitions: AlarmTransitionPayload[];
  /** Entries that failed to deliver and were kept pending for a later invocation. */
  readonly undelivered: number;
}

export interface DeliveryContext {
  /** This invocation is a redelivery of one whose write went through (or of records applied before). */
  readonly retry: boolean;
  /** The entries that write counted, as recorded (JSON): delivered again, since its first attempt may have died before. */
  readonly again: readonly string[];
  /** The entries this invocation's own write counted (JSON, as recorded). */
  readonly ownEntries: readonly string[];
  /**
   * Whether a Lambda retry of this invocation cannot count twice (its write is
   * recognised by request id, or every reading had a `seq`): only then does a
   * failed delivery fail the invocation.
   */
  readonly retrySafe: boolean;
  /** The write recorded the history of its own entries with the state change: only the other sinks are left for them. */
  readonly ownRecorded?: boolean;
}

export interface OutboxSinks {
  readonly publisher: MqttPublisher;
  /** @default none: nothing is recorded */
  readonly history?: HistoryRecorder;
  /** @default none: nothing is notified */
  readonly notifier?: Notifier;
}

export class OutboxDelivery {
  constructor(
    private readonly store: ProfileStore,
    private readonly sinks: OutboxSinks,
  ) {}

  /**
   * Delivers what is due, in order. Throws {@link DeliveryError} (Lambda
   * retries) when a delivery failed and the retry cannot double-count.
   */
  async deliver(printer: StoredPrinter, context: DeliveryContext): Promise<DeliveryRound> {
    const due = new Set(printer.pendingEntries);
    for (const entry of context.ownEntries) due.add(entry);
    for (const entry of context.again) due.add(entry);
    if (due.size === 0) return { deliveredEvents: [], transitions: [], undelivered: 0 };

    const pending = new Set(printer.pendingEntries);
    const deliveredEvents: AnomalyEvent[] = [];
    const transitions: AlarmTransitionPayload[] = [];
    const cleared: string[] = [];
    const failed: string[] = [];
    let firstError: unknown;
    const readable: { json: string; entry: OutboxEntry }[] = [];
    for (const json of due) {
      const entry = parseEntry(json);
      if (entry === undefined)
        cleared.push(json); // not an entry this code wrote: drop it rather than block the others
      else readable.push({ json, entry });
    }
    readable.sort((a, b) => compareEntries(a.entry, b.entry));
    // History first, all of a round in one request, so that what consumers hear of is already readable.
    // What was recorded with the state change is not recorded again; entries redelivered or left pending are (idempotent, rare).
    const toRecord = context.ownRecorded ? readable.filter(({ json }) => !context.ownEntries.includes(json)) : readable;
    const recorded = await this.record(toRecord.map(({ entry }) => entry));
    for (const { json, entry } of readable) {
      try {
        if (!recorded.ok && historyItemOf(entry) !== undefined) throw recorded.error;
        await this.deliverToSinks(entry);
        if (entry.kind === 'event') deliveredEvents.push(entry.event);
        if (entry.kind === 'transition') transitions.push(entry.payload);
        if (pending.has(json)) cleared.push(json);
      } catch (error) {
        firstError ??= error;
        failed.push(json);
      }
    }
    const { printerId } = printer.state;
    await this.store.addPendingEntries(
      printerId,
      failed.filter((json) => !pending.has(json)),
    );
    await this.store.clearPendingEntries(printerId, cleared);

    const ownFailed = failed.some((json) => context.ownEntries.includes(json));
    if (failed.length > 0 && (context.retry || context.retrySafe || ownFailed)) {
      throw new DeliveryError(
        `printer ${printerId}: ${failed.length} counted event(s) or alarm transition(s) kept pending, not delivered yet: ${(firstError as Error)?.message ?? String(firstError)}`,
        { cause: firstError },
      );
    }
    return { deliveredEvents, transitions, undelivered: failed.length };
  }

  /** Records the entries' history items (an entry whose item could not be recorded is not delivered further). */
  private async record(entries: readonly OutboxEntry[]): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const { history } = this.sinks;
    const items = entries.flatMap((entry) => historyItemOf(entry) ?? []);
    if (history === undefined || items.length === 0) return { ok: true };
    try {
      await history.record(items);
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** The other sinks of one entry: MQTT, then SNS when notifiable. */
  private async deliverToSinks(entry: OutboxEntry): Promise<void> {
    const { publisher, notifier } = this.sinks;
    if (entry.kind === 'event') await publisher.publishEvent(entry.event);
    if (entry.kind === 'transition') await publisher.publishTransition(entry.payload);
    const notification = notificationOf(entry);
    if (notification !== undefined && notifier !== undefined) await notifier.notify(notification);
  }
}
