/**
 * `npm run gen-data`: writes a deterministic replay file of printer readings
 * (see `emitter/generate.ts`) and prints what each printer's stream holds.
 */
import { CliError, UsageError, intOption, runCli } from './kit.ts';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { ProfileInput } from '../contract/index.ts';
import { summarizeStreams } from '../emitter/expected.ts';
import { fleetProfiles, formatReadings, generateReadings } from '../emitter/generate.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';

const DEFAULT_PROFILES = 'data/printer_profiles.json';
const DEFAULT_OUT = 'data/printer_iot_data.json';
const DEFAULT_READINGS = 4000;
const DEFAULT_SEED = '42';

const spec = {
  usage: 'npm run gen-data -- [--printers N] [--readings M] [--seed S] [--profiles FILE] [--out FILE] [--force]',
  summary:
    "Generates a deterministic replay of printer readings: values inside each profile's band, excursions out of bounds " +
    'long enough to produce anomaly events, near-misses shorter than the window, and values exactly on a threshold. ' +
    'Writes a JSON array with one reading per line and prints a per-printer summary. The same options always give the same file. ' +
    'An existing file is overwritten only with --force.',
  options: {
    printers: { type: 'string' },
    readings: { type: 'string' },
    seed: { type: 'string' },
    profiles: { type: 'string' },
    out: { type: 'string' },
    'profiles-out': { type: 'string' },
    force: { type: 'boolean' },
  },
  help: {
    printers: 'number of printers (default: one per profile; beyond that, derived profiles the backend does not know unless seeded)',
    readings: `readings in all, shared evenly between the printers (default ${DEFAULT_READINGS})`,
    seed: `seed of the generator: any text or number (default ${DEFAULT_SEED})`,
    profiles: `printer profiles, a JSON array (default ${DEFAULT_PROFILES})`,
    out: `where to write the readings (default ${DEFAULT_OUT}; - for stdout)`,
    'profiles-out': 'also write the profiles of the whole fleet (given and derived) to this file, e.g. to seed them',
    force: `overwrite --out and --profiles-out if they exist (${DEFAULT_OUT} is the committed replay file)`,
  },
} as const;

/** Per-printer rows printed at most; a larger fleet gets the first ones and the totals. */
const MAX_SUMMARY_ROWS = 50;

/** Writes `text` and waits until it is handed to the OS: the CLI exits right after, and pipes are asynchronous. */
function flushed(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
}

const alreadyExists = (flag: string, file: string) =>
  new CliError(`${file} exists: pass --force to overwrite it, or choose another --${flag}`);

/** Refuses to overwrite `file` without `--force`, before anything is generated. */
function refuseExisting(flag: string, file: string, force: boolean): void {
  let existing: ReturnType<typeof statSync>;
  try {
    existing = statSync(file, { throwIfNoEntry: false });
  } catch {
    return; // not there in a way the write names better (a file in the way of its folder...)
  }
  if (existing?.isDirectory()) throw new CliError(`cannot write ${file}: it is a folder`);
  if (existing !== undefined && !force) throw alreadyExists(flag, file);
}

/** What a failed write says, in one line. */
function writeErrorReason(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no such folder';
    case 'ENOTDIR':
      return 'a file is in the way of its folder';
    case 'EISDIR':
      return 'it is a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only filesystem';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return code ?? 'unknown error';
  }
}

/**
 * Writes `text` to `file` (created: `wx`, unless `force`), failing with one
 * line naming the file: a missing folder, a file that appeared since the check.
 */
