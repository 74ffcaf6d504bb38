/**
 * Replays readings over MQTT with the AWS IoT Device SDK v2 (MQTT 3.1.1
 * client), to AWS IoT Core (mTLS, or websockets + SigV4) or to a local broker
 * over plain TCP, the way the SDK samples do: one connection, every PUBACK
 * awaited, a timeout on every await, a clean disconnect.
 */
import { randomBytes } from 'node:crypto';
import { auth, io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import { DETECT_TOPIC } from '../contract/index.ts';
import { EmitterConnectionError, ReplayOptionsError } from './errors.ts';

/** How to reach the broker and how to publish. */
export interface ReplayOptions {
  /** 'mqtt://host:port' for a local broker (plain TCP), or an AWS IoT Core host name (TLS). */
  readonly endpoint: string;
  /** @default DETECT_TOPIC ('anom/detect') */
  readonly topic?: string;
  /** @default 1: every PUBACK awaited */
  readonly qos?: 0 | 1;
  /** Readings per second; undefined = as fast as acked (bounded in-flight). */
  readonly rate?: number;
  /** Publishes awaiting their PUBACK at most. @default 100 */
  readonly maxInFlight?: number;
  /** @default a random 'emitter-xxxxxxxx' */
  readonly clientId?: string;
  /** Certificate and key (and optional CA) for AWS IoT Core mTLS. */
  readonly mtls?: { certPath: string; keyPath: string; caPath?: string };
  /** Websockets + SigV4 with the default credential chain, for AWS IoT Core. */
  readonly websocket?: { region: string };
  /** Stamp per-printer seq 1,2,3... (overwrites existing seq). */
  readonly addSeq?: boolean;
  /** @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Per publish attempt: no PUBACK within this time fails the attempt. @default 10_000 */
  readonly publishTimeoutMs?: number;
  /**
   * QoS 1: times a publish that failed (connection lost, no PUBACK) is sent
   * again once the connection is back, in the original order, before anything
   * newer; only then does it count as failed. Resending can deliver a reading
   * twice: the backend skips the copy by `seq`. @default 5
   */
  readonly resendAttempts?: number;
  /** Abort = stop sending, flush in-flight, disconnect, resolve with interrupted: true. */
  readonly signal?: AbortSignal;
  /** Called after each publish is sent, acknowledged or failed. */
  readonly onProgress?: (progress: ReplayProgress) => void;
}

/** Counts so far; `total` is Infinity for an endless replay. */
export interface ReplayProgress {
  sent: number;
  acked: number;
  failed: number;
  total: number;
}

/**
 * What a replay did. `acked`: PUBACK received (QoS 0: written to the socket);
 * `failed`: publish rejected or timed out. `seconds` runs from the first
 * publish to the last acknowledgement; `readingsPerSecond` is acked / seconds.
 */
export interface ReplaySummary {
  sent: number;
  acked: number;
  failed: number;
  /** Publishes sent again after a failed attempt (QoS 1). */
  resent: number;
  seconds: number;
  readingsPerSecond: number;
  interrupted: boolean;
}

const DEFAULTS = { maxInFlight: 100, connectTimeoutMs: 10_000, publishTimeoutMs: 10_000, resendAttempts: 5 } as const;
/** After a failure, wait this long for the other failures of the same outage before resending in order. */
const RESEND_SETTLE_MS = 25;
/** Longest wait for the broker to acknowledge the DISCONNECT. */
const DISCONNECT_TIMEOUT_MS = 5_000;
const LOCAL_PORT = 1883;
const MTLS_PORT = 8883;
const WEBSOCKET_PORT = 443;

/** Where the endpoint string points. */
export type ParsedEndpoint =
  | { readonly kind: 'local'; readonly host: string; readonly port: number }
  | { readonly kind: 'aws'; readonly host: string; readonly port?: number };

/** Reads `mqtt://host[:port]` (local, plain TCP) or an AWS IoT Core host name (`https://` and a trailing `/` are tolerated). */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const trimmed = endpoint.trim();
  if (/^mqtt:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new ReplayOptionsError(`endpoint "${endpoint}" is not a valid mqtt://host:port URL`);
    }
    if (!url.hostname) throw new ReplayOptionsError(`endpoint "${endpoint}" has no host`);
    return { kind: 'local', host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : LOCAL_PORT };
  }
  const bare = trimmed.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  const match = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(bare);
  if (!match?.[1]) {
    throw new ReplayOptionsError(`endpoint "${endpoint}" is neither mqtt://host:port nor an AWS IoT Core host name`);
  }
  return match[2] ? { kind: 'aws', host: match[1], port: Number(match[2]) } : { kind: 'aws', host: match[1] };
}

