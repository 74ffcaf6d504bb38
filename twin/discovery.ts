/**
 * How the CLIs find a running twin without flags: the twin writes a small
 * discovery file (`twin.json`: its pid and endpoints) in its state folder,
 * or where an in-memory twin is told to, and removes it when it closes. A
 * CLI reads it, checks the pid is alive and the endpoint it was given is
 * that twin's, then asks the twin's HTTP API how it is (`http-server.ts`).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { dirname } from 'node:path';
import { sleep } from '../common/async.ts';
import { isRecord } from '../common/guards.ts';
import { HEALTH_PATH, type TwinHealth } from './http-server.ts';
import { DEFAULT_DISCOVERY_FILES } from './paths.ts';
import { isRunning, makeWritableFolder } from './state-dir.ts';

/** What `twin.json` holds. */
export interface TwinRecord {
  readonly pid: number;
  /** The MQTT endpoint, `mqtt://127.0.0.1:PORT`. */
  readonly mqtt: string;
  /** The DynamoDB endpoint, `http://127.0.0.1:PORT`. */
  readonly dynamodb: string;
  /** The twin's HTTP API, `http://127.0.0.1:PORT`. */
  readonly http: string;
  /** The dashboard's URL (the twin's HTTP server's root). */
  readonly dashboard?: string;
  readonly table: string;
  /** The history table. */
  readonly eventsTable?: string;
  /** Stream ingest only: the Kinesis endpoint, `http://127.0.0.1:PORT`. */
  readonly kinesis?: string;
  /** The function's log file, when it has one. */
  readonly logFile?: string;
}

/** The twin's HTTP API did not answer as a twin does; the message is one line. */
export class TwinUnreachableError extends Error {
  override readonly name = 'TwinUnreachableError';
}

/**
 * Writes the discovery file and returns what removes it, which leaves alone
 * a file another twin has written since (two in-memory twins may share one).
 */
export function writeDiscoveryFile(file: string, record: TwinRecord): () => void {
  makeWritableFolder(dirname(file), `discovery file ${file}`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return () => {
    if (readDiscoveryFile(file, { alive: false })?.pid === record.pid) rmSync(file, { force: true });
  };
}

function isTwinRecord(value: unknown): value is TwinRecord {
  return (
    isRecord(value) &&
    Number.isSafeInteger(value['pid']) &&
    ['mqtt', 'dynamodb', 'http', 'table'].every((key) => typeof value[key] === 'string')
  );
}

/**
 * The record in `file`, or undefined when there is none, it is not a
 * discovery file, or (unless `alive: false`) the process that wrote it is
 * gone (a twin killed without closing leaves its file behind).
 */
export function readDiscoveryFile(file: string, { alive = true } = {}): TwinRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!isTwinRecord(value)) return undefined;
  return alive && !isRunning(value.pid) ? undefined : value;
}

/** The first running twin among the discovery files that `matches`. */
export function findRunningTwin(
  matches: (record: TwinRecord) => boolean,
  files: readonly string[] = DEFAULT_DISCOVERY_FILES,
): TwinRecord | undefined {
  for (const file of files) {
    const record = readDiscoveryFile(file);
    if (record !== undefined && matches(record)) return record;
  }
  return undefined;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'mqtt:': '1883', 'http:': '80', 'https:': '443' };

/** Whether two endpoint URLs name the same server (any loopback name is this machine; default ports filled in). */
export function sameEndpoint(a: string, b: string): boolean {
  const key = (text: string) => {
    if (!URL.canParse(text)) return text;
    const url = new URL(text);
    const host = LOOPBACK.test(url.hostname) ? 'loopback' : url.hostname.toLowerCase();
    return `${url.protocol}//${host}:${url.port || DEFAULT_PORTS[url.protocol] || ''}`;
  };
  return key(a.trim()) === key(b.trim());
}

function isHealth(value: unknown): value is TwinHealth {
  const twin = isRecord(value) ? value['twin'] : undefined;
  return isRecord(twin) && ['received', 'done', 'inFlight'].every((key) => Number.isSafeInteger(twin[key]));
}

/** `GET url`: the status and the body parsed as JSON (undefined if it is not JSON). */
function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', reject);
      response.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
  });
}

const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'no answer',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
};

/** Asks the twin at `httpUrl` how it is. @throws {TwinUnreachableError} */
export async function fetchTwinHealth(httpUrl: string, timeoutMs = 2_000): Promise<TwinHealth> {
  const url = `${httpUrl.replace(/\/+$/, '')}${HEALTH_PATH}`;
  let answer: { status: number; body: unknown };
  try {
    answer = await getJson(url, timeoutMs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TwinUnreachableError(
      `cannot reach the twin at ${httpUrl} (${NETWORK_ERRORS[code ?? ''] ?? code ?? (error as Error).message})`,
    );
  }
  if (answer.status !== 200 || !isHealth(answer.body)) {
    const what = answer.status === 200 ? "without the twin's counts" : `with status ${answer.status}`;
    throw new TwinUnreachableError(`${httpUrl} is not the twin's HTTP API (GET ${HEALTH_PATH} answered ${what})`);
  }
  return answer.body;
}

/** Messages the twin still has to handle (running or queued). */
export function pendingMessages(health: TwinHealth): number {
  return Math.max(0, health.twin.received - health.twin.done, health.twin.inFlight);
}

/**
 * Polls the twin's health until it has handled every message it received
 * (`idle: true`), or `timeoutMs` has passed or `signal` aborted (`idle:
 * false`), and resolves with the last answer.
 *
 * @throws {TwinUnreachableError} if the twin stops answering.
 */
export async function waitForTwinIdle(
  httpUrl: string,
  { timeoutMs, intervalMs = 100, signal }: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<{ health: TwinHealth; idle: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const health = await fetchTwinHealth(httpUrl);
    if (pendingMessages(health) === 0) return { health, idle: true };
    if (performance.now() >= deadline || signal?.aborted) return { health, idle: false };
    await sleep(Math.min(intervalMs, Math.max(0, deadline - performance.now())), signal);
  }
}