async function writeOutput(flag: string, file: string, text: string, force: boolean): Promise<void> {
  try {
    await writeFile(file, text, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw alreadyExists(flag, file);
    throw new CliError(`cannot write ${file}: ${writeErrorReason(code)}`);
  }
}

/** The profiles file, validated by the detector's own profile rules (as `npm run seed` reads it). */
async function readProfiles(file: string): Promise<ProfileInput[]> {
  let profiles: ProfileInput[];
  try {
    profiles = await loadProfilesFile(file);
  } catch (error) {
    if (error instanceof ProfilesFileError) throw new CliError(error.message);
    throw error;
  }
  if (profiles.length === 0) throw new CliError(`${file}: expected a non-empty JSON array of profiles`);
  return profiles;
}

await runCli(spec, async (values) => {
  const profilesFile = values.profiles ?? DEFAULT_PROFILES;
  const out = values.out ?? DEFAULT_OUT;
  const readings = intOption('readings', values.readings, { min: 1, max: 50_000_000 }) ?? DEFAULT_READINGS;
  const seed = values.seed ?? DEFAULT_SEED;
  if (seed === '') throw new UsageError('--seed must not be empty');
  const force = values.force === true;
  if (out !== '-') refuseExisting('out', out, force);
  if (values['profiles-out'] !== undefined) refuseExisting('profiles-out', values['profiles-out'], force);
  const profiles = await readProfiles(profilesFile);
  const printers = intOption('printers', values.printers, { min: 1, max: 1_000_000 }) ?? profiles.length;

  const generated = generateReadings({ profiles, printers, readings, seed });
  const fleet = fleetProfiles(profiles, printers, seed);
  const text = formatReadings(generated);
  if (out === '-') await flushed(process.stdout, text);
  else await writeOutput('out', out, text, force);
  if (values['profiles-out'] !== undefined) {
    await writeOutput('profiles-out', values['profiles-out'], `[\n${fleet.map((p) => `  ${JSON.stringify(p)}`).join(',\n')}\n]\n`, force);
  }

  // The summary goes to stderr when the readings go to stdout.
  const report: string[] = [];
  const log = (line: string) => report.push(line);
  const summaries = summarizeStreams(fleet, generated);
  log(`${out === '-' ? 'stdout' : out}: ${generated.length} readings from ${printers} printers (seed ${seed})`);
  log(
    `${'printer'.padEnd(12)} ${'window'.padStart(6)} ${'readings'.padStart(8)} ${'out'.padStart(6)} ${'events'.padStart(6)} ${'near-miss'.padStart(9)} ${'on-limit'.padStart(8)}`,
  );
  const shown = summaries.length > MAX_SUMMARY_ROWS + 1 ? summaries.slice(0, MAX_SUMMARY_ROWS) : summaries;
  for (const s of shown) {
    const nearMisses = s.window === 1 ? 'n/a' : String(s.nearMisses);
    log(
      `${s.printerId.padEnd(12)} ${String(s.window).padStart(6)} ${String(s.readings).padStart(8)} ${String(s.outOfBounds).padStart(6)} ${String(s.events).padStart(6)} ${nearMisses.padStart(9)} ${String(s.onThreshold).padStart(8)}`,
    );
  }
  if (shown.length < summaries.length) log(`... and ${summaries.length - shown.length} more printers`);
  const thin = summaries.filter((s) => s.events === 0 || (s.window > 1 && s.nearMisses === 0)).map((s) => s.printerId);
  const total = summaries.reduce((sum, s) => sum + s.events, 0);
  log(`anomaly events in all: ${total}`);
  if (thin.length > 0)
    log(
      `note: too few readings for ${thin.length} printer(s) to show both an event and a near-miss (${thin.slice(0, 5).join(', ')}${thin.length > 5 ? ', ...' : ''}); raise --readings`,
    );
  if (printers > profiles.length) {
    log(
      `note: ${printers - profiles.length} printers have no profile in ${profilesFile}; the backend counts their readings as unknown ` +
        `unless their profiles are seeded${values['profiles-out'] ? ` (written to ${values['profiles-out']})` : ' (write them with --profiles-out FILE)'}`,
    );
  }
  await flushed(out === '-' ? process.stderr : process.stdout, `${report.join('\n')}\n`);
});