/** A random client id, `emitter-` and 8 hex digits. */
export function randomClientId(): string {
  return `emitter-${randomBytes(4).toString('hex')}`;
}

function connectionConfig(options: ReplayOptions, clientId: string, publishTimeoutMs: number): mqtt.MqttConnectionConfig {
  const endpoint = parseEndpoint(options.endpoint);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  // The domain only seeds the socket: the CRT connects with the address family the host name resolves to.
  const socketOptions = new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV6, connectTimeoutMs);
  if (endpoint.kind === 'local') {
    if (options.mtls || options.websocket) {
      throw new ReplayOptionsError('certificates and websockets are for AWS IoT Core; a mqtt:// endpoint is plain TCP');
    }
    return {
      client_id: clientId,
      host_name: endpoint.host,
      port: endpoint.port,
      socket_options: socketOptions,
      clean_session: true,
      keep_alive: 30,
      protocol_operation_timeout: publishTimeoutMs,
      disable_metrics: true,
    };
  }
  let builder: iot.AwsIotMqttConnectionConfigBuilder;
  if (options.mtls && options.websocket) {
    throw new ReplayOptionsError('choose one way to authenticate: a certificate (mTLS) or websockets (SigV4), not both');
  } else if (options.mtls) {
    builder = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(options.mtls.certPath, options.mtls.keyPath);
    if (options.mtls.caPath) builder.with_certificate_authority_from_path(undefined, options.mtls.caPath);
    builder.with_port(endpoint.port ?? MTLS_PORT);
  } else if (options.websocket) {
    builder = iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets({
      region: options.websocket.region,
      credentials_provider: auth.AwsCredentialsProvider.newDefault(),
    });
    builder.with_port(endpoint.port ?? WEBSOCKET_PORT);
  } else {
    throw new ReplayOptionsError(
      `AWS IoT Core (${endpoint.host}) needs a device certificate (cert and key: see npm run provision) or websockets with a region`,
    );
  }
  return builder
    .with_endpoint(endpoint.host)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(30)
    .with_socket_options(socketOptions)
    .with_protocol_operation_timeout_ms(publishTimeoutMs)
    .build();
}

/** The CRT rejects with strings as well as errors: one line either way. */
function describeCrtError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const crt = /(AWS_[A-Z0-9_]+),\s*(.*)$/.exec(text);
  const line = crt ? `${crt[2]?.replace(/\.$/, '')} (${crt[1]})` : text;
  return line.split('\n')[0] ?? line;
}

