/**
 * Processing one reading end to end: validate, apply with the detector through
 * a guarded write, publish the anomaly events the write recorded.
 *
 * The profile store and the publisher are passed in (see `handler.ts` for the
 * AWS ones), so this runs unchanged in Lambda, in the local twin and in tests.
 *
 * Delivery guarantees (SPEC section 3):
 * - Writes are guarded by the state they were computed from; a stale view gets
 *   the current item back and is recomputed, so concurrent invocations never
 *   lose updates.
 * - The write that counts an anomaly event also records it (`LastEvent`, with
 *   the invocation's request id); the event is then published. If publishing
 *   fails, the event is kept in the item's outbox and the invocation throws;
 *   Lambda's retry (same request id) is recognised as already applied and only
 *   publishes. Any invocation that sees pending events publishes them.
 */
import { detect, type PrinterState, type Reading } from './core/detector.ts';
import { EventPublishError, WriteConflictError } from './errors.ts';
import { parseProfile, type StoredPrinter } from './core/profile.ts';
import type { ProfileStore, Transition } from './adapters/dynamodb-profile-store.ts';
import { parseReading } from './core/reading.ts';

/** The payload published to the prediction topic (SPEC section 1). */
export interface AnomalyEvent {
  readonly PrinterId: string;
  /** The printer's new EventCount. */
  readonly events: number;
  readonly value: number;
  readonly window: number;
  readonly thresholds: { readonly Lower: number; readonly Upper: number };
  /** ISO time the event was counted. */
  readonly at: string;
}

/** Publishes one anomaly event (QoS 1). Throws when it could not. */
export interface EventPublisher {
  publish(event: AnomalyEvent): Promise<void>;
}

export type Outcome = 'invalid' | 'unknown-printer' | 'bad-profile' | 'duplicate' | 'late' | 'in-bounds' | 'out-of-bounds' | 'event';

/** What processing one reading did. */
export interface ProcessResult {
  readonly outcome: Outcome;
  readonly printerId?: string;
  /** Why the reading or the profile was rejected. */
  readonly reason?: string;
  /** The printer's state after the reading. */
  readonly state?: PrinterState;
  /** Events this invocation published (its own and any left pending earlier). */
  readonly published: readonly AnomalyEvent[];
  /** Events this invocation failed to publish and kept pending for a later one. */
  readonly unpublished?: number;
  /** Guarded writes that found the item changed and were recomputed. */
  readonly conflicts: number;
}

export interface ProcessorOptions {
  readonly store: ProfileStore;
  readonly publisher: EventPublisher;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Guarded-write attempts before giving up with a {@link WriteConflictError}. @default 60 */
  readonly maxAttempts?: number;
  /** Printers whose last known state is cached per container. @default 50_000 */
  readonly cacheSize?: number;
  /** Wait before the next guarded-write attempt. @default jittered, up to 50 ms */
  readonly backoff?: (attempt: number) => Promise<void>;
}

const jitteredBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

type Loaded = { kind: 'ok'; printer: StoredPrinter } | { kind: 'unknown-printer' } | { kind: 'bad-profile'; reason: string };

/** Applies readings to printer profiles. Create one per container and reuse it. */
export class ReadingProcessor {
  private readonly store: ProfileStore;
  private readonly publisher: EventPublisher;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly cacheSize: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  /** Last known state per printer: a guess that saves a read; writes are guarded by it. */
  private readonly cache = new Map<string, PrinterState>();

  constructor(options: ProcessorOptions) {
    this.store = options.store;
    this.publisher = options.publisher;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 60;
    this.cacheSize = options.cacheSize ?? 50_000;
    this.backoff = options.backoff ?? jitteredBackoff;
  }

