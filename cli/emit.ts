/**
 * `npm run emit`: replays a readings file over MQTT with the AWS IoT Device
 * SDK v2, to AWS IoT Core (mTLS or websockets + SigV4) or to a local broker.
 */
import { CliError, UsageError, intOption, localTwin, readStackOutputs, runCli, type StackOutputs, TARGET_RULE } from './kit.ts';
import { open } from 'node:fs/promises';
import { DETECT_TOPIC, MAX_BATCH_BYTES, MAX_BATCH_READINGS, type ReadingPayload } from '../contract/index.ts';
import { isLoopbackHost, parseEndpoint } from '../emitter/connection.ts';
import { EmitterConnectionError, ReadingsFileError, ReplayOptionsError } from '../emitter/errors.ts';
import { progressReporter, summaryLine, writeFlushed } from '../emitter/progress.ts';
import { describeReadings, loadReadingsFile } from '../emitter/readings-file.ts';
import { replayStream, type ReplayOptions } from '../emitter/replay.ts';
import { planReplay } from '../emitter/replay-plan.ts';
import { fetchTwinHealth, findRunningTwin, sameEndpoint, TwinUnreachableError, waitForTwinIdle } from '../twin/discovery.ts';
import { discoveryFiles, TWIN_ENV } from '../twin/locate.ts';
import { DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT } from '../twin/paths.ts';

/** Exit code after SIGINT/SIGTERM, as a shell reports a Ctrl-C. */
const EXIT_INTERRUPTED = 130;
const DEFAULT_TIMEOUT_SECONDS = 10;
const DEFAULT_WAIT_TIMEOUT_SECONDS = 120;

