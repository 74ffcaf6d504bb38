/**
 * Processing one message end to end: validate, apply its readings with the
 * detector through one guarded write, deliver the outbox entries the write
 * counted. A message is one reading, or a batch of one printer's readings
 * folded in order into the same single write.
 *
 * The profile store and the publisher are ports (`ports.ts`), so this runs
 * unchanged in Lambda, in the local twin and in tests. Why it is safe under
 * Lambda's delivery model is in `docs/design.md` ("Guarantees"); in short:
 * - writes are guarded by the state they were computed from; a stale view gets
 *   the current item back and is recomputed, so concurrent invocations never
 *   lose updates;
 * - the write that counts outbox entries also records them (`RequestEntries`, under
 *   the invocation's request id); they are then delivered. If a delivery
 *   fails, they are kept as pending entries and the invocation throws; Lambda's
 *   retry (same request id) is recognised as already applied and only
 *   delivers. Any invocation that sees pending entries delivers them.
 */
import { type AlarmTransitionPayload, type AnomalyEvent, type DeviceIdentityMode, FLEET_DEFAULTS_ID, ATTR } from '../contract/index.ts';
import type { PrinterState, StoredPrinter } from './core/types.ts';
import { foreignSender, needsRegistry } from './core/identity.ts';
import { parseProfile } from './adapters/profile-item.ts';
import { latestEntries, wroteBefore } from './core/recorded.ts';
import { requestTag } from './core/request-tag.ts';
import { type InvalidElement, parseMessage } from './core/reading.ts';
import { ConfigurationError, WriteConflictError } from './errors.ts';
import { FleetDefaults } from './fleet-defaults.ts';
import { OutboxDelivery, type DeliveryRound } from './outbox.ts';
import type { MqttPublisher, HistoryRecorder, Notifier, ProfileItem, ProfileStore, ThingRegistry, GuardedWrite } from './ports.ts';
import {
  batchPlan,
  invalidMessage,
  type Outcome,
  type OutcomeCounts,
  type Plan,
  type StreamRecordReadings,
  singlePlan,
  streamPlan,
  summaryOutcome,
} from './plans.ts';

export { invalidMessage, OUTCOMES, type Outcome, type OutcomeCounts, type StreamRecordReadings } from './plans.ts';
import { StateCache } from './state-cache.ts';

/** What processing one message did. */
export interface ProcessResult {
  /** The message's outcome; for a batch, `event` when it counted one, else its readings' most telling outcome. */
  readonly outcome: Outcome;
  /** Each reading's outcome, counted (one reading for a single one; a batch's skipped elements are `invalid`). */
  readonly readings: OutcomeCounts;
  readonly printerId?: string;
  /** Why the message or the profile was rejected. */
  readonly reason?: string;
  /** A batch's elements that were skipped as invalid, with their reasons. */
  readonly invalidElements?: readonly InvalidElement[];
  /** The printer's state after the message. */
  readonly state?: PrinterState;
  /** Why readings were invalid for the printer's profile (a monitored metric missing or bad). */
  readonly invalidReadings?: readonly string[];
  /** Anomaly events this invocation delivered (its own and any left pending earlier). */
  readonly deliveredEvents: readonly AnomalyEvent[];
  /** Alarm transitions this invocation delivered. */
  readonly transitions?: readonly AlarmTransitionPayload[];
  /** Events or transitions this invocation failed to deliver and kept pending for a later one. */
  readonly undelivered?: number;
  /** Guarded writes that found the item changed and were recomputed. */
  readonly conflicts: number;
}

export interface ProcessorOptions {
  readonly store: ProfileStore;
  readonly publisher: MqttPublisher;
  /** Where anomaly events and alarm transitions are recorded. @default none */
  readonly history?: HistoryRecorder;
  /** Where alarm transitions are notified. @default none */
  readonly notifier?: Notifier;
  /** How long the fleet defaults (`*`) are kept before they are read again (ms). @default 30_000 */
  readonly defaultsTtlMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Guarded-write attempts before giving up with a {@link WriteConflictError}. @default 60 */
  readonly maxAttempts?: number;
  /** Printers whose last known state is cached per container. @default 50_000 */
  readonly cacheSize?: number;
  /** Wait before the next guarded-write attempt. @default jittered, up to 50 ms */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** Who may report for a printer; the registry answers for gateways in `thing` mode. @default { mode: 'any' } */
  readonly identity?: { readonly mode: DeviceIdentityMode; readonly registry?: ThingRegistry };
}

const jitteredBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

