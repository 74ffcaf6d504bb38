/**
 * `npm run calibrate`: suggests each printer's Thresholds, metric by metric,
 * from recorded readings (`lambda/core/calibration.ts` says how and why), and
 * shows what the detector would have flagged and counted with them, beside
 * what it does with the current profiles: the live table's (the one `--write`
 * writes to), or a file's with `--profiles`, with the fleet defaults filled
 * in. Writes only with `--write`, through the same validation and writer as
 * `npm run profile -- set`, keeping each printer's Window, other rules and
 * counters, and only where the suggestion differs from what is stored.
 */
import { CliError, intOption, runCli, TARGET_RULE, UsageError } from './kit.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeTableError, resolveTableTarget, TABLE_TARGET_ALIASES, TABLE_TARGET_HELP, TABLE_TARGET_OPTIONS } from './aws-target.ts';
import type { ProfileInput } from '../contract/index.ts';
import { describeWrittenProfile, type ProfileChange, type ProfileWrites, writeProfileChanges } from '../lambda/adapters/profile-writer.ts';
import {
  calibrate,
  DEFAULT_CALIBRATION,
  suggestedProfiles,
  type CalibrationOptions,
  type MetricOutcome,
  type Outcome,
  type PrinterCalibration,
} from '../lambda/core/calibration.ts';
import { parseReading } from '../lambda/core/reading.ts';
import type { Reading } from '../lambda/core/types.ts';
import { loadReadingsFile } from '../emitter/readings-file.ts';
import { ReadingsFileError } from '../emitter/errors.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';
import { readStoredProfiles, suggestionWarnings, withFleetDefaults } from './calibrate-profiles.ts';
import { isDeepStrictEqual } from 'node:util';

const spec = {
  usage:
    'npm run calibrate -- --file READINGS [--profiles FILE] [--quantile 0.005] [--margin 0.1] [--min-readings 20] [--json] ' +
    '[--write] [--table NAME] [--region R] [--endpoint URL]',
  summary:
    'Suggests Thresholds (Lower, Upper) per printer and per metric from recorded readings (a JSON array or JSON Lines, as ' +
    'npm run emit replays): the q and 1-q quantiles of its values, each side widened by a margin of the range between them; runs ' +
    'of one repeated value count once, so spikes and a stuck sensor do not set the band. For each printer and metric it shows ' +
    'the readings, the current and the suggested band and the share of readings each flags, and per printer the anomaly events ' +
    "the detector would have counted under the printer's own rules (Window, Mode, adaptive bands): the profiles stored in the " +
    'table (the running twin, or the deployed one, as npm run profile finds it), or those of --profiles FILE, with the fleet ' +
    'defaults (*) filled in. It warns when a suggested band flags none of the readings the current one flags some of, and when ' +
    'it would have silenced events the current profile raised. Metrics with ' +
    'too few readings get no suggestion; a one-sided band stays one-sided. Nothing is written without --write; --write validates ' +
    'each profile as it will be stored (with the fleet defaults) and sets the suggestions as Thresholds (the original {Lower, Upper} for printers that only report value, else a map of ' +
    "metric to band keeping each band's Severity and Adaptive), keeping each printer's Window, other rules and counters, where the suggestion differs from what is stored.",
  options: {
    file: { type: 'string', short: 'f' },
    profiles: { type: 'string', short: 'p' },
    quantile: { type: 'string', short: 'q' },
    margin: { type: 'string', short: 'm' },
    'min-readings': { type: 'string' },
    json: { type: 'boolean' },
    write: { type: 'boolean' },
    ...TABLE_TARGET_OPTIONS,
  },
  help: {
    file: 'the recorded readings (required)',
    profiles: 'judge against the profiles in this file (e.g. data/printer_profiles.json) instead of those in the table',
    quantile: `q: the band is the q and 1-q quantiles, 0 < q < 0.5 (default ${DEFAULT_CALIBRATION.quantile})`,
    margin: `widen each side by this share of the inter-quantile range, >= 0 (default ${DEFAULT_CALIBRATION.margin})`,
    'min-readings': `fewer readings than this: no suggestion (default ${DEFAULT_CALIBRATION.minReadings})`,
    json: 'print JSON {options, printers: [...], written?} for scripts',
    write: 'write the suggested Thresholds into the profiles table where they differ (Window, other rules and counters kept)',
    ...TABLE_TARGET_HELP,
  },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
} as const;

/** A decimal number option within (min, max) or [min, max], or a {@link UsageError} naming it. */
function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  range: { min: number; max: number; open: boolean },
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const inside = range.open ? n > range.min && n < range.max : n >= range.min && n <= range.max;
  if (value.trim() === '' || !Number.isFinite(n) || !inside) {
    const bounds = range.open ? `between ${range.min} and ${range.max} (exclusive)` : `from ${range.min} to ${range.max}`;
    throw new UsageError(`--${name} must be a number ${bounds}, got "${value}"`);
  }
  return n;
}