const spec = {
  targetRule: TARGET_RULE,
  usage: 'npm run emit -- --file FILE [options]',
  summary:
    'Replays printer readings (a JSON array or JSON Lines file) to an MQTT topic with aws-iot-device-sdk-v2: ' +
    'to AWS IoT Core with a device certificate (mTLS) or websockets + SigV4, or to a local broker with ' +
    '--endpoint mqtt://127.0.0.1:1883. The file is validated before anything is sent. Without --endpoint, ' +
    'the IotDataEndpoint of cdk-outputs.json, else the local twin. Ctrl-C stops sending, waits for the in-flight PUBACKs and exits 130. ' +
    'With --wait (local twin only), returns once the twin has handled every reading, so that npm run ranked shows final counts.',
  options: {
    file: { type: 'string', short: 'f' },
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
    batch: { type: 'string' },
    'max-in-flight': { type: 'string' },
    timeout: { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'boolean' },
    'wait-timeout': { type: 'string' },
    'twin-url': { type: 'string' },
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
    batch:
      `send each printer's readings, in file order, as batched messages of up to N readings (1 to ${MAX_BATCH_READINGS}, ` +
      `at most ${MAX_BATCH_BYTES / 1024} KB each; default 1: one reading per message)`,
    'max-in-flight': 'publishes awaiting their PUBACK at most (default 100)',
    timeout: `seconds to wait for the connection and for each PUBACK (default ${DEFAULT_TIMEOUT_SECONDS})`,
    'dry-run': 'validate the file and say what it holds; send nothing',
    wait: 'local twin only: after the replay, wait until the twin has handled every reading',
    'wait-timeout': `seconds --wait waits at most (default ${DEFAULT_WAIT_TIMEOUT_SECONDS})`,
    'twin-url': `the twin's HTTP API for --wait, e.g. http://127.0.0.1:${DEFAULT_HTTP_PORT} (default: found in the twin.json of npm run local)`,
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

/**
 * Where to send, by the one target rule (`TARGET_RULE`): `--endpoint`, else
 * the deployed stack's IoT endpoint from cdk-outputs.json, else the local
 * twin: the running one its discovery file names, or `npm run local`'s
 * default port.
 */
function endpointOption(value: string | undefined, outputs: StackOutputs | undefined): string {
  const deployed = outputs?.IotDataEndpoint?.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  return value ?? (deployed || undefined) ?? localTwin()?.mqtt ?? `mqtt://127.0.0.1:${DEFAULT_MQTT_PORT}`;
}

/** Checks that a certificate or key file is a readable PEM file: the CRT's own errors do not say which file is wrong. */
async function readablePem(flag: string, path: string): Promise<void> {
  let head: string;
  try {
    const file = await open(path, 'r');
    try {
      if (!(await file.stat()).isFile()) throw new CliError(`cannot read --${flag} ${path} (not a file)`);
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'not a file' : code;
    throw new CliError(`cannot read --${flag} ${path} (${reason})`);
  }
  if (!head.includes('-----BEGIN ')) throw new CliError(`--${flag} ${path} is not a PEM file (no -----BEGIN line)`);
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
  if (isLoopbackHost(parsed.host)) {
    // TLS to this machine: the twin's broker is plain TCP, and its handshake failure would read as a closed socket.
    const twin = findRunningTwin((record) => sameEndpoint(record.mqtt, `mqtt://${parsed.host}:${parsed.port ?? 8883}`), discoveryFiles());
    if (twin !== undefined) throw new UsageError(`${endpoint} is the local twin, whose broker is plain TCP: use --endpoint ${twin.mqtt}`);
    if (cert === undefined && !websocket) {
      throw new UsageError(
        `${endpoint} means TLS to this machine: for the local twin use --endpoint mqtt://${parsed.host}:${parsed.port ?? 1883}; a TLS broker needs --cert and --key`,
      );
    }
  }
  if (cert !== undefined && websocket) throw new UsageError('choose --cert/--key (mTLS) or --websocket (SigV4), not both');
  if (cert !== undefined && key !== undefined) {
    await readablePem('cert', cert);
    await readablePem('key', key);
    if (ca !== undefined) await readablePem('ca', ca);
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

const NO_TWIN_FOUND = (endpoint: string) =>
  `--wait: no running twin with MQTT at ${endpoint} (npm run local registers each twin it starts; ${TWIN_ENV} names one); ` +
  `pass --twin-url http://127.0.0.1:${DEFAULT_HTTP_PORT}`;

/** The HTTP API of the twin `--wait` waits for, asked once before anything is sent. */
async function twinToWaitFor(values: Values, endpoint: string): Promise<string> {
  if (parseEndpoint(endpoint).kind !== 'local') {
    throw new UsageError(
      '--wait only works with the local twin (an mqtt:// endpoint): AWS IoT Core does not tell a device when the function has handled its readings',
    );
  }
  const given = str(values, 'twin-url');
  if (given !== undefined && (!URL.canParse(given) || new URL(given).protocol !== 'http:')) {
    throw new UsageError(`--twin-url must be an http:// URL, got "${given}"`);
  }
  const url = given ?? findRunningTwin((record) => sameEndpoint(record.mqtt, endpoint), discoveryFiles())?.http;
  if (url === undefined) throw new CliError(NO_TWIN_FOUND(endpoint));
  await fetchTwinHealth(url);
  return url;
}

await runCli(spec, async (values) => {
  const file = values.file;
  if (file === undefined) throw new UsageError('--file is required: a JSON array or JSON Lines file of readings');
  if (values.loop && values.count !== undefined) throw new UsageError('choose --loop or --count, not both');
  const count = intOption('count', values.count, { min: 1 });
  const batch = intOption('batch', values.batch, { min: 1, max: MAX_BATCH_READINGS }) ?? 1;
  const batched = batch > 1;
  const rate = rateOption(values.rate);
  const qos = qosOption(values.qos);
  const maxInFlight = intOption('max-in-flight', values['max-in-flight'], { min: 1, max: 65_535 });
  const timeoutMs = (intOption('timeout', values.timeout, { min: 1, max: 3600 }) ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const waitTimeoutMs = (intOption('wait-timeout', values['wait-timeout'], { min: 1, max: 86_400 }) ?? DEFAULT_WAIT_TIMEOUT_SECONDS) * 1000;
  if (!values.wait && (values['twin-url'] !== undefined || values['wait-timeout'] !== undefined)) {
    throw new UsageError('--twin-url and --wait-timeout go with --wait');
  }
  if (values.wait && values['dry-run']) throw new UsageError('--wait has nothing to wait for with --dry-run');
  if (values.wait && values.loop) throw new UsageError('--wait needs a replay that ends: choose --wait or --loop');
  const topic = values.topic ?? DETECT_TOPIC;
  if (topic === '' || /[#+]/.test(topic)) throw new UsageError(`--topic must be a topic name without wildcards, got "${topic}"`);

  let endpoint: string | undefined;
  let auth: Pick<ReplayOptions, 'mtls' | 'websocket'> = {};
  let twinUrl: string | undefined;
  try {
    if (!values['dry-run']) {
      const outputs = values.endpoint === undefined || values.region === undefined ? readStackOutputs() : undefined;
      endpoint = endpointOption(values.endpoint, outputs);
      auth = await connectionOptions(values, endpoint, outputs);
      if (values.wait) twinUrl = await twinToWaitFor(values, endpoint);
    }
  } catch (error) {
    if (error instanceof TwinUnreachableError) throw new CliError(`--wait: ${error.message}`);
    throw error;
  }

  let readings: ReadingPayload[];
  try {
    readings = await loadReadingsFile(file);
  } catch (error) {
    if (!(error instanceof ReadingsFileError)) throw error;
    // `file:line: reason` without the command's name, as compilers print it, so that editors can jump to the line.
    await writeFlushed(process.stderr, `${error.message}\n`);
    return 1;
  }
  const described = describeReadings(readings);
  const plan = planReplay(readings, { count, loop: values.loop, addSeq: values['add-seq'], batch });
  const inMessages = (messages: number) =>
    batched ? ` in ${Number.isFinite(messages) ? `${messages} ` : ''}batched messages of up to ${batch}` : '';
  if (endpoint === undefined) {
    await writeFlushed(
      process.stdout,
      `${file}: ${described.readings} valid readings from ${described.printers} printers` +
        `${inMessages(planReplay(readings, { batch }).totalMessages)}; dry run, nothing sent\n`,
    );
    return 0;
  }

  const total = plan.totalReadings;
  if (total > readings.length && !values['add-seq'] && readings.some((r) => r.seq !== undefined)) {
    process.stderr.write(
      'note: the readings carry seq, so the detector skips their repeats as duplicates; add --add-seq to number them afresh\n',
    );
  }
  const where = `${topic} at ${endpoint}`;
  const controller = new AbortController();
  let signals = 0;
  let waitingForTwin = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${signal} again: exiting without waiting for PUBACKs\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(
      waitingForTwin
        ? `\n${signal}: no longer waiting for the twin\n`
        : `\n${signal}: stopping; waiting up to ${timeoutMs / 1000} s for in-flight PUBACKs (again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = progressReporter(process.stdout, undefined, { batched });
  process.stdout.write(
    `replaying ${Number.isFinite(total) ? `${total} readings` : 'readings endlessly'}${inMessages(plan.totalMessages)} ` +
      `(${described.printers} printers, from ${file}) to ${where}, QoS ${qos}` +
      `${rate !== undefined ? `, ${rate}/s` : ''}${values['add-seq'] ? ', seq stamped' : ''}\n`,
  );
  let summary: Awaited<ReturnType<typeof replayStream>>;
  try {
    summary = await replayStream(plan.messages, plan.totalMessages, {
      endpoint,
      topic,
      qos,
      ...(rate !== undefined ? { rate } : {}),
      ...(maxInFlight !== undefined ? { maxInFlight } : {}),
      ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
      ...auth,
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
  await writeFlushed(process.stdout, `${summaryLine(summary, where, { batched })}\n`);
  if (summary.interrupted) return EXIT_INTERRUPTED;
  if (twinUrl !== undefined) {
    // Every acknowledged reading has reached the twin's rule: what is left is the function's work.
    waitingForTwin = true;
    const { health, idle } = await waitForTwinIdle(twinUrl, { timeoutMs: waitTimeoutMs, signal: controller.signal }).catch(
      (error: unknown) => {
        throw error instanceof TwinUnreachableError ? new CliError(`--wait: ${error.message}`) : error;
      },
    );
    if (controller.signal.aborted) return EXIT_INTERRUPTED;
    if (!idle) {
      const { received, done } = health.twin;
      throw new CliError(
        `--wait: the twin has not handled every reading after ${waitTimeoutMs / 1000} s (${done} of ${received} handled; npm run logs shows why)`,
      );
    }
    const handled = batched ? `${summary.readingsAcked} readings (${summary.acked} messages)` : `${summary.acked} readings`;
    await writeFlushed(process.stdout, `processed: all ${handled} handled by the twin\n`);
  }
  return summary.failed > 0 ? 1 : 0;
});