type Rejection = { kind: 'unknown-printer' } | { kind: 'bad-profile'; reason: string };
type Loaded = { kind: 'ok'; printer: StoredPrinter } | Rejection;

/** How the write loop ended. */
type Applied =
  | { readonly kind: 'rejected'; readonly rejection: Rejection; readonly conflicts: number }
  | {
      readonly kind: 'redelivered' | 'skipped' | 'written';
      readonly state: PrinterState;
      readonly readings: OutcomeCounts;
      readonly invalid?: readonly string[];
      readonly delivery: DeliveryRound;
      readonly conflicts: number;
    };

/**
 * Where one message stands in the write loop: `state` is what the next write
 * is computed from; `printer` is set when that state was read from the store
 * (not guessed from the cache), with the bookkeeping that came with it.
 */
interface View {
  state: PrinterState;
  printer: StoredPrinter | undefined;
}

/** The latest `capacity` strings added, oldest first out. */
class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(item: string): boolean {
    return this.items.has(item);
  }
  add(item: string): void {
    this.items.add(item);
    if (this.items.size > this.capacity) this.items.delete(this.items.values().next().value as string);
  }
}

/** Applies readings to printer profiles. Create one per container and reuse it. */
export class ReadingProcessor {
  private readonly store: ProfileStore;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly cache: StateCache;
  private readonly identity: NonNullable<ProcessorOptions['identity']>;
  private readonly outbox: OutboxDelivery;
  private readonly defaults: FleetDefaults;
  /** Tags of the request ids whose writes' entries this container delivered (the latest ones; `core/request-tag.ts`). */
  private readonly delivered = new RecentSet(10_000);

  constructor(options: ProcessorOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 60;
    this.cache = new StateCache(options.cacheSize ?? 50_000);
    this.backoff = options.backoff ?? jitteredBackoff;
    this.outbox = new OutboxDelivery(options.store, {
      publisher: options.publisher,
      ...(options.history ? { history: options.history } : {}),
      ...(options.notifier ? { notifier: options.notifier } : {}),
    });
    this.defaults = new FleetDefaults(options.store, this.now, options.defaultsTtlMs ?? 30_000, () => this.cache.clear());
    this.identity = options.identity ?? { mode: 'any' };
    if (this.identity.mode === 'thing' && this.identity.registry === undefined) {
      throw new ConfigurationError('device identity mode "thing" needs a thing registry');
    }
  }

  /**
   * Processes one message (a reading or a batch). Resolves for every
   * permanent outcome (including invalid input and bad profiles); rejects
   * with a `TransientError` when Lambda should retry.
   */
  async process(payload: unknown, requestId: string): Promise<ProcessResult> {
    const message = parseMessage(payload);
    if (!message.ok) return invalidMessage(message.reason, message.printerId);
    const { printerId, readings, invalid: invalidElements } = message;
    if (printerId === FLEET_DEFAULTS_ID)
      return invalidMessage(`PrinterId "${FLEET_DEFAULTS_ID}" is reserved for the fleet defaults`, printerId);
    const single = message.kind === 'single';
    const base = { printerId, ...(invalidElements.length > 0 ? { invalidElements } : {}) };
    const withInvalid = (counts: OutcomeCounts): OutcomeCounts =>
      invalidElements.length > 0 ? { ...counts, invalid: (counts.invalid ?? 0) + invalidElements.length } : counts;

    if (readings.length === 0) return { ...base, outcome: 'invalid', readings: withInvalid({}), deliveredEvents: [], conflicts: 0 };
    const foreign = await this.foreignSender(printerId, message.sender);
    if (foreign !== undefined) {
      const readingsOut = withInvalid({ 'foreign-printer': readings.length });
      return { ...base, outcome: 'foreign-printer', readings: readingsOut, reason: foreign, deliveredEvents: [], conflicts: 0 };
    }

    const arrival = () => this.now().getTime();
    const plan = single
      ? (state: PrinterState) => singlePlan(state, readings[0]!, requestId, arrival())
      : (state: PrinterState) => batchPlan(state, readings, requestId, arrival());
    // A batch write always records its request id, so its retry is recognised; a single reading's is by `seq`.
    const retrySafe = !single || readings[0]!.seq !== undefined;
    const result = await this.apply(printerId, requestId, plan, retrySafe);

    if (result.kind === 'rejected') {
      const { rejection, conflicts } = result;
      const reason = rejection.kind === 'bad-profile' ? { reason: rejection.reason } : {};
      return {
        ...base,
        ...reason,
        outcome: rejection.kind,
        readings: withInvalid({ [rejection.kind]: readings.length }),
        deliveredEvents: [],
        conflicts,
      };
    }
    const counts = result.kind === 'redelivered' ? { redelivered: readings.length } : result.readings;
    const invalidReadings = result.invalid !== undefined && result.invalid.length > 0 ? { invalidReadings: result.invalid } : {};
    const onlyInvalid = single && invalidReadings.invalidReadings !== undefined ? { reason: invalidReadings.invalidReadings[0] } : {};
    return {
      ...base,
      ...invalidReadings,
      ...onlyInvalid,
      outcome: summaryOutcome(counts),
      readings: withInvalid(counts),
      state: result.state,
      ...result.delivery,
      conflicts: result.conflicts,
    };
  }

