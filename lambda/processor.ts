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
 * - An anomaly event is recorded in the item's outbox by the same write that
 *   counts it, published, then cleared. If publishing fails, the invocation
 *   throws; Lambda's retry (same request id) is recognised as already applied
 *   and only publishes. Events left pending by a failed invocation are
 *   published by the next invocation that sees them.
 */
import { detect, type PrinterState, type Reading } from './detector.ts';
import { EventPublishError, WriteConflictError } from './errors.ts';
import { parseProfile, type StoredPrinter } from './profile.ts';
import type { ProfileStore, Transition } from './profile-store.ts';
import { parseReading } from './reading.ts';

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

export type Outcome =
  | 'invalid'
  | 'unknown-printer'
  | 'bad-profile'
  | 'duplicate'
  | 'late'
  | 'in-bounds'
  | 'out-of-bounds'
  | 'event';

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
  /** Pending events this invocation failed to publish and left for a later one. */
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
  /** A pending event older than this is taken as abandoned and republished. @default 10_000 */
  readonly abandonedAfterMs?: number;
  /** Wait before the next guarded-write attempt. @default jittered, up to 50 ms */
  readonly backoff?: (attempt: number) => Promise<void>;
}

const jitteredBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

type Loaded =
  | { kind: 'ok'; printer: StoredPrinter }
  | { kind: 'unknown-printer' }
  | { kind: 'bad-profile'; reason: string };

/** Applies readings to printer profiles. Create one per container and reuse it. */
export class ReadingProcessor {
  private readonly store: ProfileStore;
  private readonly publisher: EventPublisher;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly cacheSize: number;
  private readonly abandonedAfterMs: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  /** Last known state per printer: a guess that saves a read; writes are guarded by it. */
  private readonly cache = new Map<string, PrinterState>();

  constructor(options: ProcessorOptions) {
    this.store = options.store;
    this.publisher = options.publisher;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 60;
    this.cacheSize = options.cacheSize ?? 50_000;
    this.abandonedAfterMs = options.abandonedAfterMs ?? 10_000;
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
        const publishing = await this.publishPending(printer, { retry: true, reading, ownEvent: undefined });
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
        const publishing = await this.publishPending(printer, { retry: false, reading, ownEvent: undefined });
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
        const publishing = await this.publishPending(current.printer, { retry: false, reading, ownEvent });
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
        throw new WriteConflictError(
          `printer ${printerId}: state kept changing over ${attempt} guarded writes; nothing was applied`,
        );
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
   * Publishes this invocation's own event, plus pending events that look
   * abandoned (or all of them on a retry), then clears what was published.
   * Throws {@link EventPublishError} only when a retry cannot double-count:
   * the failed event is this invocation's own (its retry is recognised by
   * request id), or the reading has a `seq`.
   */
  private async publishPending(
    printer: StoredPrinter,
    context: { retry: boolean; reading: Reading; ownEvent: AnomalyEvent | undefined },
  ): Promise<{ published: AnomalyEvent[]; unpublished: number }> {
    if (printer.pendingEvents.length === 0) return { published: [], unpublished: 0 };
    const ownJson = context.ownEvent ? JSON.stringify(context.ownEvent) : undefined;
    const cutoff = this.now().getTime() - this.abandonedAfterMs;
    const due = printer.pendingEvents
      .map((json) => ({ json, event: safeParseEvent(json) }))
      .filter(({ json, event }) => context.retry || json === ownJson || event === undefined || Date.parse(event.at) <= cutoff)
      .sort((a, b) => (a.event?.events ?? 0) - (b.event?.events ?? 0));

    const published: AnomalyEvent[] = [];
    const done: string[] = [];
    const failures: { json: string; error: unknown }[] = [];
    for (const { json, event } of due) {
      if (event === undefined) {
        done.push(json); // not an event we wrote: drop it rather than block the outbox
        continue;
      }
      try {
        await this.publisher.publish(event);
        published.push(event);
        done.push(json);
      } catch (error) {
        failures.push({ json, error });
      }
    }
    await this.store.clearPendingEvents(printer.state.printerId, done);

    const mustRetry = failures.some(({ json }) => json === ownJson || context.retry) || (failures.length > 0 && context.reading.seq !== undefined);
    if (failures.length > 0 && mustRetry) {
      const first = failures[0]!;
      throw new EventPublishError(
        `printer ${printer.state.printerId}: ${failures.length} anomaly event(s) counted but not published yet: ${(first.error as Error)?.message ?? first.error}`,
        { cause: first.error },
      );
    }
    return { published, unpublished: failures.length };
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
    return typeof event?.PrinterId === 'string' && typeof event.events === 'number' && typeof event.at === 'string'
      ? event
      : undefined;
  } catch {
    return undefined;
  }
}