async function loadReadings(readingsFile: string): Promise<Reading[]> {
  try {
    const payloads = await loadReadingsFile(readingsFile);
    // Every payload was validated by the same parser; this gives the detector's view of each (timestamps as epoch ms).
    return payloads.flatMap((payload) => {
      const parsed = parseReading(payload);
      return parsed.ok ? [parsed.reading] : [];
    });
  } catch (error) {
    if (error instanceof ReadingsFileError) throw new CliError(error.message);
    throw error;
  }
}

async function loadProfiles(file: string): Promise<ProfileInput[]> {
  try {
    return await loadProfilesFile(file);
  } catch (error) {
    if (error instanceof ProfilesFileError) throw new CliError(error.message);
    throw error;
  }
}

/** The stored user attributes of `ids` and the fleet defaults, from the table the flags pick. */
async function storedProfiles(ids: readonly string[], flags: Parameters<typeof resolveTableTarget>[0]) {
  const target = resolveTableTarget(flags);
  const client = new DynamoDBClient(target.clientConfig);
  try {
    return { stored: await readStoredProfiles(client, target.tableName, ids), where: `${target.tableName} at ${target.where}` };
  } catch (error) {
    throw describeTableError(error, target);
  } finally {
    client.destroy();
  }
}

const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`;

/** A band as people read it: `20 .. 80`, `>= 100` or `<= 240`. */
function bandText(band: MetricOutcome): string {
  if (band.Lower !== undefined && band.Upper !== undefined) return `${band.Lower} .. ${band.Upper}`;
  if (band.Lower !== undefined) return `>= ${band.Lower}`;
  return band.Upper !== undefined ? `<= ${band.Upper}` : 'adaptive';
}

/** The printer's window as people read it: `3`, `2 of 5` or `60 s`. */
function windowText(p: PrinterCalibration): string {
  if (p.mode === 'm-of-n') return `${p.window} of ${p.of}`;
  if (p.mode === 'duration') return `${p.durationSeconds} s`;
  return p.window === undefined ? '-' : String(p.window);
}

function metricCells(band: MetricOutcome | undefined): string[] {
  return band === undefined ? ['-', '-'] : [bandText(band), percent(band.flaggedShare)];
}

const eventsCell = (outcome: Outcome | undefined) => (outcome?.events === undefined ? '-' : String(outcome.events));

/** One row per printer and metric; the printer's columns (id, window, events) on its first row only. */
function rowsOf(p: PrinterCalibration): string[][] {
  return p.metrics.map((m, i) => {
    const first = i === 0;
    return [
      first ? p.PrinterId : '',
      m.metric,
      String(m.readings),
      first ? windowText(p) : '',
      ...metricCells(m.current),
      first ? eventsCell(p.current) : '',
      ...metricCells(m.suggested),
      first ? eventsCell(p.suggested) : '',
    ];
  });
}

function notesOf(p: PrinterCalibration): string[] {
  const outcome = p.current ?? p.suggested;
  return [
    ...(p.reason !== undefined ? [`${p.PrinterId}: ${p.reason}`] : []),
    ...p.metrics.flatMap((m) => (m.reason !== undefined ? [`${p.PrinterId}: no suggestion for ${m.metric}: ${m.reason}`] : [])),
    ...(p.suggested !== undefined && p.mode === undefined
      ? [`${p.PrinterId}: no profile in --profiles, so no window: events not counted`]
      : []),
    ...(outcome !== undefined && outcome.applied < p.readings
      ? [
          `${p.PrinterId}: ${p.readings - outcome.applied} reading(s) not applied by the detector (duplicate, late or without a monitored metric)`,
        ]
      : []),
  ];
}

/** The calibration as a table for people, with the reasons for metrics without a suggestion below it. */
function renderTable(printers: readonly PrinterCalibration[], options: CalibrationOptions): string {
  const header = ['Printer', 'Metric', 'Readings', 'Window', 'Current band', 'Flagged', 'Events', 'Suggested band', 'Flagged', 'Events'];
  const rows = printers.flatMap(rowsOf);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => ([0, 1, 4, 7].includes(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  const q = options.quantile;
  const notes = printers.flatMap(notesOf);
  return [
    `Band: the ${q} and ${1 - q} quantiles, widened by ${options.margin} of the range between them; events from fresh counters.`,
    '',
    line(header),
    ...rows.map(line),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

/**
 * Writes the suggestions as Thresholds, each judged as the profile it leaves (the stored one, merged with the fleet
 * defaults), through the writer `npm run profile -- set` uses: Window (but for a new printer), the other rules and the
 * counters are kept. A printer whose resulting profile is refused is reported; the others are written.
 */
async function writeSuggestions(
  profiles: readonly ProfileInput[],
  flags: Parameters<typeof resolveTableTarget>[0],
): Promise<ProfileWrites & { where: string; unchanged: number }> {
  const target = resolveTableTarget(flags);
  const where = `${target.tableName} at ${target.where}`;
  if (profiles.length === 0) return { written: [], refused: [], where, unchanged: 0 };
  const client = new DynamoDBClient(target.clientConfig);
  try {
    const stored = await readStoredProfiles(
      client,
      target.tableName,
      profiles.map((p) => p.PrinterId),
    );
    // A suggestion equal to the stored Thresholds changes nothing: it is not written (the revision stays).
    const changed = profiles.filter((p) => !isDeepStrictEqual(stored.get(p.PrinterId)?.['Thresholds'], p.Thresholds));
    const changes = changed.map(
      ({ PrinterId, Thresholds, Window }): ProfileChange => ({
        kind: 'merge',
        printerId: PrinterId,
        set: { Thresholds },
        // Only a new printer takes the judged Window: a stored one keeps its own, or goes on inheriting the fleet's.
        ...(Window !== undefined && !stored.has(PrinterId) ? { ifAbsent: { Window } } : {}),
      }),
    );
    const writes = changes.length === 0 ? { written: [], refused: [] } : await writeProfileChanges(client, target.tableName, changes);
    return { ...writes, where, unchanged: profiles.length - changed.length };
  } catch (error) {
    throw describeTableError(error, target);
  } finally {
    client.destroy();
  }
}

/** Why fewer profiles were written than printers calibrated: said with the count, so "0 profile(s)" never stands alone. */
function writtenWhy(
  result: { written: unknown[]; refused: unknown[]; unchanged: number },
  printers: readonly PrinterCalibration[],
): string {
  const reasons: string[] = [];
  if (result.unchanged > 0) {
    reasons.push(
      result.written.length === 0 && result.refused.length === 0
        ? 'every suggestion equals the stored profile'
        : `${result.unchanged} suggestion(s) equal the stored profile`,
    );
  }
  if (result.refused.length > 0) reasons.push(`${result.refused.length} refused (above)`);
  const suggested = suggestedProfiles(printers).length;
  if (suggested === 0) {
    const unprofiled = printers.filter((p) => p.mode === undefined).length;
    reasons.push(
      unprofiled > 0
        ? `no suggestion to write: ${unprofiled} printer(s) without a profile, the others without enough readings`
        : 'no suggestion to write: no printer has enough readings',
    );
  }
  return reasons.length === 0 ? '' : `: ${reasons.join('; ')}`;
}

await runCli(spec, async (values) => {
  if (values.file === undefined) throw new UsageError('--file READINGS is required (see --help)');
  const options: CalibrationOptions = {
    quantile: numberOption('quantile', values.quantile, DEFAULT_CALIBRATION.quantile, { min: 0, max: 0.5, open: true }),
    margin: numberOption('margin', values.margin, DEFAULT_CALIBRATION.margin, { min: 0, max: 100, open: false }),
    minReadings: intOption('min-readings', values['min-readings'], { min: 2, max: 1_000_000_000 }) ?? DEFAULT_CALIBRATION.minReadings,
  };
  const tableFlags = { table: values.table, region: values.region, endpoint: values.endpoint };
  const readings = await loadReadings(values.file);
  let source: string;
  let profiles: ProfileInput[];
  if (values.profiles !== undefined) {
    profiles = await loadProfiles(values.profiles);
    source = values.profiles;
  } else {
    const { stored, where } = await storedProfiles(
      readings.map((r) => r.printerId),
      tableFlags,
    );
    profiles = [...stored.values()] as unknown as ProfileInput[];
    source = where;
  }
  const printers = calibrate(readings, withFleetDefaults(profiles as unknown as Record<string, unknown>[]), options);
  const warnings = printers.flatMap(suggestionWarnings);
  const result = values.write ? await writeSuggestions(suggestedProfiles(printers), tableFlags) : undefined;

  for (const { printerId, reasons } of result?.refused ?? []) {
    process.stderr.write(`npm run calibrate: ${printerId}: not written, the profile it would leave is refused: ${reasons.join('; ')}\n`);
  }
  const exit = result !== undefined && result.refused.length > 0 ? 1 : 0;
  if (values.json) {
    const written = result?.written.map(({ profile, counters }) => ({ ...profile, ...counters }));
    const refused = result?.refused.map(({ printerId, reasons }) => ({ PrinterId: printerId, reasons }));
    const writes = written ? { written, refused, unchanged: result?.unchanged } : {};
    process.stdout.write(`${JSON.stringify({ options, profiles: source, printers, warnings, ...writes }, null, 2)}\n`);
    return exit;
  }
  process.stdout.write(`Current profiles: ${source}, with the fleet defaults (*) filled in.\n`);
  process.stdout.write(`${renderTable(printers, options)}\n\n`);
  if (warnings.length > 0) process.stdout.write(`${warnings.map((w) => `warning: ${w}`).join('\n')}\n\n`);
  if (result === undefined) {
    const count = suggestedProfiles(printers).length;
    process.stdout.write(`Nothing written: ${count} suggestion(s); run again with --write to set them as Thresholds.\n`);
    return;
  }
  for (const written of result.written) process.stdout.write(`${describeWrittenProfile(written)}\n`);
  process.stdout.write(`wrote ${result.written.length} profile(s) into ${result.where}${writtenWhy(result, printers)}\n`);
  return exit;
});
