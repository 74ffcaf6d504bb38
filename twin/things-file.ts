/**
 * Reading a things file for the twin's `--things`: its thing registry, a JSON
 * object of thing name -> attributes (string values), as
 * `aws iot update-thing --attribute-payload` sets them, e.g.
 * `{"Gateway1": {"printers": "Printer2,Printer3"}}` (`docs/deploy.md`, "Device identity").
 */
import { readFile } from 'node:fs/promises';
import { isRecord } from '../common/guards.ts';

/** A things file the twin cannot serve; the message is one line. */
export class ThingsFileError extends Error {
  override readonly name = 'ThingsFileError';
}

/** Thing name -> attributes. */
export type Things = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** AWS IoT's rules for a thing name. */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/** Checks a parsed things file; throws a {@link ThingsFileError} naming the first bad entry. */
export function parseThings(value: unknown, file: string): Things {
  if (!isRecord(value)) throw new ThingsFileError(`${file}: expected a JSON object of thing name -> attributes`);
  for (const [name, attributes] of Object.entries(value)) {
    if (!THING_NAME.test(name)) {
      throw new ThingsFileError(`${file}: "${name}" is not a thing name (1 to 128 of a-z, A-Z, 0-9, :, _ and -)`);
    }
    if (!isRecord(attributes)) throw new ThingsFileError(`${file}: the attributes of ${name} must be an object of strings`);
    for (const [key, attribute] of Object.entries(attributes)) {
      if (typeof attribute !== 'string') {
        throw new ThingsFileError(
          `${file}: attribute ${key} of ${name} must be a string, got ${attribute === null ? 'null' : typeof attribute}`,
        );
      }
    }
  }
  return value as Things;
}

/** Reads and checks a things file; errors read `file: reason`. */
export async function loadThingsFile(path: string): Promise<Things> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ThingsFileError(`${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ThingsFileError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseThings(value, path);
}
