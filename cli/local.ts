/**
 * `npm run local`: starts the local twin and keeps it running until Ctrl-C /
 * SIGTERM, printing one line with its endpoints when it is ready.
 */
import { CliError, intOption, runCli, UsageError } from './kit.ts';
import { registerTwin } from '../twin/locate.ts';
import { dirname } from 'node:path';
import { DEVICE_IDENTITY_MODES, type DeviceIdentityMode } from '../contract/index.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';
import { classifyLine, formatEntry, isShownByDefault } from '../twin/log-format.ts';
import {
  DEFAULT_DYNAMODB_PORT,
  DEFAULT_HTTP_PORT,
  DEFAULT_KINESIS_PORT,
  DEFAULT_MQTT_PORT,
  DEFAULT_STATE_DIR,
  IN_MEMORY_DEAD_LETTER_FILE,
  IN_MEMORY_DISCOVERY_FILE,
  IN_MEMORY_LOG_FILE,
} from '../twin/paths.ts';
import { RuleSqlError } from '../twin/rule.ts';
import { checkWritableFolder } from '../twin/state-dir.ts';
import { loadThingsFile, ThingsFileError } from '../twin/things-file.ts';
import { startTwin, TwinStartError, type TwinOptions } from '../twin/twin.ts';
import { INGEST_MODES, type IngestMode, type RoutingTable } from '../contract/index.ts';
import { WebhookRouteError, webhookRoutes } from './webhook-routes.ts';

const spec = {
  usage:
    'npm run local -- [--mqtt-port 1883] [--dynamodb-port 8000] [--http-port 8080] [--profiles FILE] [--state-dir DIR | --in-memory] ' +
    '[--sweep-seconds 10] [--webhook [SEVERITY=]URL ...] [--ingest direct|stream] [--device-identity any|thing --things FILE]',
  summary:
    'Starts the local twin: an MQTT broker, a DynamoDB API with the profiles and history tables, the topic rule, the ' +
    'detector function, the clock (the sweep function, every --sweep-seconds), alarm notifications (appended to ' +
    'notifications.jsonl in the state folder, and POSTed to the --webhook routed for their severity), and the operator API and dashboard on ' +
    'http://127.0.0.1:<http-port>/, wired as in the cloud. Prints one line with its endpoints when ready and runs until ' +
    "Ctrl-C or SIGTERM. The function's log records are shown here and kept in the log file (npm run logs). " +
    'While it runs, its endpoints are written to twin.json in the state folder (.local/twin.json with --in-memory), ' +
    'and registered for this user, so that the other CLIs find it from any folder, on any ports. With --ingest stream, the rule puts each message on a Kinesis stream (an embedded ' +
    'Kinesis API, for aws kinesis --endpoint-url too) read in batches by the stream function, as the stack deploys it with -c ingest=stream.',
  options: {
    'mqtt-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    'http-port': { type: 'string' },
    'sweep-seconds': { type: 'string' },
    webhook: { type: 'string', multiple: true },
    ingest: { type: 'string' },
    'kinesis-port': { type: 'string' },
    'device-identity': { type: 'string' },
    things: { type: 'string' },
    profiles: { type: 'string' },
    'state-dir': { type: 'string' },
    'in-memory': { type: 'boolean' },
    'log-file': { type: 'string' },
    concurrency: { type: 'string' },
    'log-level': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  help: {
    'mqtt-port': `MQTT port on 127.0.0.1, 0 for any free one (default ${DEFAULT_MQTT_PORT})`,
    'dynamodb-port': `DynamoDB port on 127.0.0.1, 0 for any free one (default ${DEFAULT_DYNAMODB_PORT})`,
    'http-port': `the operator API (/api/...) and the dashboard (/) on 127.0.0.1, 0 for any free one (default ${DEFAULT_HTTP_PORT})`,
    'sweep-seconds': 'seconds between runs of the clock (silence, snooze expiry, re-notification); 0 for none (default 10)',
    webhook:
      'also POST each alarm notification as JSON to this URL (retried; never holds up detection); repeatable: ' +
      'critical=URL (or major, minor, warning) routes only that severity there, a plain URL takes the severities not named',
    ingest: 'direct: one asynchronous invocation per message (default); stream: a Kinesis stream read in batches',
    'kinesis-port': `with --ingest stream: the Kinesis API on 127.0.0.1, 0 for any free one (default ${DEFAULT_KINESIS_PORT})`,
    'device-identity': 'any: a reading counts whoever sends it (default); thing: only from its own thing or a gateway listing it',
    things:
      'with --device-identity thing: the thing registry, a JSON object of thing name -> attributes, e.g. {"Gateway1": {"printers": "P2,P3"}}',
    profiles: 'seed these profiles at start (JSON array, as data/printer_profiles.json); counters are kept',
    'state-dir': `keep DynamoDB data, the log and dead letters here across restarts (default ${DEFAULT_STATE_DIR})`,
    'in-memory': 'keep no state: DynamoDB in memory, a fresh log file each start',
    'log-file': `the function's log file (default <state-dir>/detector.log, or ${IN_MEMORY_LOG_FILE} with --in-memory)`,
    concurrency: 'most concurrent function invocations (default 4)',
    'log-level': "the function's POWERTOOLS_LOG_LEVEL: DEBUG, INFO, WARN or ERROR (default INFO)",
    quiet: "do not show the function's log records here (they still go to the log file)",
  },
} as const;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** `value` when it is one of `choices`, else a usage error naming the option. */
function choice<T extends string>(name: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined || choices.includes(value as T)) return value as T | undefined;
  throw new UsageError(`--${name} must be ${choices.join(' or ')}, got "${value}"`);
}

