/**
 * Validating profiles as a user writes them (a profiles file, `npm run seed`,
 * `npm run profile`, the twin's `--profiles`) with the detector's own profile
 * rules. Pure.
 */
import { ATTR, type ProfileInput } from '../../contract/index.ts';
import { InvalidProfileError } from '../errors.ts';
import { parseProfile } from './profile.ts';
import { checkPrinterId } from './reading.ts';
import { isRecord } from '../../common/guards.ts';

/** Keys a profile may have; the counters are accepted (the original items have them) but never written. */
const KNOWN_KEYS = new Set([ATTR.printerId, ATTR.thresholds, ATTR.window, ATTR.outOfBoundsCount, ATTR.eventCount]);

/** The result of checking profiles: all of them, or every problem found (one line each, naming the entry and the field). */
export type ProfilesCheck = { readonly ok: true; readonly profiles: ProfileInput[] } | { readonly ok: false; readonly problems: string[] };

/** A profile every rule accepts, into which one field at a time is put to be judged. */
const VALID_REST = { [ATTR.printerId]: 'probe', [ATTR.thresholds]: { [ATTR.lower]: 0, [ATTR.upper]: 0 }, [ATTR.window]: 1 };

/** The detector's verdict on `fields`, all other fields being valid: its reason, or undefined when they pass. */
function ruleReason(fields: Record<string, unknown>): string | undefined {
  const parsed = parseProfile({ ...VALID_REST, ...fields });
  return parsed.ok ? undefined : parsed.reason;
}

/**
 * The detector's reasons for the fields of one entry. `parseProfile` stops at
 * its first reason; judging each field beside valid ones gets a reason for
 * every bad field while every verdict still comes from the detector's rules.
 * A last whole-profile check keeps this exactly as strict as the detector.
 */
function fieldReasons(entry: Record<string, unknown>): string[] {
  const thresholds = entry[ATTR.thresholds];
  const reasons: (string | undefined)[] = [];
  if (isRecord(thresholds)) {
    const lower = thresholds[ATTR.lower];
    const upper = thresholds[ATTR.upper];
    const lowerReason = ruleReason({ [ATTR.thresholds]: { [ATTR.lower]: lower, [ATTR.upper]: Number.MAX_VALUE } });
    const upperReason = ruleReason({ [ATTR.thresholds]: { [ATTR.lower]: -Number.MAX_VALUE, [ATTR.upper]: upper } });
    reasons.push(lowerReason, upperReason);
    if (lowerReason === undefined && upperReason === undefined) {
      reasons.push(ruleReason({ [ATTR.thresholds]: { [ATTR.lower]: lower, [ATTR.upper]: upper } }));
    }
  } else {
    reasons.push(ruleReason({ [ATTR.thresholds]: thresholds }));
  }
  reasons.push(ruleReason({ [ATTR.window]: entry[ATTR.window] }));
  for (const counter of [ATTR.outOfBoundsCount, ATTR.eventCount]) {
    if (Object.hasOwn(entry, counter)) reasons.push(ruleReason({ [counter]: entry[counter] }));
  }
  const found = reasons.filter((reason): reason is string => reason !== undefined);
  if (found.length > 0) return found;
  const whole = ruleReason({ [ATTR.thresholds]: thresholds, [ATTR.window]: entry[ATTR.window] });
  return whole === undefined ? [] : [whole];
}

/** One entry: its profile, or its problems (`where` names it in each). */
function checkEntry(entry: unknown, where: string): { id?: string; profile?: ProfileInput; problems: string[] } {
  if (!isRecord(entry)) return { problems: [`${where}: expected an object`] };
  const problems: string[] = [];
  const id = checkPrinterId(entry[ATTR.printerId]);
  if (!id.ok) problems.push(`${where}: ${id.reason}`);
  const named = id.ok ? `${where} (${id.id})` : where;
  for (const key of Object.keys(entry)) {
    if (!KNOWN_KEYS.has(key as never)) problems.push(`${named}: unknown attribute "${key}"`);
  }
  const thresholds = entry[ATTR.thresholds];
  if (isRecord(thresholds)) {
    for (const key of Object.keys(thresholds)) {
      if (key !== ATTR.lower && key !== ATTR.upper) problems.push(`${named}: unknown attribute "Thresholds.${key}"`);
    }
  }
  problems.push(...fieldReasons(entry).map((reason) => `${named}: ${reason}`));
  if (!id.ok) return { problems };
  if (problems.length > 0 || !isRecord(thresholds)) return { id: id.id, problems };
  return {
    id: id.id,
    profile: {
      PrinterId: id.id,
      Thresholds: { Lower: thresholds[ATTR.lower] as number, Upper: thresholds[ATTR.upper] as number },
      Window: entry[ATTR.window] as number,
    },
    problems,
  };
}

/**
 * Checks profiles (a JSON array of `{PrinterId, Thresholds: {Lower, Upper},
 * Window}`; with `single: 'allowed'`, also one such object) with the
 * detector's own profile rules, and reports every problem, not just the first.
 * Entries are named `profile N (PrinterId)`, or `profile (PrinterId)` for a
 * single object.
 */
export function checkProfiles(value: unknown, options: { single?: 'allowed' } = {}): ProfilesCheck {
  const single = options.single === 'allowed' && isRecord(value);
  if (!single && !Array.isArray(value)) {
    return {
      ok: false,
      problems: [options.single === 'allowed' ? 'expected a profile or a JSON array of profiles' : 'expected a JSON array of profiles'],
    };
  }
  const entries: unknown[] = single ? [value] : (value as unknown[]);
  const seen = new Set<string>();
  const profiles: ProfileInput[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const where = single ? 'profile' : `profile ${index + 1}`;
    const checked = checkEntry(entry, where);
    problems.push(...checked.problems);
    if (checked.id !== undefined) {
      if (seen.has(checked.id)) problems.push(`${where} (${checked.id}): PrinterId appears more than once`);
      seen.add(checked.id);
    }
    if (checked.profile) profiles.push(checked.profile);
  });
  return problems.length === 0 ? { ok: true, profiles } : { ok: false, problems };
}

/**
 * Validates profiles (a JSON array of `{PrinterId, Thresholds: {Lower, Upper},
 * Window}`) with the detector's own profile rules. Throws
 * {@link InvalidProfileError} with the first problem found (see
 * {@link checkProfiles} for all of them).
 */
export function parseProfiles(value: unknown): ProfileInput[] {
  const checked = checkProfiles(value);
  if (!checked.ok) throw new InvalidProfileError(checked.problems[0] ?? 'invalid profiles');
  return checked.profiles;
}
