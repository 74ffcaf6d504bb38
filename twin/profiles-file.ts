/**
 * Reading a profiles file (a JSON array of profiles) for the twin's
 * `--profiles`, `npm run seed` and `npm start`, validated by the detector's
 * own rules.
 */
import { readFile } from 'node:fs/promises';
import type { ProfileInput } from '../contract/index.ts';
import { type CheckOptions, parseProfiles } from '../lambda/core/profile-input.ts';
import { InvalidProfileError } from '../lambda/errors.ts';

/** A profiles file that cannot be seeded; the message is one line. */
export class ProfilesFileError extends Error {
  override readonly name = 'ProfilesFileError';
}

/**
 * Reads and validates a profiles file; errors read `file: reason`. `defaults`:
 * the fleet defaults its profiles inherit when the file brings none (the
 * table's `*`, for `npm run seed`).
 */
export async function loadProfilesFile(path: string, options: CheckOptions = {}): Promise<ProfileInput[]> {
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
    return parseProfiles(value, options);
  } catch (error) {
    if (!(error instanceof InvalidProfileError)) throw error;
    throw new ProfilesFileError(`${path}: ${(error as Error).message}`);
  }
}
