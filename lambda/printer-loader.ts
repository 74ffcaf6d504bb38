/**
 * Reading a printer for the write loop: its profile item with the fleet
 * defaults, parsed, and the state cache kept in step with what was read.
 * Enrolment happens here: a printer without a profile gets one when the fleet
 * defaults say `Enrol` and the message would apply at least one reading.
 */
import { ATTR } from '../contract/index.ts';
import { parseProfile } from './adapters/profile-item.ts';
import type { StoredPrinter } from './core/types.ts';
import type { FleetDefaults } from './fleet-defaults.ts';
import type { Plan } from './plans.ts';
import type { ProfileItem, ProfileStore } from './ports.ts';
import type { StateCache } from './state-cache.ts';

/** Why a message is not applied to the printer. */
export type Rejection = { kind: 'unknown-printer' } | { kind: 'bad-profile'; reason: string };
export type Loaded = { kind: 'ok'; printer: StoredPrinter } | Rejection;
/** What a message does to a printer's state (`plans.ts`). */
export type Planner = (state: StoredPrinter['state']) => Plan;

/**
 * Whether a printer without a profile is enrolled: the fleet defaults say
 * `Enrol`, and under them the message applies at least one reading (invalid
 * readings create nothing).
 */
export function enrols(fleet: FleetDefaults, printerId: string, defaults: ProfileItem | undefined, plan: Planner): boolean {
  if (!fleet.enrols(defaults)) return false;
  const fresh = parseProfile({ [ATTR.printerId]: printerId }, defaults);
  return fresh.ok && plan(fresh.printer.state).kind === 'write';
}

export class PrinterLoader {
  constructor(
    private readonly store: ProfileStore,
    private readonly defaults: FleetDefaults,
    private readonly cache: StateCache,
  ) {}

  /** Reads a printer's profile, enrolling it when `plan` is given and {@link enrols} says so. */
  async load(printerId: string, plan?: Planner): Promise<Loaded> {
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
    if (item === undefined && plan !== undefined && enrols(this.defaults, printerId, defaults, plan)) {
      item = await this.store.enrol(printerId);
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
