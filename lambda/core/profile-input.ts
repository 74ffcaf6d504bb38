/**
 * Validating profiles as a user writes them (a profiles file, `npm run seed`,
 * `npm run profile`, the twin's `--profiles`, the operator API) with the
 * detector's own rules (`parseRules`, `checkDefaults`), so that what a command
 * accepts is what the detector runs. Pure.
 */
import { isRecord } from '../../common/guards.ts';
import { ATTR, FLEET_DEFAULTS_ID, type ProfileInput } from '../../contract/index.ts';
import { InvalidProfileError } from '../errors.ts';
import { checkPrinterId } from './reading.ts';
import { checkDefaults, checkDefaultsByField, type FieldReasons, parseRules, USER_ATTRIBUTES } from './rules.ts';

/** The counters: accepted (the original items have them) but never returned, so a write never resets them. */
const COUNTERS: readonly string[] = [ATTR.outOfBoundsCount, ATTR.eventCount];
const KNOWN_KEYS = new Set([...USER_ATTRIBUTES, ...COUNTERS]);

/** The result of checking profiles: all of them, or every problem found (one line each, naming the entry and the field). */
export type ProfilesCheck = { readonly ok: true; readonly profiles: ProfileInput[] } | { readonly ok: false; readonly problems: string[] };

/** The result of checking one profile: it, or every reason it is refused (one line each, naming the field). */
export type ProfileCheck =
  | { readonly ok: true; readonly profile: ProfileInput }
  /** `fields`: the same reasons per attribute, where a reason is about one (a form shows them beside each field). */
  | { readonly ok: false; readonly reasons: string[]; readonly fields?: FieldReasons };

export interface CheckOptions {
  /**
   * The fleet defaults (the `*` item) a printer's profile inherits from, so a
   * profile that leaves an attribute to them is judged as the detector will
   * run it. In a list, a `*` entry of the list takes their place.
   */
  readonly defaults?: Record<string, unknown>;
}

const isCount = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Reasons, and the same per attribute. */
interface Reasons {
  readonly reasons: string[];
  readonly fields: Record<string, string>;
}

function addReason(to: Reasons, field: string, reason: string): void {
  to.reasons.push(reason);
  to.fields[field] = to.fields[field] === undefined ? reason : `${to.fields[field]}; ${reason}`;
}

/** The reasons for an entry's attributes, its PrinterId aside. */
function attributeReasons(entry: Record<string, unknown>, isDefaults: boolean, defaults: Record<string, unknown> | undefined): Reasons {
  const found: Reasons = { reasons: [], fields: {} };
  for (const key of Object.keys(entry).filter((key) => !KNOWN_KEYS.has(key))) addReason(found, key, `unknown attribute "${key}"`);
  if (isDefaults) {
    found.reasons.push(...checkDefaults(entry));
    Object.assign(found.fields, checkDefaultsByField(entry));
  } else {
    const parsed = parseRules(entry, defaults);
    if (!parsed.ok) {
      found.reasons.push(...parsed.reasons);
      Object.assign(found.fields, parsed.fields);
    }
    // Only the defaults enrol printers; on a printer it would be silently without effect.
    if (Object.hasOwn(entry, ATTR.enrol)) {
      addReason(found, ATTR.enrol, `Enrol applies only to the fleet defaults (PrinterId "${FLEET_DEFAULTS_ID}")`);
    }
  }
  for (const counter of COUNTERS) {
    if (Object.hasOwn(entry, counter) && !isCount(entry[counter])) addReason(found, counter, `${counter} must be a non-negative integer`);
  }
  return found;
}

/** The user attributes the entry gives, exactly (neither counters nor inherited defaults). */
function userAttributes(entry: Record<string, unknown>, printerId: string): ProfileInput {
  const profile: Record<string, unknown> = {};
  for (const key of USER_ATTRIBUTES) if (Object.hasOwn(entry, key)) profile[key] = entry[key];
  profile[ATTR.printerId] = printerId;
  // The defaults may lack Thresholds and Window: they are a partial profile by design.
  return profile as unknown as ProfileInput;
}

function checkId(value: unknown): { ok: true; id: string } | { ok: false; reason: string } {
  return value === FLEET_DEFAULTS_ID ? { ok: true, id: FLEET_DEFAULTS_ID } : checkPrinterId(value);
}