  /**
   * Applies one printer's readings from stream records, in shard order, as
   * one guarded write. Records at or before the printer's last applied stream
   * position were applied already (Lambda delivered them again) and are
   * skipped; the write records the new position.
   */
  async processStream(printerId: string, records: readonly StreamRecordReadings[], requestId: string): Promise<ProcessResult> {
    const total = records.reduce((n, record) => n + record.readings.length, 0);
    const result = await this.apply(printerId, requestId, (state) => streamPlan(state, records, requestId, this.now().getTime()), true);
    if (result.kind === 'rejected') {
      const { rejection, conflicts } = result;
      const reason = rejection.kind === 'bad-profile' ? { reason: rejection.reason } : {};
      return { printerId, ...reason, outcome: rejection.kind, readings: { [rejection.kind]: total }, deliveredEvents: [], conflicts };
    }
    const readings = result.kind === 'redelivered' ? { redelivered: total } : result.readings;
    return {
      printerId,
      ...(result.invalid !== undefined && result.invalid.length > 0 ? { invalidReadings: result.invalid } : {}),
      outcome: summaryOutcome(readings),
      readings,
      state: result.state,
      ...result.delivery,
      conflicts: result.conflicts,
    };
  }

  /** Why `sender` may not report for `printerId` (device identity mode `thing`), or undefined when it may. */
  senderRefusal(printerId: string, sender: string | undefined): Promise<string | undefined> {
    return this.foreignSender(printerId, sender);
  }

  /**
   * The write loop: plans from the printer's state, writes with a guard, and
   * on a conflict recomputes from the item the store returned.
   */
  private async apply(printerId: string, requestId: string, plan: (state: PrinterState) => Plan, retrySafe: boolean): Promise<Applied> {
    let view: View;
    const cached = this.cache.get(printerId);
    if (cached !== undefined) {
      view = { state: cached, printer: undefined };
    } else {
      const loaded = await this.load(printerId, plan);
      if (loaded.kind !== 'ok') return { kind: 'rejected', rejection: loaded, conflicts: 0 };
      view = { state: loaded.printer.state, printer: loaded.printer };
    }

    const defaults = await this.defaults.current();
    if (cached !== undefined && this.cache.get(printerId) === undefined) {
      // The defaults changed since the cached state was computed (reading them dropped the cache): its rules are stale.
      const loaded = await this.load(printerId, plan);
      if (loaded.kind !== 'ok') return { kind: 'rejected', rejection: loaded, conflicts: 0 };
      view = { state: loaded.printer.state, printer: loaded.printer };
    }
    for (let attempt = 1; ; attempt += 1) {
      const conflicts = attempt - 1;
      const { printer } = view;
      if (printer !== undefined && wroteBefore(printer, requestId)) {
        // Lambda delivered this invocation again after its write went through: only delivery is left
        // (that write's entries again, unless a later write's have replaced them).
        const again = printer.state.recorded?.[requestTag(requestId)] ?? [];
        const delivery = await this.outbox.deliver(printer, { retry: true, again, ownEntries: [], retrySafe });
        if (delivery.undelivered === 0) this.delivered.add(requestTag(requestId));
        return { kind: 'redelivered', state: view.state, readings: {}, delivery, conflicts };
      }

      const planned = plan(view.state);
      if (planned.kind === 'skip') {
        if (printer === undefined) {
          // Never skip on a cached guess: confirm against the stored item.
          const loaded = await this.load(printerId, plan);
          if (loaded.kind !== 'ok') return { kind: 'rejected', rejection: loaded, conflicts };
          view = { state: loaded.printer.state, printer: loaded.printer };
          continue;
        }
        // A resent reading delivers its write's entries again, unless this container saw them delivered.
        const latest = printer.state.requests?.at(-1) ?? Object.keys(printer.state.recorded ?? {})[0];
        const resent = planned.resent === true && !this.delivered.has(latest ?? '');
        const retry = planned.redelivered === true || resent;
        const again = retry ? latestEntries(printer) : [];
        const delivery = await this.outbox.deliver(printer, { retry, again, ownEntries: [], retrySafe });
        if (retry && delivery.undelivered === 0 && latest !== undefined) this.delivered.add(latest);
        const invalid = planned.invalid ? { invalid: planned.invalid } : {};
        return { kind: 'skipped', state: view.state, readings: planned.readings, ...invalid, delivery, conflicts };
      }

      const written = await this.write(planned.write, defaults);
      if (written.kind === 'applied') {
        const own = { ownEntries: planned.events, ownRecorded: written.recorded };
        const delivery = await this.outbox.deliver(written.printer, { retry: false, again: [], ...own, retrySafe });
        if (planned.events.length > 0 && delivery.undelivered === 0) this.delivered.add(requestTag(requestId));
        const invalid = planned.invalid ? { invalid: planned.invalid } : {};
        return { kind: 'written', state: written.printer.state, readings: planned.readings, ...invalid, delivery, conflicts };
      }
      if (written.kind === 'rejected') return { kind: 'rejected', rejection: written.rejection, conflicts: attempt };
      view = { state: written.printer.state, printer: written.printer };
      if (attempt >= this.maxAttempts) {
        throw new WriteConflictError(`printer ${printerId}: state kept changing over ${attempt} guarded writes; nothing was applied`);
      }
      await this.backoff(attempt);
    }
  }

