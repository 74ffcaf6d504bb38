/**
 * `npm start`: the main job on the embedded default. Starts an in-memory local
 * twin on free ports, seeds the printer profiles and the sample fleet that
 * exercises the window modes and alarms (`data/fleet_profiles.json`, readings
 * made by `npm run gen-data -- --scenario mixed`), replays both readings files
 * through the emitter (the device SDK over TCP, QoS 1), waits until the
 * function has handled every acknowledged reading, counts the anomaly events
 * seen on `anom/pred` by a device subscriber, moves the clock ahead for one
 * sweep when a profile watches for silence or re-notifies, then prints the
 * ranked printers with their alarms and a summary. Exits 0, or 1 with one
 * line when anything did not add up. With `--ingest stream`, the twin feeds
 * the function through its Kinesis stream.
 */
import { alarmBadges } from '../dashboard/alarm-text.js';
import { CliError, runCli, UsageError } from './kit.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';
import { ReadingsFileError } from '../emitter/errors.ts';
import { loadReadingsFile } from '../emitter/readings-file.ts';
import { replay, type ReplaySummary } from '../emitter/replay.ts';
import {
  PREDICTION_TOPIC,
  type PrinterSummary,
  type ProfileInput,
  type ReadingPayload,
  INGEST_MODES,
  type IngestMode,
} from '../contract/index.ts';
import { DEFAULT_HTTP_PORT, IN_MEMORY_LOG_FILE } from '../twin/paths.ts';
import { subscribeTopic, type TopicSubscription } from '../emitter/subscriber.ts';
import { startTwin, TwinStartError, type Twin } from '../twin/twin.ts';
import { describeMode, isAdaptive } from '../emitter/expected.ts';
import { profileRules, splitDefaults } from '../emitter/fleet-profiles.ts';
import type { Rules } from '../lambda/core/types.ts';

const DEFAULT_PROFILES = 'data/printer_profiles.json';
const DEFAULT_READINGS = 'data/printer_iot_data.json';
const DEFAULT_SAMPLE_PROFILES = 'data/fleet_profiles.json';
const DEFAULT_SAMPLE_READINGS = 'data/fleet_iot_data.json';
/** Longest wait for the function to catch up with the acknowledged readings. */
const PROCESSING_TIMEOUT_MS = 120_000;
/** Longest wait for the published events to reach the subscriber. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** How far past the longest silence or re-notification period the clock is moved: well clear of a period's end. */
const CLOCK_MARGIN_MS = 90_000;

const spec = {
  usage:
    'npm start [-- [--readings FILE] [--profiles FILE] [--sample-readings FILE] [--sample-profiles FILE | --no-sample] [--ingest direct|stream]]',
  summary:
    'Runs the whole pipeline on an in-memory local twin, with no AWS account: seeds the printer profiles and a sample fleet ' +
    'that exercises the window modes (consecutive, m-of-n, duration, adaptive bands), severities and alarms, replays their ' +
    'readings with the emitter, waits until every reading is processed, moves the clock ahead for one sweep (silence and ' +
    're-notification), and prints the printers ranked by anomaly events with their alarms, and a summary. ' +
    `The function's log is written to ${IN_MEMORY_LOG_FILE} (npm run logs).`,
  options: {
    readings: { type: 'string' },
    profiles: { type: 'string' },
    'sample-readings': { type: 'string' },
    'sample-profiles': { type: 'string' },
    'no-sample': { type: 'boolean' },
    ingest: { type: 'string' },
  },
  help: {
    readings: `readings to replay, a JSON array or JSON Lines (default ${DEFAULT_READINGS})`,
    profiles: `printer profiles to seed (default ${DEFAULT_PROFILES})`,
    'sample-readings': `the sample fleet's readings, replayed beside --readings (default ${DEFAULT_SAMPLE_READINGS})`,
    'sample-profiles': `the sample fleet's profiles, with its fleet defaults (default ${DEFAULT_SAMPLE_PROFILES})`,
    'no-sample': 'leave the sample fleet out: only --profiles and --readings',
    ingest: 'direct: one asynchronous invocation per reading (default); stream: through a Kinesis stream, read in batches',
  },
} as const;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (line = '') => process.stdout.write(`${line}\n`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One set of files to seed and replay. */
interface Source {
  readonly profilesFile: string;
  readonly readingsFile: string;
  readonly profiles: ProfileInput[];
  readonly readings: ReadingPayload[];
}

async function loadSource(profilesFile: string, readingsFile: string): Promise<Source> {
  try {
    const readings = await loadReadingsFile(readingsFile);
    return { profilesFile, readingsFile, profiles: await loadProfilesFile(profilesFile), readings };
  } catch (error) {
    if (error instanceof ReadingsFileError || error instanceof ProfilesFileError) throw new CliError(error.message);
    throw error;
  }
}

/** The sample's printers must not be the main file's: a second profile would replace the first. */
function refuseClashes(main: Source, sample: Source): void {
  const ids = new Set(main.profiles.map((p) => p.PrinterId));
  const clash = sample.profiles.find((p) => ids.has(p.PrinterId));
  if (clash) throw new CliError(`${sample.profilesFile}: PrinterId "${clash.PrinterId}" is also in ${main.profilesFile}`);
}

/** Each seeded printer's rules, as the function reads them (with the fleet defaults). */
function rulesByPrinter(profiles: readonly ProfileInput[]): Map<string, Rules> {
  const { defaults, printers } = splitDefaults(profiles);
  return new Map(printers.map((p) => [p.PrinterId, profileRules(p, defaults)]));
}

/** The ranking with each printer's alarm and window mode. */
function renderPrinters(printers: readonly PrinterSummary[], rules: ReadonlyMap<string, Rules>): string {
  if (printers.length === 0) return 'No printers.';
  const header = ['Rank', 'Printer', 'Events', 'Alarm', 'Severity', 'Cause', 'Mode'];
  const rows = printers.map((p, index) => {
    const printerRules = rules.get(p.PrinterId);
    const mode = printerRules ? describeMode(printerRules) : '-';
    const { severity, cause } = alarmBadges(p.Alarm);
    return [String(index + 1), p.PrinterId, String(p.EventCount), p.Alarm.State, severity ?? '-', cause ?? '-', mode];
  });
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)));
  const right = new Set([0, 2]);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** How an event is made, for the summary: adaptive bands apart from the window modes they run in. */
