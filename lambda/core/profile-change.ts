/**
 * A change to one printer's user attributes, and the profile it leaves: what
 * every profile write (`npm run profile -- set`, `npm run seed`, `npm run
 * calibrate -- --write`, the API's PUT and PATCH, the twin's `--profiles`)
 * judges before anything is written, with the one validator and the fleet
 * defaults merged in (`docs/design.md`, "Writing profiles"). Pure.
 */
import { isRecord } from '../../common/guards.ts';
import { ATTR, FLEET_DEFAULTS_ID } from '../../contract/index.ts';
import { checkProfile, type ProfileCheck } from './profile-input.ts';
import { INHERITED_ATTRIBUTES, USER_ATTRIBUTES } from './rules.ts';

export type ProfileChange =
  /** The whole profile: a rule attribute it omits is removed (PUT, `npm run seed`). */
  | { readonly kind: 'replace'; readonly printerId: string; readonly profile: unknown }
  /** Only what it names: `set` attributes set, `unset` ones removed, every other one kept (PATCH, `profile set`, `calibrate --write`). */
  | {
      readonly kind: 'merge';
      readonly printerId: string;
      readonly set: Readonly<Record<string, unknown>>;
      readonly unset?: readonly string[];
      /** Set only where the stored profile has no such attribute (a new printer's Window from `calibrate --write`). */
      readonly ifAbsent?: Readonly<Record<string, unknown>>;
    };

/** The attributes a change may remove: the rule attributes (PrinterId and the counters stay). */
export const REMOVABLE_ATTRIBUTES: readonly string[] = [...INHERITED_ATTRIBUTES, ATTR.enrol];

/** The user attributes of a stored item (counters, bookkeeping and alarm left out). */
export function userAttributesOf(item: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  if (item === undefined) return profile;
  for (const key of USER_ATTRIBUTES) if (Object.hasOwn(item, key)) profile[key] = item[key];
  return profile;
}

/** Why a merge's own shape is wrong (before the profile it leaves is judged). */
function mergeReasons(change: Extract<ProfileChange, { kind: 'merge' }>): [field: string, reason: string][] {
  const reasons: [string, string][] = [];
  for (const name of change.unset ?? []) {
    if (!REMOVABLE_ATTRIBUTES.includes(name)) {
      reasons.push([name, `cannot unset "${name}": only ${REMOVABLE_ATTRIBUTES.join(', ')} can be removed`]);
    } else if (Object.hasOwn(change.set, name)) {
      reasons.push([name, `${name} is both set and unset`]);
    }
  }
  return reasons;
}

/**
 * The profile a change leaves on a printer whose stored item is `stored`
 * (undefined: there is none yet), judged as stored, with the fleet defaults
 * `defaults` (the `*` item, when there is one). For `*` itself, the defaults
 * are what is judged, as a partial profile.
 */
export function judgeChange(
  stored: Readonly<Record<string, unknown>> | undefined,
  change: ProfileChange,
  defaults: Readonly<Record<string, unknown>> | undefined,
): ProfileCheck {
  const inherit = change.printerId === FLEET_DEFAULTS_ID || defaults === undefined ? {} : { defaults: { ...defaults } };
  if (change.kind === 'replace') return checkProfile(change.profile, change.printerId, inherit);
  if (!isRecord(change.set)) return { ok: false, reasons: ['expected an object'] };
  const shape = mergeReasons(change);
  if (shape.length > 0) return { ok: false, reasons: shape.map(([, reason]) => reason), fields: Object.fromEntries(shape) };
  const profile: Record<string, unknown> = { ...change.ifAbsent, ...userAttributesOf(stored), ...change.set };
  for (const name of change.unset ?? []) delete profile[name];
  return checkProfile(profile, change.printerId, inherit);
}
