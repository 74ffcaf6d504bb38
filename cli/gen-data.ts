/**
 * `npm run gen-data`: writes a deterministic replay file of printer readings
 * (see `emitter/generate.ts`, and `emitter/scenarios.ts` for `--scenario`)
 * and prints what each printer's stream holds, as the function's own core
 * computes it (`emitter/expected.ts`).
 */
import { CliError, UsageError, intOption, runCli } from './kit.ts';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { FLEET_DEFAULTS_ID, type ProfileInput } from '../contract/index.ts';
import { type StreamSummary, summarizeStreams } from '../emitter/expected.ts';
import { formatReadings, generateFleet, SCENARIOS, type Scenario } from '../emitter/generate.ts';
import { EPISODE_KINDS, type Episode } from '../emitter/scenarios.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';

const DEFAULT_PROFILES = 'data/printer_profiles.json';
const DEFAULT_OUT = 'data/printer_iot_data.json';
const DEFAULT_READINGS = 4000;
const DEFAULT_SEED = '42';

const spec = {
  usage:
    'npm run gen-data -- [--printers N] [--readings M] [--seed S] [--scenario drift|spikes|stuck|noisy|silence|mixed] ' +
    '[--profiles FILE] [--out FILE] [--force]',
  summary:
    "Generates a deterministic replay of printer readings: values inside each profile's band, excursions out of bounds " +
    'long enough to produce anomaly events, near-misses shorter than the window, and values exactly on a threshold. ' +
    'With --scenario (and for printers judged on named metrics such as temperature, humidity and vibration), the streams ' +
    'hold episodes of that kind instead: drift (slowly out of bounds and back), spikes (short, far out), stuck (a sensor ' +
    'repeating one value), noisy (wide jitter), silence (the printer stops reporting for a while), or mixed (all of them in turn). ' +
    "Writes a JSON array with one reading per line and prints a per-printer summary computed by the function's own detector " +
    'and alarm. The same options always give the same file. An existing file is overwritten only with --force.',
  options: {
    printers: { type: 'string' },
    readings: { type: 'string' },
    seed: { type: 'string' },
    scenario: { type: 'string' },
    profiles: { type: 'string' },
    out: { type: 'string' },
    'profiles-out': { type: 'string' },
    force: { type: 'boolean' },
  },
  help: {
    printers:
      'number of printers (default: one per profile; beyond that, derived profiles the backend does not know unless seeded: ' +
      'with --scenario, judged on named metrics in every window mode)',
    readings: `readings in all, shared evenly between the printers (default ${DEFAULT_READINGS})`,
    seed: `seed of the generator: any text or number (default ${DEFAULT_SEED})`,
    scenario: `what happens in every stream: ${SCENARIOS.join(', ')} (default: the original excursions; mixed for printers judged on named metrics)`,
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

const pad = (text: string | number, width: number, right = false) => (right ? String(text).padStart(width) : String(text).padEnd(width));

/** The original table: one row per printer with its window (printers with the original thresholds, no scenario). */
function originalTable(summaries: readonly StreamSummary[]): string[] {
  const lines = [
    `${'printer'.padEnd(12)} ${'window'.padStart(6)} ${'readings'.padStart(8)} ${'out'.padStart(6)} ${'events'.padStart(6)} ${'near-miss'.padStart(9)} ${'on-limit'.padStart(8)}`,
  ];
  for (const s of summaries) {
    const nearMisses = s.window === 1 ? 'n/a' : String(s.nearMisses);
    lines.push(
      `${s.printerId.padEnd(12)} ${String(s.window).padStart(6)} ${String(s.readings).padStart(8)} ${String(s.outOfBounds).padStart(6)} ${String(s.events).padStart(6)} ${nearMisses.padStart(9)} ${String(s.onThreshold).padStart(8)}`,
    );
  }
  return lines;
}

/** How many episodes of each kind, e.g. `drift 2, stuck 1`. */
function episodeCounts(episodes: readonly Episode[] | undefined): string {
  const counts = EPISODE_KINDS.map((kind) => [kind, (episodes ?? []).filter((e) => e.kind === kind).length] as const);
  const held = counts.filter(([, n]) => n > 0);
  return held.length === 0 ? '-' : held.map(([kind, n]) => `${kind} ${n}`).join(', ');
}

/** The table of a scenario fleet: window modes, severities, where each alarm ends, and the episodes. */
function scenarioTable(summaries: readonly StreamSummary[], episodes: ReadonlyMap<string, readonly Episode[]>): string[] {
  const header = ['printer', 'mode', 'readings', 'out', 'events', 'near-miss', 'severity', 'alarm', 'silent', 'notified', 'episodes'];
  const rows = summaries.map((s) => [
    s.printerId,
    s.mode,
    s.readings,
    s.outOfBounds,
    s.events,
    s.nearMisses,
    s.severity ?? '-',
    s.alarm,
    s.silences,
    s.notifications,
    episodeCounts(episodes.get(s.printerId)),
  ]);
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => String(row[c]).length)));
  const numeric = (c: number) => typeof rows[0]?.[c] === 'number';
  const line = (cells: readonly (string | number)[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? String(cell) : pad(cell, widths[c] ?? 0, numeric(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

await runCli(spec, async (values) => {
  const profilesFile = values.profiles ?? DEFAULT_PROFILES;
  const out = values.out ?? DEFAULT_OUT;
  const readings = intOption('readings', values.readings, { min: 1, max: 50_000_000 }) ?? DEFAULT_READINGS;
  const seed = values.seed ?? DEFAULT_SEED;
  if (seed === '') throw new UsageError('--seed must not be empty');
  const scenario = values.scenario as Scenario | undefined;
  if (scenario !== undefined && !SCENARIOS.includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${values.scenario}"`);
  }
  // Every option is checked before any file is looked at: a bad count is the one line to read.
  const printersOption = intOption('printers', values.printers, { min: 1, max: 1_000_000 });
  const force = values.force === true;
  if (out !== '-') refuseExisting('out', out, force);
  if (values['profiles-out'] !== undefined) refuseExisting('profiles-out', values['profiles-out'], force);
  const profiles = await readProfiles(profilesFile);
  const given = profiles.filter((p) => p.PrinterId !== FLEET_DEFAULTS_ID).length;
  if (given === 0) throw new CliError(`${profilesFile}: holds only the fleet defaults, no printer`);
  const printers = printersOption ?? given;

  const fleet = generateFleet({ profiles, printers, readings, seed, ...(scenario ? { scenario } : {}) });
  const generated = fleet.readings;
  const text = formatReadings(generated);
  if (out === '-') await flushed(process.stdout, text);
  else await writeOutput('out', out, text, force);
  const allProfiles = [...(fleet.defaults ? [fleet.defaults] : []), ...fleet.printers];
  if (values['profiles-out'] !== undefined) {
    await writeOutput(
      'profiles-out',
      values['profiles-out'],
      `[\n${allProfiles.map((p) => `  ${JSON.stringify(p)}`).join(',\n')}\n]\n`,
      force,
    );
  }

  // The summary goes to stderr when the readings go to stdout.
  const report: string[] = [];
  const log = (line: string) => report.push(line);
  const summaries = summarizeStreams(allProfiles, generated);
  const original = fleet.episodes.size === 0;
  const named = scenario ?? (original ? undefined : 'mixed');
  log(
    `${out === '-' ? 'stdout' : out}: ${generated.length} readings from ${printers} printers (seed ${seed}${named ? `, scenario ${named}` : ''})`,
  );
  const shown = summaries.length > MAX_SUMMARY_ROWS + 1 ? summaries.slice(0, MAX_SUMMARY_ROWS) : summaries;
  for (const line of original ? originalTable(shown) : scenarioTable(shown, fleet.episodes)) log(line);
  if (shown.length < summaries.length) log(`... and ${summaries.length - shown.length} more printers`);
  const thin = summaries.filter((s) => s.events === 0 || (original && s.window > 1 && s.nearMisses === 0)).map((s) => s.printerId);
  const total = summaries.reduce((sum, s) => sum + s.events, 0);
  log(`anomaly events in all: ${total}`);
  if (!original) log('alarms as if each reading arrived at its timestamp, the clock sweeping at every deadline');
  const some = `${thin.slice(0, 5).join(', ')}${thin.length > 5 ? ', ...' : ''}`;
  if (thin.length > 0 && original)
    log(`note: too few readings for ${thin.length} printer(s) to show both an event and a near-miss (${some}); raise --readings`);
  if (thin.length > 0 && !original)
    log(
      `note: no anomaly event for ${thin.length} printer(s) (${some}): their window mode does not catch these episodes, or --readings is too low`,
    );
  if (printers > given) {
    log(
      `note: ${printers - given} printers have no profile in ${profilesFile}; the backend counts their readings as unknown ` +
        `unless their profiles are seeded${values['profiles-out'] ? ` (written to ${values['profiles-out']})` : ' (write them with --profiles-out FILE)'}`,
    );
  }
  await flushed(out === '-' ? process.stderr : process.stdout, `${report.join('\n')}\n`);
});