function family(rules: Rules): string {
  return isAdaptive(rules) ? 'adaptive band' : rules.mode;
}

/** Anomaly events per window mode: one row each, in a fixed order. */
function eventsByMode(printers: readonly PrinterSummary[], rules: ReadonlyMap<string, Rules>): [string, number][] {
  const order = ['consecutive', 'm-of-n', 'duration', 'adaptive band'];
  const tally = new Map<string, { printers: number; events: number }>();
  for (const p of printers) {
    const printerRules = rules.get(p.PrinterId);
    if (!printerRules) continue;
    const key = family(printerRules);
    const entry = tally.get(key) ?? { printers: 0, events: 0 };
    tally.set(key, { printers: entry.printers + 1, events: entry.events + p.EventCount });
  }
  return order.flatMap((key): [string, number][] => {
    const entry = tally.get(key);
    return entry ? [[`    ${key} (${plural(entry.printers, 'printer')})`, entry.events]] : [];
  });
}

/** `ACTIVE 2, LATCHED 1`: the alarms not NORMAL, per state, in the listing's order. */
function alarmStates(alarms: readonly PrinterSummary[]): string {
  const counts = new Map<string, number>();
  for (const a of alarms) counts.set(a.Alarm.State, (counts.get(a.Alarm.State) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${state} ${n}`).join(', ');
}

/** The clock's furthest period among the profiles (silence, re-notification), in ms; 0 when none has one. */
function longestPeriod(rules: ReadonlyMap<string, Rules>): number {
  let longest = 0;
  for (const r of rules.values()) longest = Math.max(longest, r.silenceMs ?? 0, r.renotifyMs ?? 0);
  return longest;
}

await runCli(spec, async (values) => {
  const readingsFile = values.readings ?? DEFAULT_READINGS;
  const profilesFile = values.profiles ?? DEFAULT_PROFILES;
  if (values.ingest !== undefined && !INGEST_MODES.includes(values.ingest as IngestMode)) {
    throw new UsageError(`--ingest must be ${INGEST_MODES.join(' or ')}, got "${values.ingest}"`);
  }
  const withSample = values['no-sample'] !== true;
  if (!withSample && (values['sample-readings'] !== undefined || values['sample-profiles'] !== undefined)) {
    throw new UsageError('--no-sample cannot go with --sample-readings or --sample-profiles');
  }
  const ingest = (values.ingest ?? 'direct') as IngestMode;
  const started = performance.now();
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  // Every file is read and validated before the twin starts: starting truncates the log of the last run.
  const main = await loadSource(profilesFile, readingsFile);
  const sample = withSample
    ? await loadSource(values['sample-profiles'] ?? DEFAULT_SAMPLE_PROFILES, values['sample-readings'] ?? DEFAULT_SAMPLE_READINGS)
    : undefined;
  if (sample) refuseClashes(main, sample);
  const sources = sample ? [main, sample] : [main];
  const profiles = sources.flatMap((s) => s.profiles);
  const readings = sources.flatMap((s) => s.readings);
  const rules = rulesByPrinter(profiles);
  const clockAhead = longestPeriod(rules);

  let twin: Twin;
  try {
    // The clock sweeps only when told to (below), so a slow machine cannot raise a silence mid-replay.
    twin = await startTwin({ profiles, logFile: IN_MEMORY_LOG_FILE, truncateLogFile: true, ingest, sweepSeconds: 0 });
  } catch (error) {
    if (error instanceof TwinStartError) throw new CliError(error.message);
    throw error;
  }
  let subscriber: TopicSubscription | undefined;
  try {
    const profilesFiles = sources.map((s) => s.profilesFile).join(' and ');
    say(`Local twin: MQTT ${twin.mqttUrl}, DynamoDB ${twin.dynamoDbEndpoint}, table ${twin.tableName} (profiles from ${profilesFiles})`);
    if (twin.kinesisEndpoint !== undefined) say(`Stream ingest: Kinesis ${twin.kinesisEndpoint}, stream ${twin.streamName}`);
    subscriber = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);

    const from = sources.map((s) => `${s.readings.length} from ${s.readingsFile}`).join(', ');
    say(`Replaying ${readings.length} readings (${from}) to ${twin.mqttUrl} (QoS 1)...`);
    const summary: ReplaySummary = await replay(readings, { endpoint: twin.mqttUrl, qos: 1, signal: controller.signal });
    say(`Replayed: ${summary.acked} acknowledged, ${summary.failed} failed, ${Math.round(summary.readingsPerSecond)} readings/s`);
    if (summary.interrupted) throw new CliError('interrupted');

    // Every acknowledged reading reached the rule before its PUBACK: wait for the function to handle them all.
    await twin.waitUntilProcessed(summary.acked, { timeoutMs: PROCESSING_TIMEOUT_MS });
    await twin.waitForIdle({ timeoutMs: PROCESSING_TIMEOUT_MS });
    const stats = twin.stats();
    await subscriber.waitFor(stats.eventsPublished, DELIVERY_TIMEOUT_MS).catch(() => undefined);
    const seenOnTopic = subscriber.messages.length;
    say(`Processed ${stats.done} readings in ${seconds(performance.now() - started)}.`);

    if (clockAhead > 0) {
      // The replay takes seconds, not the minutes a silence lasts: one sweep later on shows what the clock does.
      const ahead = clockAhead + CLOCK_MARGIN_MS;
      const swept = await twin.sweep(new Date(Date.now() + ahead));
      const silent = (await twin.fleet.alarms()).filter((p) => p.Alarm.Cause === 'silent').length;
      say(
        `Clock moved ${(ahead / 60_000).toFixed(1)} min ahead for one sweep, as if every printer then went quiet: ` +
          `${plural(silent, 'alarm')} raised for silence, ${plural(swept.renotified, 're-notification')}.`,
      );
    }

    // Printers a fleet default enrols have no profile in the files: count them in from the readings.
    const printers = new Set([...rules.keys(), ...readings.map((r) => r.PrinterId)]).size;
    const ranking = await twin.fleet.ranked(Math.max(printers, 1));
    const alarms = await twin.fleet.alarms();
    const notifications = twin.notifications().length;
    const eventsCounted = ranking.reduce((sum, printer) => sum + printer.EventCount, 0);
    const { outcomes } = stats;
    say();
    say('Printers ranked by anomaly events, with their alarms:');
    say(renderPrinters(ranking, rules));
    say();
    const rows: [string, number | string, string?][] = [
      ['readings replayed (acknowledged)', summary.acked],
      ['readings processed', stats.processed],
      ['  in bounds', outcomes['in-bounds']],
      ['  out of bounds', outcomes['out-of-bounds'] + outcomes.event],
      ['  invalid', outcomes.invalid],
      ['  unknown printer', outcomes['unknown-printer']],
      ['  duplicate / late', outcomes.duplicate + outcomes.late],
      ['  bad profile', outcomes['bad-profile']],
      ['anomaly events counted', eventsCounted],
      ...eventsByMode(ranking, rules),
      [`anomaly events seen on ${PREDICTION_TOPIC}`, seenOnTopic],
      ['alarms not NORMAL', alarms.length, alarmStates(alarms)],
      ['notifications sent', notifications],
      ['failed invocations retried', stats.retries],
      ['dead-lettered', stats.deadLettered],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    say('Summary:');
    for (const [label, value, detail] of rows)
      say(`  ${label.padEnd(width)}  ${String(value).padStart(7)}${detail ? `  (${detail})` : ''}`);
    say(`Function log: ${IN_MEMORY_LOG_FILE} (npm run logs -- --local)`);
    const shown = sample ?? main;
    say(
      `Dashboard: npm run local -- --profiles ${shown.profilesFile}, then open the http URL it prints (http://127.0.0.1:${DEFAULT_HTTP_PORT}/)`,
    );
    say(`  and replay into it from another terminal: npm run emit -- --file ${shown.readingsFile}`);

    if (summary.failed > 0) throw new CliError(`${summary.failed} reading(s) got no PUBACK from the broker`);
    if (stats.deadLettered > 0) throw new CliError(`${stats.deadLettered} reading(s) failed every attempt (see ${IN_MEMORY_LOG_FILE})`);
    if (seenOnTopic !== eventsCounted) {
      throw new CliError(`${eventsCounted} anomaly event(s) counted but ${seenOnTopic} seen on ${PREDICTION_TOPIC}`);
    }
    return 0;
  } finally {
    await subscriber?.close();
    await twin.close();
  }
});