/** The twin's own one-line errors, as the CLI's. */
function oneLine(error: unknown): never {
  if (
    error instanceof TwinStartError ||
    error instanceof ProfilesFileError ||
    error instanceof ThingsFileError ||
    error instanceof RuleSqlError
  ) {
    throw new CliError(error.message);
  }
  throw error;
}

await runCli(spec, async (values) => {
  if (values['state-dir'] !== undefined && values['in-memory']) {
    throw new UsageError('--state-dir and --in-memory cannot be used together');
  }
  const logLevel = values['log-level']?.toUpperCase();
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as never)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
  }
  const mqttPort = intOption('mqtt-port', values['mqtt-port'], { max: 65_535 }) ?? DEFAULT_MQTT_PORT;
  const dynamoDbPort = intOption('dynamodb-port', values['dynamodb-port'], { max: 65_535 }) ?? DEFAULT_DYNAMODB_PORT;
  const httpPort = intOption('http-port', values['http-port'], { max: 65_535 }) ?? DEFAULT_HTTP_PORT;
  const concurrency = intOption('concurrency', values.concurrency, { min: 1, max: 64 });
  const sweepSeconds = intOption('sweep-seconds', values['sweep-seconds'], { max: 86_400 }) ?? 10;
  let webhook: RoutingTable<string> | undefined;
  try {
    webhook = values.webhook === undefined ? undefined : webhookRoutes(values.webhook);
  } catch (error) {
    if (error instanceof WebhookRouteError) throw new UsageError(error.message);
    throw error;
  }
  const ingest: IngestMode = choice('ingest', values.ingest, INGEST_MODES) ?? 'direct';
  if (values['kinesis-port'] !== undefined && ingest !== 'stream') throw new UsageError('--kinesis-port goes with --ingest stream');
  const kinesisPort = intOption('kinesis-port', values['kinesis-port'], { max: 65_535 }) ?? DEFAULT_KINESIS_PORT;
  const deviceIdentity: DeviceIdentityMode = choice('device-identity', values['device-identity'], DEVICE_IDENTITY_MODES) ?? 'any';
  if (values.things !== undefined && deviceIdentity !== 'thing') throw new UsageError('--things goes with --device-identity thing');
  const inMemory = values['in-memory'] === true;
  const stateDir = inMemory ? undefined : (values['state-dir'] ?? DEFAULT_STATE_DIR);
  const color = process.stdout.isTTY === true;

  const logFile = values['log-file'] ?? (inMemory ? IN_MEMORY_LOG_FILE : undefined);
  // Read first: a bad profiles file is one line before anything starts (or truncates the log).
  const profiles = values.profiles === undefined ? undefined : await loadProfilesFile(values.profiles).catch(oneLine);
  const things = values.things === undefined ? undefined : await loadThingsFile(values.things).catch(oneLine);
  const options: TwinOptions = {
    mqttPort,
    dynamoDbPort,
    httpPort,
    sweepSeconds,
    ...(webhook !== undefined ? { webhook } : {}),
    ...(stateDir !== undefined
      ? { stateDir }
      : { deadLetterFile: IN_MEMORY_DEAD_LETTER_FILE, truncateLogFile: true, discoveryFile: IN_MEMORY_DISCOVERY_FILE }),
    logFile,
    ...(profiles !== undefined ? { profiles } : {}),
    ...(ingest === 'stream' ? { ingest, kinesisPort } : {}),
    ...(deviceIdentity === 'thing' ? { deviceIdentity, ...(things !== undefined ? { things } : {}) } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(logLevel !== undefined ? { logLevel: logLevel as (typeof LOG_LEVELS)[number] } : {}),
    ...(values.quiet
      ? {}
      : {
          onLog: (line: string) => {
            const entry = classifyLine(line);
            if (isShownByDefault(entry)) process.stdout.write(`${formatEntry(entry, { color })}\n`);
          },
        }),
  };

  let twin: Awaited<ReturnType<typeof startTwin>>;
  try {
    // A log file in a folder that cannot be made fails here, in one line, before anything starts.
    if (logFile !== undefined) checkWritableFolder(dirname(logFile), `log file ${logFile}`);
    twin = await startTwin(options);
  } catch (error) {
    oneLine(error);
  }
  // The other CLIs find it wherever its state folder is (`twin/locate.ts`).
  const unregister = twin.discoveryFile === undefined ? () => {} : registerTwin(twin.discoveryFile);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.stdout.write(
      `local twin ready: mqtt ${twin.mqttUrl} | dynamodb ${twin.dynamoDbEndpoint} (aws dynamodb --endpoint-url ${twin.dynamoDbEndpoint}) ` +
        `| http ${twin.httpUrl} | dashboard ${twin.httpUrl}/ | table ${twin.tableName} | log ${twin.logFile ?? 'none'} | state ${twin.stateDir ?? 'in memory'}` +
        (twin.kinesisEndpoint === undefined
          ? ''
          : ` | kinesis ${twin.kinesisEndpoint} (aws kinesis --endpoint-url ${twin.kinesisEndpoint}) | stream ${twin.streamName}`) +
        `${deviceIdentity === 'thing' ? ` | device identity thing (${Object.keys(things ?? {}).length} things)` : ''}\n`,
    );
  });
  // A second signal while shutting down stops at once.
  const force = () => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  process.stderr.write(`${signal}: stopping the local twin\n`);
  unregister();
  await twin.close();
  const { received, deadLettered } = twin.stats();
  process.stderr.write(`local twin stopped (${received} readings received, ${deadLettered} dead-lettered)\n`);
  return 0;
});
