/**
 * Moving a printer's alarm outside a reading: a clock tick (silence, snooze
 * expiry, re-notification) or an operator's action. Read the printer, step
 * its alarm, write the result guarded by the exact state it came from
 * (recomputing on a conflict, like the reading path), with the transitions
 * added to the pending outbox entries in the same write; then deliver them
 * (which clears them). Until they are delivered, the printer's deadline is
 * at most a minute away, so a crash between the write and the delivery, or
 * a delivery that fails, is retried by the next sweeps (or by the next
 * reading) even for a printer that never reports again.
 */
import { randomUUID } from 'node:crypto';
import { ATTR } from '../contract/index.ts';
import { type AlarmInput, type AlarmStep, alarmDeadline, stepAlarm } from './core/alarm.ts';
import type { AlarmTransition, PrinterState, StoredPrinter } from './core/types.ts';
import { groupTransitions, pacingOf, renotifyEntry } from './core/outbox.ts';
import { parseProfile } from './adapters/profile-item.ts';
import { alarmRules } from './core/step.ts';
import { WriteConflictError } from './errors.ts';
import type { FleetDefaults } from './fleet-defaults.ts';
import type { OutboxDelivery } from './outbox.ts';
import { withLastNotified } from './plans.ts';
import type { ProfileItem, ProfileStore } from './ports.ts';

/** How soon the clock comes back to a printer whose transitions are pending delivery. */
export const PENDING_RETRY_MS = 60_000;

export type AlarmWrite =
  | { readonly kind: 'unknown-printer' }
  | { readonly kind: 'bad-profile'; readonly reason: string }
  | { readonly kind: 'refused'; readonly step: Extract<AlarmStep, { ok: false }> }
  | {
      readonly kind: 'applied';
      readonly state: PrinterState;
      readonly transitions: readonly AlarmTransition[];
      readonly renotify?: number;
      /** Entries whose delivery failed, kept pending. */
      readonly undelivered: number;
    };

export class AlarmWriter {
  constructor(
    private readonly store: ProfileStore,
    private readonly delivery: OutboxDelivery,
    private readonly defaults: FleetDefaults,
    private readonly maxAttempts = 20,
  ) {}

  /** Applies the input that `input` makes of the printer's current state. */
  async apply(printerId: string, input: (state: PrinterState) => AlarmInput): Promise<AlarmWrite> {
    const defaults = await this.defaults.current();
    let item: ProfileItem | undefined = await this.store.read(printerId);
    for (let attempt = 1; ; attempt += 1) {
      if (item === undefined) return { kind: 'unknown-printer' };
      const parsed = parseProfile(item, defaults);
      if (!parsed.ok) return { kind: 'bad-profile', reason: parsed.reason };
      const { state } = parsed.printer;
      const alarmInput = input(state);
      const stepped = stepAlarm(state.alarm, alarmRules(state.rules), alarmInput);
      if (!stepped.ok) return { kind: 'refused', step: stepped };
      const grouped = groupTransitions(printerId, stepped.transitions, pacingOf(state, alarmInput.at));
      const next: PrinterState = withLastNotified({ ...state, alarm: stepped.alarm }, grouped.lastNotified);
      const entries = grouped.entries;
      if (stepped.renotify !== undefined && stepped.alarm.activation) {
        entries.push(renotifyEntry(printerId, stepped.alarm.activation, stepped.renotify));
      }
      // Entries left pending by an earlier delivery are delivered now; until they are, the clock keeps coming back.
      const pending = parsed.printer.pendingEntries.length > 0;
      if (entries.length === 0 && !pending && !this.deadlineMoved(parsed.printer, next, item)) {
        return { kind: 'applied', state, transitions: [], undelivered: 0 };
      }
      const dueBy = entries.length > 0 || pending ? alarmInput.at + PENDING_RETRY_MS : undefined;
      const result = await this.store.apply({
        kind: 'full',
        expected: state,
        next,
        requestId: randomUUID(),
        appliedAt: new Date(alarmInput.at).toISOString(),
        entries,
        record: 'pending',
        ...(dueBy !== undefined ? { dueBy } : {}),
      });
      if (result.applied) {
        const written = result.item === undefined ? { ok: true as const, printer: result.printer } : parseProfile(result.item, defaults);
        if (!written.ok) return { kind: 'bad-profile', reason: written.reason };
        const round = await this.delivery
          .deliver(written.printer, {
            retry: false,
            again: [],
            ownEntries: entries,
            ownRecorded: result.recorded === true,
            retrySafe: false,
          })
          .catch(() => ({ undelivered: entries.length }));
        if (dueBy !== undefined && round.undelivered === 0) {
          // Delivered: the clock need not come back for them; its deadline is the alarm's again.
          const due = alarmDeadline(written.printer.state.alarm, alarmRules(written.printer.state.rules));
          if (due === undefined || due > dueBy) await this.store.settleDeadline(printerId, dueBy, due);
        }
        return {
          kind: 'applied',
          state: written.printer.state,
          transitions: stepped.transitions,
          ...(stepped.renotify !== undefined ? { renotify: stepped.renotify } : {}),
          undelivered: round.undelivered,
        };
      }
      if (attempt >= this.maxAttempts) {
        throw new WriteConflictError(`printer ${printerId}: state kept changing over ${attempt} guarded writes; the alarm did not move`);
      }
      item = result.item;
    }
  }

  /** Whether the clock's deadline stored on the item is not the one the alarm now has (then the write corrects it). */
  private deadlineMoved(printer: StoredPrinter, next: PrinterState, item: ProfileItem): boolean {
    const due = alarmDeadline(next.alarm, alarmRules(next.rules));
    return item[ATTR.dueAt] !== due || printer.state.alarm.silenceAt !== next.alarm.silenceAt;
  }
}
