/**
 * Seeding printer profiles: reading and validating a profiles file, and
 * writing profiles without ever resetting a printer's counters. Used by
 * `npm run seed`, the local twin (`--profiles`) and `npm start`.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFile } from 'node:fs/promises';
import { parseProfile } from '../core/profile.ts';
import { checkPrinterId } from '../core/reading.ts';
import { ATTR } from '../../contract/index.ts';

/** One printer's profile as a profiles file gives it. */
export interface ProfileInput {
  readonly PrinterId: string;
  readonly Thresholds: { readonly Lower: number; readonly Upper: number };
  readonly Window: number;
}

/** A profiles file (or value) that cannot be seeded; the message is one line. */
export class ProfilesFileError extends Error {
  override readonly name = 'ProfilesFileError';
}

/** Keys a profile may have; the counters are accepted (the original items have them) but never written. */
const KNOWN_KEYS = new Set([ATTR.printerId, ATTR.thresholds, ATTR.window, ATTR.outOfBoundsCount, ATTR.eventCount]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates profiles (a JSON array of `{PrinterId, Thresholds: {Lower, Upper},
 * Window}`) with the detector's own profile rules. Throws
 * {@link ProfilesFileError} naming the first bad entry.
 */
export function parseProfiles(value: unknown): ProfileInput[] {
  if (!Array.isArray(value)) throw new ProfilesFileError('expected a JSON array of profiles');
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    const where = `profile ${index + 1}`;
    if (!isRecord(entry)) throw new ProfilesFileError(`${where}: expected an object`);
    const id = checkPrinterId(entry[ATTR.printerId]);
    if (!id.ok) throw new ProfilesFileError(`${where}: ${id.reason}`);
    const named = `${where} (${id.id})`;
    const unknown = Object.keys(entry).find((key) => !KNOWN_KEYS.has(key as never));
    if (unknown !== undefined) throw new ProfilesFileError(`${named}: unknown attribute "${unknown}"`);
    const thresholds = entry[ATTR.thresholds];
    if (isRecord(thresholds)) {
      const extra = Object.keys(thresholds).find((key) => key !== ATTR.lower && key !== ATTR.upper);
      if (extra !== undefined) throw new ProfilesFileError(`${named}: unknown attribute "Thresholds.${extra}"`);
    }
    const parsed = parseProfile({ [ATTR.printerId]: id.id, [ATTR.thresholds]: thresholds, [ATTR.window]: entry[ATTR.window] });
    if (!parsed.ok) throw new ProfilesFileError(`${named}: ${parsed.reason}`);
    if (seen.has(id.id)) throw new ProfilesFileError(`${named}: PrinterId appears more than once`);
    seen.add(id.id);
    const { lower, upper, window } = parsed.printer.state;
    return { PrinterId: id.id, Thresholds: { Lower: lower, Upper: upper }, Window: window };
  });
}

/** Reads and validates a profiles file; errors read `file: reason`. */
export async function loadProfilesFile(path: string): Promise<ProfileInput[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ProfilesFileError(`${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProfilesFileError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseProfiles(value);
  } catch (error) {
    throw new ProfilesFileError(`${path}: ${(error as Error).message}`);
  }
}

/**
 * Writes profiles with one UpdateItem each: Thresholds and Window are set,
 * OutOfBoundsCount and EventCount are created at 0 only when missing, so
 * seeding again (or over live printers) never resets a counter.
 */
export async function seedProfiles(
  client: DynamoDBClient,
  tableName: string,
  profiles: readonly ProfileInput[],
  options: { concurrency?: number } = {},
): Promise<{ written: number }> {
  let next = 0;
  const worker = async () => {
    while (next < profiles.length) {
      const profile = profiles[next++]!;
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { [ATTR.printerId]: { S: profile.PrinterId } },
          UpdateExpression: 'SET #thr = :thr, #win = :win, #oob = if_not_exists(#oob, :zero), #ec = if_not_exists(#ec, :zero)',
          ExpressionAttributeNames: {
            '#thr': ATTR.thresholds,
            '#win': ATTR.window,
            '#oob': ATTR.outOfBoundsCount,
            '#ec': ATTR.eventCount,
          },
          ExpressionAttributeValues: {
            ':thr': {
              M: {
                [ATTR.lower]: { N: String(profile.Thresholds.Lower) },
                [ATTR.upper]: { N: String(profile.Thresholds.Upper) },
              },
            },
            ':win': { N: String(profile.Window) },
            ':zero': { N: '0' },
          },
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, profiles.length) }, worker));
  return { written: profiles.length };
}
