/**
 * Validating profiles as a user writes them (a profiles file, `npm run seed`,
 * the twin's `--profiles`) with the detector's own profile rules. Pure.
 */
import { ATTR, type ProfileInput } from '../../contract/index.ts';
import { InvalidProfileError } from '../errors.ts';
import { parseProfile } from './profile.ts';
import { checkPrinterId } from './reading.ts';
import { isRecord } from '../../common/guards.ts';

/** Keys a profile may have; the counters are accepted (the original items have them) but never written. */
const KNOWN_KEYS = new Set([ATTR.printerId, ATTR.thresholds, ATTR.window, ATTR.outOfBoundsCount, ATTR.eventCount]);

/**
 * Validates profiles (a JSON array of `{PrinterId, Thresholds: {Lower, Upper},
 * Window}`) with the detector's own profile rules. Throws
 * {@link InvalidProfileError} naming the first bad entry.
 */
export function parseProfiles(value: unknown): ProfileInput[] {
  if (!Array.isArray(value)) throw new InvalidProfileError('expected a JSON array of profiles');
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    const where = `profile ${index + 1}`;
    if (!isRecord(entry)) throw new InvalidProfileError(`${where}: expected an object`);
    const id = checkPrinterId(entry[ATTR.printerId]);
    if (!id.ok) throw new InvalidProfileError(`${where}: ${id.reason}`);
    const named = `${where} (${id.id})`;
    const unknown = Object.keys(entry).find((key) => !KNOWN_KEYS.has(key as never));
    if (unknown !== undefined) throw new InvalidProfileError(`${named}: unknown attribute "${unknown}"`);
    const thresholds = entry[ATTR.thresholds];
    if (isRecord(thresholds)) {
      const extra = Object.keys(thresholds).find((key) => key !== ATTR.lower && key !== ATTR.upper);
      if (extra !== undefined) throw new InvalidProfileError(`${named}: unknown attribute "Thresholds.${extra}"`);
    }
    const parsed = parseProfile({ [ATTR.printerId]: id.id, [ATTR.thresholds]: thresholds, [ATTR.window]: entry[ATTR.window] });
    if (!parsed.ok) throw new InvalidProfileError(`${named}: ${parsed.reason}`);
    if (seen.has(id.id)) throw new InvalidProfileError(`${named}: PrinterId appears more than once`);
    seen.add(id.id);
    const { lower, upper, window } = parsed.printer.state;
    return { PrinterId: id.id, Thresholds: { Lower: lower, Upper: upper }, Window: window };
  });
}