/** `promise`, or `onTimeout()` after `ms`; the timer never outlives the race. */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      Promise.resolve().then(onTimeout).then(resolve, reject);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function connect(connection: mqtt.MqttClientConnection, options: ReplayOptions): Promise<'connected' | 'aborted'> {
  const where = options.endpoint;
  const ms = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  // The CRT reports some failures (a TLS negotiation) only after its own timeout: keep the latest reason for ours.
  let lastFailure: string | undefined;
  connection.on('connection_failure', (result) => {
    lastFailure = describeCrtError(result.error);
  });
  const attempt = connection.connect().then(
    () => 'connected' as const,
    (error: unknown) => {
      throw new EmitterConnectionError(`cannot connect to ${where}: ${describeCrtError(error)}`);
    },
  );
  const { signal } = options;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const outcome = await withTimeout(Promise.race([attempt, aborted]), ms, () => {
      throw new EmitterConnectionError(`cannot connect to ${where}: ${lastFailure ?? 'no CONNACK'} within ${ms / 1000} s`);
    });
    if (outcome === 'aborted') abandon(connection, attempt);
    return outcome;
  } catch (error) {
    abandon(connection, attempt);
    throw error;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** A connect attempt given up on: should it still succeed, close that connection. */
function abandon(connection: mqtt.MqttClientConnection, attempt: Promise<unknown>): void {
  attempt.then(
    () => connection.disconnect().catch(() => {}),
    () => {},
  );
}

async function disconnect(connection: mqtt.MqttClientConnection): Promise<void> {
  // Stops the CRT's reconnect loop and frees its native resources; failures
  // here (never connected, already gone) leave nothing to clean up.
  await withTimeout(
    connection.disconnect().catch(() => {}),
    DISCONNECT_TIMEOUT_MS,
    () => {},
  );
}

/** Stamps per-printer `seq` 1, 2, 3... on copies of the readings, in order. */
function* stampSeq(readings: Iterable<object>): Generator<object> {
  const next = new Map<string, number>();
  for (const reading of readings) {
    const printerId = (reading as { PrinterId: string }).PrinterId;
    const seq = (next.get(printerId) ?? 0) + 1;
    next.set(printerId, seq);
    yield { ...reading, seq };
  }
}

/**
 * The readings again and again: `count` readings in all (cycling through the
 * list), or forever when `count` is undefined. Stops early on an empty list.
 */
export function* repeatReadings(readings: readonly object[], count?: number): Generator<object> {
  if (readings.length === 0) return;
  for (let i = 0; count === undefined || i < count; i++) yield readings[i % readings.length] as object;
}

/**
 * Replays `source` (`total` readings, Infinity for an endless one) in order
 * over one connection. Per-printer order is kept: publishes are issued in
 * order on one MQTT connection. See {@link replay}.
 *
 * @throws {EmitterConnectionError} when the connection cannot be established.
 * @throws {ReplayOptionsError} when the options cannot work together.
 */
export async function replayStream(source: Iterable<object>, total: number, options: ReplayOptions): Promise<ReplaySummary> {
  const topic = options.topic ?? DETECT_TOPIC;
  const qos = (options.qos ?? 1) === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
  const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULTS.maxInFlight);
  const publishTimeoutMs = options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs;
  const { rate, signal } = options;
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate)))
    throw new ReplayOptionsError(`rate must be a positive number, got ${rate}`);

  let connection: mqtt.MqttClientConnection;
  try {
    const config = connectionConfig(options, options.clientId ?? randomClientId(), publishTimeoutMs);
    connection = new mqtt.MqttClient().new_connection(config);
  } catch (error) {
    if (error instanceof ReplayOptionsError) throw error;
    // The CRT reads the certificate, key and CA here and rejects what is not PEM.
    const what = options.mtls
      ? `the certificate and key (${options.mtls.certPath}, ${options.mtls.keyPath}${options.mtls.caPath ? `, CA ${options.mtls.caPath}` : ''}): are they PEM files of one key pair?`
      : 'the connection';
    throw new EmitterConnectionError(`cannot set up ${what} ${describeCrtError(error)}`);
  }
  // Without listeners the CRT's 'error'/'interrupt' events would be unhandled.
  // The CRT reconnects by itself; publishes in flight when the connection
  // dropped fail and are resent below once it is back.
  let online = true;
  let interruptions = 0;
  const onlineWaiters = new Set<() => void>();
  const setOnline = (value: boolean) => {
    online = value;
    if (online) for (const resolve of [...onlineWaiters]) resolve();
  };
  connection.on('error', () => {});
  connection.on('interrupt', () => {
    interruptions++;
    setOnline(false);
  });
  connection.on('resume', () => setOnline(true));
  const waitOnline = (ms: number) =>
    online
      ? Promise.resolve()
      : withTimeout(
          new Promise<void>((resolve) => {
            const done = () => {
              onlineWaiters.delete(done);
              resolve();
            };
            onlineWaiters.add(done);
          }),
          ms,
          () => {},
        );

  // Resends in original order: failed publishes queue here and are released
  // together, sorted by their position in the replay, once the connection is
  // back; new publishes wait until the queue has been released.
  const resendAttempts = qos === mqtt.QoS.AtLeastOnce ? Math.max(0, options.resendAttempts ?? DEFAULTS.resendAttempts) : 0;
  let resendQueue: { index: number; release: () => void }[] = [];
  let resendReleased: Promise<void> | undefined;
  const resendTurn = (index: number): Promise<void> =>
    new Promise<void>((release) => {
      resendQueue.push({ index, release });
      resendReleased ??= (async () => {
        await sleep(RESEND_SETTLE_MS, undefined);
        await waitOnline(publishTimeoutMs);
        const queue = resendQueue.sort((a, b) => a.index - b.index);
        resendQueue = [];
        resendReleased = undefined;
        for (const waiter of queue) waiter.release();
      })();
    });

  const progress: ReplayProgress = { sent: 0, acked: 0, failed: 0, total };
  let resent = 0;
  const report = () => options.onProgress?.({ ...progress });
  let firstPublishAt: number | undefined;
  let lastSettledAt: number | undefined;

  const inFlight = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;
  const wake = () => {
    const resolve = slotFreed;
    slotFreed = undefined;
    resolve?.();
  };
  const aborted = () => signal?.aborted === true;
  const publishOne = async (reading: object, index: number): Promise<void> => {
    const payload = JSON.stringify(reading);
    let ok = false;
    for (let attempt = 0; attempt <= resendAttempts; attempt++) {
      if (attempt > 0) {
        await resendTurn(index);
        resent++;
      }
      const epoch = interruptions;
      try {
        const puback = connection.publish(topic, payload, qos, false).then(
          () => true,
          () => false,
        );
        ok = await withTimeout(puback, publishTimeoutMs, () => false);
      } catch {
        ok = false;
      }
      if (ok || attempt === resendAttempts) break;
      // Resend only what a lost connection failed: a broker that is up but
      // does not acknowledge would not acknowledge a copy either.
      await sleep(RESEND_SETTLE_MS, undefined);
      if ((online && interruptions === epoch) || aborted()) break;
    }
    if (ok) progress.acked++;
    else progress.failed++;
    lastSettledAt = performance.now();
    report();
  };

  try {
    if ((await connect(connection, options)) === 'aborted') {
      return { sent: 0, acked: 0, failed: 0, resent: 0, seconds: 0, readingsPerSecond: 0, interrupted: true };
    }
    signal?.addEventListener('abort', wake);
    for (const reading of options.addSeq ? stampSeq(source) : source) {
      while (inFlight.size >= maxInFlight && !aborted()) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
      }
      if (rate !== undefined && firstPublishAt !== undefined) {
        await sleep(firstPublishAt + (progress.sent * 1000) / rate - performance.now(), signal);
      }
      while (resendReleased !== undefined) await resendReleased; // resends go first
      if (aborted()) break;
      firstPublishAt ??= performance.now();
      const pending = publishOne(reading, progress.sent).finally(() => {
        inFlight.delete(pending);
        wake();
      });
      inFlight.add(pending);
      progress.sent++;
      report();
    }
    // Flush: every in-flight publish settles within publishTimeoutMs.
    await Promise.all(inFlight);
  } finally {
    signal?.removeEventListener('abort', wake);
    await disconnect(connection);
  }

  const seconds = firstPublishAt !== undefined && lastSettledAt !== undefined ? (lastSettledAt - firstPublishAt) / 1000 : 0;
  return {
    sent: progress.sent,
    acked: progress.acked,
    failed: progress.failed,
    resent,
    seconds,
    readingsPerSecond: seconds > 0 ? progress.acked / seconds : 0,
    interrupted: signal?.aborted === true && progress.sent < total,
  };
}

/**
 * Replays `readings` in order to `options.endpoint` and resolves with what
 * was sent, acknowledged and failed. QoS 1 (default): each PUBACK is awaited,
 * a publish without one within `publishTimeoutMs` counts as failed; at most
 * `maxInFlight` publishes await their PUBACK at once. Aborting `signal` stops
 * sending, waits for the in-flight PUBACKs (each bounded by its timeout),
 * disconnects and resolves with `interrupted: true`.
 *
 * @throws {EmitterConnectionError} when the connection cannot be established (refused, timed out, TLS/auth failure).
 * @throws {ReplayOptionsError} when the options cannot work together.
 */
export async function replay(readings: readonly object[], options: ReplayOptions): Promise<ReplaySummary> {
  return replayStream(readings, readings.length, options);
}