  /**
   * Processes one reading payload. Resolves for every permanent outcome
   * (including invalid input and bad profiles); rejects with a
   * `TransientError` when Lambda should retry.
   */
  async process(payload: unknown, requestId: string): Promise<ProcessResult> {
    const parsed = parseReading(payload);
    if (!parsed.ok) {
      return { outcome: 'invalid', reason: parsed.reason, printerId: parsed.printerId, published: [], conflicts: 0 };
    }
    const { reading } = parsed;
    const { printerId } = reading;

    let state = this.cacheGet(printerId);
    let printer: StoredPrinter | undefined;
    if (state === undefined) {
      const loaded = await this.load(printerId);
      if (loaded.kind !== 'ok') return this.rejected(loaded, printerId, 0);
      printer = loaded.printer;
      state = printer.state;
    }

    for (let attempt = 1; ; attempt += 1) {
      const conflicts = attempt - 1;
      // `printer` is set only when `state` comes from the store rather than the cache.
      if (printer?.lastEventRequestId === requestId) {
        // A retry of an invocation whose write went through: only publishing is left.
        const publishing = await this.publishEvents(printer, { retry: true, reading, ownEvent: undefined });
        return { outcome: 'duplicate', printerId, state, ...publishing, conflicts };
      }

      const verdict = detect(state, reading);
      if (!verdict.applied) {
        if (printer === undefined) {
          // Never skip on a cached guess: confirm against the stored item.
          const loaded = await this.load(printerId);
          if (loaded.kind !== 'ok') return this.rejected(loaded, printerId, conflicts);
          printer = loaded.printer;
          state = printer.state;
          continue;
        }
        const publishing = await this.publishEvents(printer, { retry: false, reading, ownEvent: undefined });
        return { outcome: verdict.reason, printerId, state, ...publishing, conflicts };
      }

      const appliedAt = this.now().toISOString();
      const ownEvent: AnomalyEvent | undefined = verdict.event
        ? {
            PrinterId: printerId,
            events: verdict.next.eventCount,
            value: reading.value,
            window: state.window,
            thresholds: { Lower: state.lower, Upper: state.upper },
            at: appliedAt,
          }
        : undefined;
      const transition: Transition = {
        kind: verdict.event ? 'event' : verdict.outOfBounds ? 'increment' : 'reset',
        expected: state,
        reading,
        requestId,
        appliedAt,
        ...(ownEvent ? { event: JSON.stringify(ownEvent) } : {}),
      };

      const result = await this.store.apply(transition);
      const current = result.item === undefined ? undefined : parseProfile(result.item);
      if (result.applied && current?.ok) {
        this.cacheSet(current.printer.state);
        const publishing = await this.publishEvents(current.printer, { retry: false, reading, ownEvent: transition.event });
        const outcome = verdict.event ? 'event' : verdict.outOfBounds ? 'out-of-bounds' : 'in-bounds';
        return { outcome, printerId, state: current.printer.state, ...publishing, conflicts };
      }

      // The item changed since `state` was read (or is gone, or is now invalid).
      this.cache.delete(printerId);
      if (current === undefined) return this.rejected({ kind: 'unknown-printer' }, printerId, attempt);
      if (!current.ok) return this.rejected({ kind: 'bad-profile', reason: current.reason }, printerId, attempt);
      printer = current.printer;
      state = printer.state;
      if (attempt >= this.maxAttempts) {
        throw new WriteConflictError(`printer ${printerId}: state kept changing over ${attempt} guarded writes; nothing was applied`);
      }
      await this.backoff(attempt);
    }
  }

  private async load(printerId: string): Promise<Loaded> {
    const item = await this.store.read(printerId);
    if (item === undefined) {
      this.cache.delete(printerId);
      return { kind: 'unknown-printer' };
    }
    const parsed = parseProfile(item);
    if (!parsed.ok) {
      this.cache.delete(printerId);
      return { kind: 'bad-profile', reason: parsed.reason };
    }
    this.cacheSet(parsed.printer.state);
    return { kind: 'ok', printer: parsed.printer };
  }

  private rejected(loaded: Exclude<Loaded, { kind: 'ok' }>, printerId: string, conflicts: number): ProcessResult {
    return loaded.kind === 'bad-profile'
      ? { outcome: 'bad-profile', printerId, reason: loaded.reason, published: [], conflicts }
      : { outcome: 'unknown-printer', printerId, published: [], conflicts };
  }

  /**
   * Publishes this invocation's own event, the events an earlier invocation
   * failed to publish, and on a retry the latest event again (the first
   * attempt may have died before publishing it). A failed publish is kept in
   * the item's outbox, so it is never lost. Throws {@link EventPublishError}
   * (Lambda retries) only when the retry cannot double-count: the failed event
   * is this invocation's own (its retry is recognised by request id), this is
   * already a retry, or the reading has a `seq`.
   */
  private async publishEvents(
    printer: StoredPrinter,
    context: { retry: boolean; reading: Reading; ownEvent: string | undefined },
  ): Promise<{ published: AnomalyEvent[]; unpublished: number }> {
    const due = new Set(printer.pendingEvents);
    if (context.ownEvent !== undefined) due.add(context.ownEvent);
    if (context.retry && printer.lastEvent !== undefined) due.add(printer.lastEvent);
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
        cleared.push(json); // not an event this code wrote: drop it rather than block the outbox
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

    if (failed.length > 0) {
      const retrySafe = context.retry || context.reading.seq !== undefined || failed.includes(context.ownEvent ?? '');
      if (retrySafe) {
        throw new EventPublishError(
          `printer ${printerId}: ${failed.length} anomaly event(s) counted, kept pending, not published yet: ${(firstError as Error)?.message ?? String(firstError)}`,
          { cause: firstError },
        );
      }
    }
    return { published, unpublished: failed.length };
  }

  private cacheGet(printerId: string): PrinterState | undefined {
    const state = this.cache.get(printerId);
    if (state !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.cache.delete(printerId);
      this.cache.set(printerId, state);
    }
    return state;
  }

  private cacheSet(state: PrinterState): void {
    this.cache.delete(state.printerId);
    this.cache.set(state.printerId, state);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
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