/** One entry: its id when readable, its profile when valid, and its reasons (PrinterId's first). */
function checkEntry(
  entry: Record<string, unknown>,
  id: { ok: true; id: string } | { ok: false; reason: string },
  defaults: Record<string, unknown> | undefined,
): { id?: string; profile?: ProfileInput; reasons: string[]; fields: FieldReasons } {
  const isDefaults = id.ok && id.id === FLEET_DEFAULTS_ID;
  const attributes = attributeReasons(entry, isDefaults, defaults);
  const reasons = [...(id.ok ? [] : [id.reason]), ...attributes.reasons];
  const fields = id.ok ? attributes.fields : { [ATTR.printerId]: id.reason, ...attributes.fields };
  if (!id.ok) return { reasons, fields };
  return reasons.length > 0 ? { id: id.id, reasons, fields } : { id: id.id, profile: userAttributes(entry, id.id), reasons, fields };
}

/**
 * Checks one profile object (the operator API's body). With `printerId` (the
 * printer the request names), the body's PrinterId may be omitted and must
 * otherwise be the same.
 */
export function checkProfile(entry: unknown, printerId?: string, options: CheckOptions = {}): ProfileCheck {
  if (!isRecord(entry)) return { ok: false, reasons: ['expected an object'] };
  let id = checkId(printerId ?? entry[ATTR.printerId]);
  if (printerId !== undefined && Object.hasOwn(entry, ATTR.printerId) && entry[ATTR.printerId] !== printerId) {
    id = { ok: false, reason: `PrinterId is ${JSON.stringify(entry[ATTR.printerId])} but the profile is for ${JSON.stringify(printerId)}` };
  }
  const checked = checkEntry(entry, id, options.defaults);
  return checked.profile ? { ok: true, profile: checked.profile } : { ok: false, reasons: checked.reasons, fields: checked.fields };
}

/** The fleet defaults a list brings (its `*` entry), else the given ones. */
function listDefaults(entries: readonly unknown[], given: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const own = entries.find((entry): entry is Record<string, unknown> => isRecord(entry) && entry[ATTR.printerId] === FLEET_DEFAULTS_ID);
  return own ?? given;
}

/**
 * Checks profiles (a JSON array of profile objects; with `single: 'allowed'`,
 * also one such object) with the detector's own rules, and reports every
 * problem, not just the first. Entries are named `profile N (PrinterId)`, or
 * `profile (PrinterId)` for a single object. An entry with PrinterId `*` is
 * the fleet defaults: partial, and inherited by the other entries.
 */
export function checkProfiles(value: unknown, options: { single?: 'allowed' } & CheckOptions = {}): ProfilesCheck {
  const single = options.single === 'allowed' && isRecord(value);
  if (!single && !Array.isArray(value)) {
    return {
      ok: false,
      problems: [options.single === 'allowed' ? 'expected a profile or a JSON array of profiles' : 'expected a JSON array of profiles'],
    };
  }
  const entries: readonly unknown[] = single ? [value] : (value as unknown[]);
  const defaults = listDefaults(entries, options.defaults);
  const seen = new Set<string>();
  const profiles: ProfileInput[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const where = single ? 'profile' : `profile ${index + 1}`;
    if (!isRecord(entry)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    const checked = checkEntry(entry, checkId(entry[ATTR.printerId]), defaults);
    const named = checked.id === undefined ? where : `${where} (${checked.id})`;
    problems.push(...checked.reasons.map((reason) => `${named}: ${reason}`));
    if (checked.id !== undefined) {
      if (seen.has(checked.id)) problems.push(`${named}: PrinterId appears more than once`);
      seen.add(checked.id);
    }
    if (checked.profile) profiles.push(checked.profile);
  });
  return problems.length === 0 ? { ok: true, profiles } : { ok: false, problems };
}

/**
 * Validates profiles (a JSON array of profile objects) with the detector's
 * own rules. Throws {@link InvalidProfileError} with the first problem found
 * (see {@link checkProfiles} for all of them).
 */
export function parseProfiles(value: unknown, options: CheckOptions = {}): ProfileInput[] {
  const checked = checkProfiles(value, options);
  if (!checked.ok) throw new InvalidProfileError(checked.problems[0] ?? 'invalid profiles');
  return checked.profiles;
}
