/**
 * `npm run emit`: replays a readings file over MQTT with the AWS IoT Device
 * SDK v2, to AWS IoT Core (mTLS or websockets + SigV4) or to a local broker.
 */
import { CliError, UsageError, intOption, readStackOutputs, runCli, type StackOutputs } from './kit.ts';
import { access, constants } from 'node:fs/promises';
import { DETECT_TOPIC, type ReadingPayload } from '../contract/index.ts';
import { parseEndpoint } from '../emitter/connection.ts';
import { EmitterConnectionError, ReadingsFileError, ReplayOptionsError } from '../emitter/errors.ts';
import { progressReporter, summaryLine, writeFlushed } from '../emitter/progress.ts';
import { describeReadings, loadReadingsFile } from '../emitter/readings-file.ts';
import { repeatReadings, replayStream, type ReplayOptions } from '../emitter/replay.ts';

/** Exit code after SIGINT/SIGTERM, as a shell reports a Ctrl-C. */
const EXIT_INTERRUPTED = 130;
const DEFAULT_TIMEOUT_SECONDS = 10;

const spec = {
  usage: 'npm run emit -- --file FILE [options]',
  summary:
    'Replays printer readings (a JSON array or JSON Lines file) to an MQTT topic with aws-iot-device-sdk-v2: ' +
    'to AWS IoT Core with a device certificate (mTLS) or websockets + SigV4, or to a local broker with ' +
    '--endpoint mqtt://127.0.0.1:1883. The file is validated before anything is sent. Without --endpoint, ' +
    'the IotDataEndpoint of cdk-outputs.json is used. Ctrl-C stops sending, waits for the in-flight PUBACKs and exits 130.',
  options: {
    file: { type: 'string' },
    topic: { type: 'string' },
    endpoint: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    'client-id': { type: 'string' },
    websocket: { type: 'boolean' },
    region: { type: 'string' },
    rate: { type: 'string' },
    qos: { type: 'string' },
    loop: { type: 'boolean' },
    count: { type: 'string' },
    'add-seq': { type: 'boolean' },
    'max-in-flight': { type: 'string' },
    timeout: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  help: {
    file: 'readings to replay: a JSON array or JSON Lines (required)',
    topic: `topic to publish to (default ${DETECT_TOPIC})`,
    endpoint: 'AWS IoT Core host name, or mqtt://HOST:PORT for a local broker (default: cdk-outputs.json)',
    cert: 'device certificate (PEM) for mTLS to AWS IoT Core',
    key: 'private key (PEM) of the device certificate',
    ca: 'root CA file (PEM); default: the system trust store',
    'client-id': 'MQTT client id (default: a random emitter-xxxxxxxx)',
    websocket: 'connect to AWS IoT Core with websockets + SigV4 (default credential chain)',
    region: 'region for --websocket (default: from the endpoint, cdk-outputs.json or AWS_REGION)',
    rate: 'readings per second (default: as fast as PUBACKs come back)',
    qos: '0 or 1 (default 1: every PUBACK awaited)',
    loop: 'replay the file again and again until Ctrl-C',
    count: 'send N readings in all, cycling through the file',
    'add-seq': 'stamp a per-printer seq 1, 2, 3... on each reading (replaces any seq in the file)',
    'max-in-flight': 'publishes awaiting their PUBACK at most (default 100)',
    timeout: `seconds to wait for the connection and for each PUBACK (default ${DEFAULT_TIMEOUT_SECONDS})`,
    'dry-run': 'validate the file and say what it holds; send nothing',
  },
} as const;

type Values = Partial<Record<keyof typeof spec.options, string | boolean>>;

function str(values: Values, name: keyof typeof spec.options): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function rateOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const rate = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(rate > 0) || !Number.isFinite(rate)) {
    throw new UsageError(`--rate must be a positive number of readings per second, got "${value}"`);
  }
  return rate;
}

function qosOption(value: string | undefined): 0 | 1 {
  if (value === undefined || value === '1') return 1;
  if (value === '0') return 0;
  throw new UsageError(`--qos must be 0 or 1, got "${value}"`);
}

const NO_ENDPOINT =
  'no endpoint: pass --endpoint HOST for AWS IoT Core (aws iot describe-endpoint --endpoint-type iot:Data-ATS), ' +
  '--endpoint mqtt://127.0.0.1:1883 for the local twin (npm run local), or deploy the stack (npm run deploy) so that cdk-outputs.json has IotDataEndpoint';

function endpointOption(value: string | undefined, outputs: StackOutputs | undefined): string {
  const endpoint = value ?? outputs?.IotDataEndpoint?.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  if (!endpoint) throw new UsageError(NO_ENDPOINT);
  return endpoint;
}

