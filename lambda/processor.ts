/**
 * Processing one reading end to end: validate, apply with the detector through
 * a guarded write, publish the anomaly events the write recorded.
 *
 * The profile store and the publisher are ports (`ports.ts`), so this runs
 * unchanged in Lambda, in the local twin and in tests. Why it is safe under
 * Lambda's delivery model is in `docs/design.md` ("Guarantees"); in short:
 * - writes are guarded by the state they were computed from; a stale view gets
 *   the current item back and is recomputed, so concurrent invocations never
 *   lose updates;
 * - the write that counts an anomaly event also records it (`LastEvent`, with
 *   the invocation's request id); the event is then published. If publishing
 *   fails, the event is kept as a pending event and the invocation throws;
 *   Lambda's retry (same request id) is recognised as already applied and only
 *   publishes. Any invocation that sees pending events publishes them.
 */
import type { AnomalyEvent } from '../contract/index.ts';
import { detect, type PrinterState, type Reading, type Verdict } from './core/detector.ts';
import { parseProfile, type StoredPrinter } from './core/profile.ts';
import { parseReading } from './core/reading.ts';
import { EventPublishError, WriteConflictError } from './errors.ts';
import type { EventPublisher, ProfileStore, Transition } from './ports.ts';

/**
 * What one reading did. `duplicate` and `late`: the device sent it again or
 * too late (by `seq` or `timestamp`); `redelivered`: Lambda delivered this
 * invocation again after its write had gone through.
 */
export type Outcome =
  | 'invalid'
  | 'unknown-printer'
  | 'bad-profile'
  | 'duplicate'
  | 'late'
  | 'redelivered'
  | 'in-bounds'
  | 'out-of-bounds'
  | 'event';

/** Every {@link Outcome}, in a stable order (for counters). */
export const OUTCOMES: readonly Outcome[] = [
  'invalid',
  'unknown-printer',
  'bad-profile',
  'duplicate',
  'late',
  'redelivered',
  'in-bounds',
  'out-of-bounds',
  'event',
];

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

type Rejection = { kind: 'unknown-printer' } | { kind: 'bad-profile'; reason: string };
type Loaded = { kind: 'ok'; printer: StoredPrinter } | Rejection;

/**
 * Where one reading stands in the write loop: `state` is what the next write
 * is computed from; `printer` is set when that state was read from the store
 * (not guessed from the cache), with the bookkeeping that came with it.
 */
interface View {
  state: PrinterState;
  printer: StoredPrinter | undefined;
}

/** Applies readings to printer profiles. Create one per container and reuse it. */
export class ReadingProcessor {
  private readonly store: ProfileStore;
  private readonly publisher: EventPublisher;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly cache: StateCache;

  constructor(options: ProcessorOptions) {
    this.store = options.store;
    this.publisher = options.publisher;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 60;
    this.cache = new StateCache(options.cacheSize ?? 50_000);
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

    let view: View;
    const cached = this.cache.get(printerId);
    if (cached !== undefined) {
      view = { state: cached, printer: undefined };
    } else {
      const loaded = await this.load(printerId);
      if (loaded.kind !== 'ok') return rejected(loaded, printerId, 0);
      view = { state: loaded.printer.state, printer: loaded.printer };
    }

    for (let attempt = 1; ; attempt += 1) {
      const conflicts = attempt - 1;
      const { printer } = view;
      if (printer?.lastEventRequestId === requestId) {
        // Lambda delivered this invocation again after its write went through: only publishing is left.
        const publishing = await this.publishEvents(printer, { retry: true, reading, ownEvent: undefined });
        return { outcome: 'redelivered', printerId, state: view.state, ...publishing, conflicts };
      }

      const verdict = detect(view.state, reading);
      if (!verdict.applied) {
        if (printer === undefined) {
          // Never skip on a cached guess: confirm against the stored item.
          const loaded = await this.load(printerId);
          if (loaded.kind !== 'ok') return rejected(loaded, printerId, conflicts);
          view = { state: loaded.printer.state, printer: loaded.printer };
          continue;
        }
        const publishing = await this.publishEvents(printer, { retry: false, reading, ownEvent: undefined });
        return { outcome: verdict.reason, printerId, state: view.state, ...publishing, conflicts };
      }

      const written = await this.write(view.state, reading, verdict, requestId);
      if (written.kind === 'applied') {
        const publishing = await this.publishEvents(written.printer, { retry: false, reading, ownEvent: written.ownEvent });
        const outcome = verdict.event ? 'event' : verdict.outOfBounds ? 'out-of-bounds' : 'in-bounds';
        return { outcome, printerId, state: written.printer.state, ...publishing, conflicts };
      }
      if (written.kind === 'rejected') return rejected(written.rejection, printerId, attempt);
      view = { state: written.printer.state, printer: written.printer };
      if (attempt >= this.maxAttempts) {
        throw new WriteConflictError(`printer ${printerId}: state kept changing over ${attempt} guarded writes; nothing was applied`);
      }
      await this.backoff(attempt);
    }
  }

