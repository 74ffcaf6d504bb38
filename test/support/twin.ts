/**
 * What the twin's tests share: running the project's CLIs as child processes
 * (as a user runs them), waiting for a line of their output, reading the
 * whole profiles table, and publishing single messages over MQTT.
 */
import { cliTmpDir } from './cli-tmp.ts';
import type { ProfileInput } from '../../contract/index.ts';
import { originalModelProfile } from './profiles.ts';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DETECT_TOPIC } from '../../contract/index.ts';
import { connect, disconnect, newConnection } from '../../emitter/connection.ts';
import { replay, type ReplaySummary } from '../../emitter/replay.ts';
import type { ModelProfile } from './model.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TSX = pathToFileURL(fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url))).href;

/** Environment of CLI child processes: never real AWS credentials or config. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TMPDIR: cliTmpDir(),
    ...extra,
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
  // The twin a CLI uses is the test's to say (`twin/locate.ts`), never the developer's.
  if (extra['PRINTER_ANOMALY_TWIN'] === undefined) delete env['PRINTER_ANOMALY_TWIN'];
  return env;
}

/** Starts `node --import tsx <script> ...args` (script relative to the repository). */
export function spawnCli(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', TSX, fileURLToPath(new URL(script, pathToFileURL(REPO))), ...args], {
    cwd: options.cwd ?? REPO,
    env: cliEnv(options.env),
  });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a CLI to completion. `killAfterMs`: SIGKILL it after that long (a
 * process that may hang deaf to SIGTERM must not outlive its test); its code
 * is then null.
 */
export function runCliProcess(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; killAfterMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(script, args, options);
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves with the first line of `stream` matching `pattern` (rejects if the stream ends first). */
export function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        resolve(found);
      }
    };
    const onEnd = () => reject(new Error(`the stream ended without a line matching ${pattern}`));
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

/**
 * `npm run local` as a user starts it, on ports the system picks, with `args`
 * besides; resolves when it prints its ready line, with the broker's and the
 * HTTP API's URLs read from it. Its output keeps being read (and dropped) so it never blocks.
 */
export async function startLocalTwin(
  args: readonly string[],
): Promise<{ child: ChildProcessWithoutNullStreams; mqttUrl: string; httpUrl: string }> {
  const child = spawnCli('cli/local.ts', ['--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', '0', ...args]);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const ready = await waitForLine(child.stdout, /^local twin ready:/);
    child.stdout.resume();
    const [, mqttUrl, httpUrl] = /^local twin ready: mqtt (\S+) .* \| http (\S+) /.exec(ready)!;
    return { child, mqttUrl: mqttUrl!, httpUrl: httpUrl! };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`npm run local was not ready: ${(error as Error).message}\n${stderr}`);
  }
}

/**
 * Replays `readings` to the twin `child` runs and kills it with SIGKILL at the
 * first acknowledgement, whatever the machine's speed; the replay stops when
 * the twin dies. Resolves with the replay's summary and the child's exit code.
 */
export async function replayUntilKilled(
  child: ChildProcess,
  readings: readonly object[],
  options: { endpoint: string; rate: number },
): Promise<{ summary: ReplaySummary; exitCode: number | null }> {
  const crash = new AbortController();
  let killed: Promise<number | null> | undefined;
  const summary = await replay(readings, {
    ...options,
    qos: 1,
    publishTimeoutMs: 2_000,
    signal: crash.signal,
    onProgress: (progress) => {
      if (killed !== undefined || progress.acked < 1) return;
      killed = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      crash.abort();
    },
  });
  return { summary, exitCode: await (killed ?? Promise.reject(new Error('the replay ended before any acknowledgement'))) };
}

/** Resolves with the exit code of a child process. */
export function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Every item of a table, as plain values (consistent reads). */
export async function allItems(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Profiles as the model takes them. */
export function modelProfiles(profiles: readonly ProfileInput[]): Record<string, ModelProfile> {
  return Object.fromEntries(profiles.map((p) => [p.PrinterId, originalModelProfile(p)]));
}

/** Publishes readings to the twin as a device does (device SDK, QoS 1), and checks every one was acknowledged. */
export async function publishReadings(mqttUrl: string, readings: readonly object[], options: { addSeq?: boolean } = {}): Promise<void> {
  const summary = await replay(readings, { endpoint: mqttUrl, qos: 1, ...(options.addSeq ? { addSeq: true } : {}) });
  if (summary.acked !== readings.length) throw new Error(`only ${summary.acked} of ${readings.length} readings were acknowledged`);
}

/** Publishes payloads as raw text (QoS 1, each PUBACK awaited), as a device that sends anything can. */
export async function publishRaw(mqttUrl: string, payloads: readonly string[]): Promise<void> {
  const options = { endpoint: mqttUrl };
  const connection = newConnection(options, 10_000);
  if ((await connect(connection, options)) !== 'connected') throw new Error(`could not connect to ${mqttUrl}`);
  try {
    for (const payload of payloads) await connection.publish(DETECT_TOPIC, payload, 1, false);
  } finally {
    await disconnect(connection);
  }
}

/** A reading payload. */
export const reading = (PrinterId: string, value: number, extra: Record<string, unknown> = {}) => ({
  PrinterId,
  data: { value },
  ...extra,
});