  /**
   * One guarded write. `applied`: it went through; `changed`: the item changed
   * since the write's expected state was read, here is the current one;
   * `rejected`: the item is gone or no longer a valid profile.
   */
  private async write(
    write: GuardedWrite,
    defaults: ProfileItem | undefined,
  ): Promise<
    | { kind: 'applied'; printer: StoredPrinter; recorded: boolean }
    | { kind: 'changed'; printer: StoredPrinter }
    | { kind: 'rejected'; rejection: Rejection }
  > {
    const result = await this.store.apply(write);
    if (result.applied && result.item === undefined) {
      this.cache.set(result.printer.state);
      return { kind: 'applied', printer: result.printer, recorded: true };
    }
    const current = result.item === undefined ? undefined : parseProfile(result.item, defaults);
    if (result.applied && current?.ok) {
      this.cache.set(current.printer.state);
      return { kind: 'applied', printer: current.printer, recorded: result.recorded === true };
    }
    this.cache.delete(write.expected.printerId);
    if (current === undefined) return { kind: 'rejected', rejection: { kind: 'unknown-printer' } };
    if (!current.ok) return { kind: 'rejected', rejection: { kind: 'bad-profile', reason: current.reason } };
    return { kind: 'changed', printer: current.printer };
  }

  /** Why the message's sender may not report for its printer (device identity mode `thing`), or undefined. */
  private async foreignSender(printerId: string, sender: string | undefined): Promise<string | undefined> {
    const { mode, registry } = this.identity;
    const gateway = needsRegistry(mode, printerId, sender) ? await registry!.gatewayPrinters(sender) : undefined;
    return foreignSender(mode, printerId, sender, gateway);
  }

  /**
   * Reads a printer's profile. A printer without one is enrolled when the
   * fleet defaults say `Enrol` and `plan` would apply at least one of its
   * readings under them (invalid readings create nothing).
   */
  private async load(printerId: string, plan?: (state: PrinterState) => Plan): Promise<Loaded> {
    let item: ProfileItem | undefined;
    let defaults: ProfileItem | undefined;
    if (this.defaults.stale()) {
      const read = await this.store.readWithDefaults(printerId);
      item = read.item;
      defaults = this.defaults.accept(read.defaults);
    } else {
      defaults = await this.defaults.current();
      item = await this.store.read(printerId);
    }
    if (item === undefined && plan !== undefined && this.defaults.enrols(defaults)) {
      const fresh = parseProfile({ [ATTR.printerId]: printerId }, defaults);
      if (fresh.ok && plan(fresh.printer.state).kind === 'write') item = await this.store.enrol(printerId);
    }
    if (item === undefined) {
      this.cache.delete(printerId);
      return { kind: 'unknown-printer' };
    }
    const parsed = parseProfile(item, defaults);
    if (!parsed.ok) {
      this.cache.delete(printerId);
      return { kind: 'bad-profile', reason: parsed.reason };
    }
    this.cache.set(parsed.printer.state);
    return { kind: 'ok', printer: parsed.printer };
  }
}