async function readable(flag: string, path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read --${flag} ${path} (${code === 'ENOENT' ? 'no such file' : code})`);
  }
}

/** How to authenticate, checked against the endpoint before anything is read or sent. */
async function connectionOptions(
  values: Values,
  endpoint: string,
  outputs: StackOutputs | undefined,
): Promise<Pick<ReplayOptions, 'mtls' | 'websocket'>> {
  let parsed: ReturnType<typeof parseEndpoint>;
  try {
    parsed = parseEndpoint(endpoint);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const cert = str(values, 'cert');
  const key = str(values, 'key');
  const ca = str(values, 'ca');
  const websocket = values.websocket === true;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  if (ca !== undefined && cert === undefined) throw new UsageError('--ca goes with --cert and --key');
  if (parsed.kind === 'local') {
    if (cert !== undefined || websocket)
      throw new UsageError(`${endpoint} is a plain-TCP local broker: --cert, --key, --ca and --websocket are for AWS IoT Core`);
    return {};
  }
  if (cert !== undefined && websocket) throw new UsageError('choose --cert/--key (mTLS) or --websocket (SigV4), not both');
  if (cert !== undefined && key !== undefined) {
    await readable('cert', cert);
    await readable('key', key);
    if (ca !== undefined) await readable('ca', ca);
    return { mtls: ca === undefined ? { certPath: cert, keyPath: key } : { certPath: cert, keyPath: key, caPath: ca } };
  }
  if (websocket) {
    const region =
      str(values, 'region') ??
      /\.iot\.([a-z0-9-]+)\.amazonaws\.com/.exec(parsed.host)?.[1] ??
      outputs?.Region ??
      process.env['AWS_REGION'] ??
      process.env['AWS_DEFAULT_REGION'];
    if (!region) throw new UsageError('--websocket needs a region: pass --region R');
    return { websocket: { region } };
  }
  throw new UsageError(
    `AWS IoT Core (${parsed.host}) needs --cert and --key (create them with npm run provision -- --thing-name NAME) or --websocket`,
  );
}

await runCli(spec, async (values) => {
  const file = values.file;
  if (file === undefined) throw new UsageError('--file is required: a JSON array or JSON Lines file of readings');
  if (values.loop && values.count !== undefined) throw new UsageError('choose --loop or --count, not both');
  const count = intOption('count', values.count, { min: 1 });
  const rate = rateOption(values.rate);
  const qos = qosOption(values.qos);
  const maxInFlight = intOption('max-in-flight', values['max-in-flight'], { min: 1, max: 65_535 });
  const timeoutMs = (intOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const topic = values.topic ?? DETECT_TOPIC;
  if (topic === '' || /[#+]/.test(topic)) throw new UsageError(`--topic must be a topic name without wildcards, got "${topic}"`);

  let endpoint: string | undefined;
  let auth: Pick<ReplayOptions, 'mtls' | 'websocket'> = {};
  if (!values['dry-run']) {
    const outputs = values.endpoint === undefined || values.region === undefined ? readStackOutputs() : undefined;
    endpoint = endpointOption(values.endpoint, outputs);
    auth = await connectionOptions(values, endpoint, outputs);
  }

  let readings: ReadingPayload[];
  try {
    readings = await loadReadingsFile(file);
  } catch (error) {
    if (!(error instanceof ReadingsFileError)) throw error;
    await writeFlushed(process.stderr, `${error.message}\n`);
    return 1;
  }
  const described = describeReadings(readings);
  if (endpoint === undefined) {
    await writeFlushed(
      process.stdout,
      `${file}: ${described.readings} valid readings from ${described.printers} printers; dry run, nothing sent\n`,
    );
    return 0;
  }

  const total = values.loop ? Infinity : (count ?? readings.length);
  if (total > readings.length && !values['add-seq'] && readings.some((r) => r.seq !== undefined)) {
    process.stderr.write(
      'note: the readings carry seq, so the detector skips their repeats as duplicates; add --add-seq to number them afresh\n',
    );
  }
  const source = values.loop || count !== undefined ? repeatReadings(readings, count) : readings;
  const where = `${topic} at ${endpoint}`;
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${signal} again: exiting without waiting for PUBACKs\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(`\n${signal}: stopping; waiting up to ${timeoutMs / 1000} s for in-flight PUBACKs (again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = progressReporter(process.stdout);
  process.stdout.write(
    `replaying ${Number.isFinite(total) ? `${total} readings` : 'readings endlessly'} (${described.printers} printers, from ${file}) to ${where}, QoS ${qos}` +
      `${rate !== undefined ? `, ${rate}/s` : ''}${values['add-seq'] ? ', seq stamped' : ''}\n`,
  );
  let summary: Awaited<ReturnType<typeof replayStream>>;
  try {
    summary = await replayStream(source, total, {
      endpoint,
      topic,
      qos,
      ...(rate !== undefined ? { rate } : {}),
      ...(maxInFlight !== undefined ? { maxInFlight } : {}),
      ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
      ...auth,
      addSeq: values['add-seq'] === true,
      connectTimeoutMs: timeoutMs,
      publishTimeoutMs: timeoutMs,
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
    });
  } catch (error) {
    if (error instanceof EmitterConnectionError) throw new CliError(error.message);
    if (error instanceof ReplayOptionsError) throw new UsageError(error.message);
    throw error;
  } finally {
    progress.finish();
  }
  await writeFlushed(process.stdout, `${summaryLine(summary, where)}\n`);
  if (summary.interrupted) return EXIT_INTERRUPTED;
  return summary.failed > 0 ? 1 : 0;
});
