/**
 * `npm start`: the main job on the embedded default. Starts an in-memory local
 * twin on free ports, seeds the printer profiles, replays the readings through
 * the emitter (the device SDK over TCP, QoS 1), waits until the function has
 * handled every acknowledged reading, counts the anomaly events seen on
 * `anom/pred` by a device subscriber, then prints the ranked printers and a
 * summary. Exits 0, or 1 with one line when anything did not add up. With
 * `--ingest stream`, the twin feeds the function through its Kinesis stream.
 */
import { CliError, runCli, UsageError } from './kit.ts';
import { allPrinters } from '../lambda/adapters/ranking-query.ts';
import { renderRanking } from './ranking-table.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';
import { ReadingsFileError } from '../emitter/errors.ts';
import { loadReadingsFile } from '../emitter/readings-file.ts';
import { replay, type ReplaySummary } from '../emitter/replay.ts';
import { PREDICTION_TOPIC, type ProfileInput } from '../contract/index.ts';
import { IN_MEMORY_LOG_FILE } from '../twin/paths.ts';
import { subscribeTopic, type TopicSubscription } from '../emitter/subscriber.ts';
import { startTwin, TwinStartError, type Twin } from '../twin/twin.ts';
import { INGEST_MODES, type IngestMode } from '../contract/index.ts';

const DEFAULT_PROFILES = 'data/printer_profiles.json';
const DEFAULT_READINGS = 'data/printer_iot_data.json';
/** Longest wait for the function to catch up with the acknowledged readings. */
const PROCESSING_TIMEOUT_MS = 120_000;
/** Longest wait for the published events to reach the subscriber. */
const DELIVERY_TIMEOUT_MS = 10_000;

const spec = {
  usage: 'npm start [-- --readings FILE --profiles FILE --ingest direct|stream]',
  summary:
    'Runs the whole pipeline on an in-memory local twin, with no AWS account: seeds the printer profiles, ' +
    'replays the readings with the emitter, waits until every reading is processed, and prints the printers ' +
    `ranked by anomaly events with a summary. The function's log is written to ${IN_MEMORY_LOG_FILE} (npm run logs).`,
  options: {
    readings: { type: 'string' },
    profiles: { type: 'string' },
    ingest: { type: 'string' },
  },
  help: {
    readings: `readings to replay, a JSON array or JSON Lines (default ${DEFAULT_READINGS})`,
    profiles: `printer profiles to seed (default ${DEFAULT_PROFILES})`,
    ingest: 'direct: one asynchronous invocation per reading (default); stream: through a Kinesis stream, read in batches',
  },
} as const;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (line = '') => process.stdout.write(`${line}\n`);

await runCli(spec, async (values) => {
  const readingsFile = values.readings ?? DEFAULT_READINGS;
  const profilesFile = values.profiles ?? DEFAULT_PROFILES;
  if (values.ingest !== undefined && !INGEST_MODES.includes(values.ingest as IngestMode)) {
    throw new UsageError(`--ingest must be ${INGEST_MODES.join(' or ')}, got "${values.ingest}"`);
  }
  const ingest = (values.ingest ?? 'direct') as IngestMode;
  const started = performance.now();
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  // Both files are read and validated before the twin starts: starting truncates the log of the last run.
  let readings: object[];
  let profiles: ProfileInput[];
  try {
    readings = await loadReadingsFile(readingsFile);
    profiles = await loadProfilesFile(profilesFile);
  } catch (error) {
    if (error instanceof ReadingsFileError || error instanceof ProfilesFileError) throw new CliError(error.message);
    throw error;
  }

  let twin: Twin;
  try {
    twin = await startTwin({ profiles, logFile: IN_MEMORY_LOG_FILE, truncateLogFile: true, ingest });
  } catch (error) {
    if (error instanceof TwinStartError) throw new CliError(error.message);
    throw error;
  }
  let subscriber: TopicSubscription | undefined;
  try {
    say(`Local twin: MQTT ${twin.mqttUrl}, DynamoDB ${twin.dynamoDbEndpoint}, table ${twin.tableName} (profiles from ${profilesFile})`);
    if (twin.kinesisEndpoint !== undefined) say(`Stream ingest: Kinesis ${twin.kinesisEndpoint}, stream ${twin.streamName}`);
    subscriber = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);

    say(`Replaying ${readings.length} readings from ${readingsFile} to ${twin.mqttUrl} (QoS 1)...`);
    const summary: ReplaySummary = await replay(readings, { endpoint: twin.mqttUrl, qos: 1, signal: controller.signal });
    say(`Replayed: ${summary.acked} acknowledged, ${summary.failed} failed, ${Math.round(summary.readingsPerSecond)} readings/s`);
    if (summary.interrupted) throw new CliError('interrupted');

    // Every acknowledged reading reached the rule before its PUBACK: wait for the function to handle them all.
    await twin.waitUntilProcessed(summary.acked, { timeoutMs: PROCESSING_TIMEOUT_MS });
    await twin.waitForIdle({ timeoutMs: PROCESSING_TIMEOUT_MS });
    const stats = twin.stats();
    await subscriber.waitFor(stats.eventsPublished, DELIVERY_TIMEOUT_MS).catch(() => undefined);
    const seenOnTopic = subscriber.messages.length;

    const ranking = await allPrinters(twin.dynamoDb, twin.tableName);
    const eventsCounted = ranking.reduce((sum, printer) => sum + printer.EventCount, 0);
    const { outcomes } = stats;
    say(`Processed ${stats.done} readings in ${seconds(performance.now() - started)}.`);
    say();
    say('Printers ranked by anomaly events:');
    say(renderRanking(ranking));
    say();
    const rows: [string, number | string][] = [
      ['readings replayed (acknowledged)', summary.acked],
      ['readings processed', stats.processed],
      ['  in bounds', outcomes['in-bounds']],
      ['  out of bounds', outcomes['out-of-bounds'] + outcomes.event],
      ['  invalid', outcomes.invalid],
      ['  unknown printer', outcomes['unknown-printer']],
      ['  duplicate / late', outcomes.duplicate + outcomes.late],
      ['  bad profile', outcomes['bad-profile']],
      ['anomaly events counted', eventsCounted],
      [`anomaly events seen on ${PREDICTION_TOPIC}`, seenOnTopic],
      ['failed invocations retried', stats.retries],
      ['dead-lettered', stats.deadLettered],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    say('Summary:');
    for (const [label, value] of rows) say(`  ${label.padEnd(width)}  ${String(value).padStart(7)}`);
    say(`Function log: ${IN_MEMORY_LOG_FILE} (npm run logs -- --local)`);

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