  /**
   * One guarded write of an applied verdict. `applied`: it went through;
   * `changed`: the item changed since `expected` was read, here is the current
   * one; `rejected`: the item is gone or no longer a valid profile.
   */
  private async write(
    expected: PrinterState,
    reading: Reading,
    verdict: Extract<Verdict, { applied: true }>,
    requestId: string,
  ): Promise<
    | { kind: 'applied'; printer: StoredPrinter; ownEvent: string | undefined }
    | { kind: 'changed'; printer: StoredPrinter }
    | { kind: 'rejected'; rejection: Rejection }
  > {
    const appliedAt = this.now().toISOString();
    const ownEvent = verdict.event ? JSON.stringify(anomalyEvent(expected, reading, verdict.next.eventCount, appliedAt)) : undefined;
    const transition: Transition = {
      kind: verdict.event ? 'event' : verdict.outOfBounds ? 'increment' : 'reset',
      expected,
      reading,
      requestId,
      appliedAt,
      ...(ownEvent ? { event: ownEvent } : {}),
    };
    const result = await this.store.apply(transition);
    const current = result.item === undefined ? undefined : parseProfile(result.item);
    if (result.applied && current?.ok) {
      this.cache.set(current.printer.state);
      return { kind: 'applied', printer: current.printer, ownEvent };
    }
    this.cache.delete(expected.printerId);
    if (current === undefined) return { kind: 'rejected', rejection: { kind: 'unknown-printer' } };
    if (!current.ok) return { kind: 'rejected', rejection: { kind: 'bad-profile', reason: current.reason } };
    return { kind: 'changed', printer: current.printer };
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
    this.cache.set(parsed.printer.state);
    return { kind: 'ok', printer: parsed.printer };
  }

  /**
   * Publishes this invocation's own event, the pending events an earlier
   * invocation failed to publish, and on a redelivery the latest event again
   * (the first attempt may have died before publishing it). A failed publish
   * is kept as a pending event, so it is never lost. Throws
   * {@link EventPublishError} (Lambda retries) only when the retry cannot
   * double-count: the failed event is this invocation's own (its retry is
   * recognised by request id), this is already a redelivery, or the reading
   * has a `seq`.
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
}

function rejected(rejection: Rejection, printerId: string, conflicts: number): ProcessResult {
  return rejection.kind === 'bad-profile'
    ? { outcome: 'bad-profile', printerId, reason: rejection.reason, published: [], conflicts }
    : { outcome: 'unknown-printer', printerId, published: [], conflicts };
}

/** The event published when `reading` completes a window of the printer in `state`. */
function anomalyEvent(state: PrinterState, reading: Reading, events: number, at: string): AnomalyEvent {
  return {
    PrinterId: state.printerId,
    events,
    value: reading.value,
    window: state.window,
    thresholds: { Lower: state.lower, Upper: state.upper },
    at,
  };
}

function safeParseEvent(json: string): AnomalyEvent | undefined {
  try {
    const event = JSON.parse(json) as AnomalyEvent;
    return typeof event?.PrinterId === 'string' && typeof event.events === 'number' && typeof event.at === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Last known state per printer, least recently used first out: a guess that
 * saves a read (writes are guarded by it, so a stale guess costs one retry).
 */
class StateCache {
  private readonly states = new Map<string, PrinterState>();

  constructor(private readonly capacity: number) {}

  get(printerId: string): PrinterState | undefined {
    const state = this.states.get(printerId);
    if (state !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.states.delete(printerId);
      this.states.set(printerId, state);
    }
    return state;
  }

  set(state: PrinterState): void {
    this.states.delete(state.printerId);
    this.states.set(state.printerId, state);
    if (this.states.size > this.capacity) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }

  delete(printerId: string): void {
    this.states.delete(printerId);
  }
}
