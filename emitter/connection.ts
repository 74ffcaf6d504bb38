/**
 * Connecting to a broker with the AWS IoT Device SDK v2 (MQTT 3.1.1 client):
 * where an endpoint string points, the connection settings for AWS IoT Core
 * (mTLS, or websockets + SigV4) and for a local broker (plain TCP), and
 * connect and disconnect with a timeout on every await, as the SDK samples
 * do. The emitter (`replay.ts`) and the subscriber (`subscriber.ts`) both
 * connect through here.
 */
import { randomBytes } from 'node:crypto';
import { auth, io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import { withTimeout } from '../common/async.ts';
import { EmitterConnectionError, ReplayOptionsError } from './errors.ts';

/** How to reach the broker. */
export interface ConnectionOptions {
  /** 'mqtt://host:port' for a local broker (plain TCP), or an AWS IoT Core host name (TLS). */
  readonly endpoint: string;
  /** @default a random 'emitter-xxxxxxxx' */
  readonly clientId?: string;
  /** Certificate and key (and optional CA) for AWS IoT Core mTLS. */
  readonly mtls?: { certPath: string; keyPath: string; caPath?: string };
  /** Websockets + SigV4 with the default credential chain, for AWS IoT Core. */
  readonly websocket?: { region: string };
  /** @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Abort = stop waiting for the connection; {@link connect} resolves 'aborted'. */
  readonly signal?: AbortSignal;
}

/** Default wait for the CONNACK. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Longest wait for the broker to acknowledge the DISCONNECT. */
const DISCONNECT_TIMEOUT_MS = 5_000;
/** MQTT keep-alive of every connection, in seconds. */
const KEEP_ALIVE_SECONDS = 30;
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
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'https') {
    throw new ReplayOptionsError(
      `endpoint "${endpoint}": ${scheme}:// is not supported; use mqtt://HOST:PORT for a local broker (plain TCP, the local twin) or the AWS IoT Core host name (TLS)`,
    );
  }
  const bare = trimmed.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  const match = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(bare);
  if (!match?.[1]) {
    throw new ReplayOptionsError(`endpoint "${endpoint}" is neither mqtt://host:port nor an AWS IoT Core host name`);
  }
  return match[2] ? { kind: 'aws', host: match[1], port: Number(match[2]) } : { kind: 'aws', host: match[1] };
}

/** A random client id, `<prefix>-` and 8 hex digits. */
export function randomClientId(prefix = 'emitter'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function socketOptions(connectTimeoutMs: number): io.SocketOptions {
  // The domain only seeds the socket: the CRT connects with the address family the host name resolves to.
  return new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV6, connectTimeoutMs);
}

/**
 * The settings of a plain-TCP connection to a local broker (the twin's, or
 * any `mqtt://` endpoint): a clean session, the keep-alive of every
 * connection, and no SDK metrics in the user name (a local broker has no use
 * for them).
 */
export function localConnectionConfig(settings: {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  /** No acknowledgement (PUBACK, SUBACK...) within this time fails the operation. */
  readonly operationTimeoutMs: number;
}): mqtt.MqttConnectionConfig {
  return {
    client_id: settings.clientId,
    host_name: settings.host,
    port: settings.port,
    socket_options: socketOptions(settings.connectTimeoutMs),
    clean_session: true,
    keep_alive: KEEP_ALIVE_SECONDS,
    protocol_operation_timeout: settings.operationTimeoutMs,
    disable_metrics: true,
  };
}

function connectionConfig(options: ConnectionOptions, operationTimeoutMs: number): mqtt.MqttConnectionConfig {
  const endpoint = parseEndpoint(options.endpoint);
  const clientId = options.clientId ?? randomClientId();
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  if (endpoint.kind === 'local') {
    if (options.mtls || options.websocket) {
      throw new ReplayOptionsError('certificates and websockets are for AWS IoT Core; a mqtt:// endpoint is plain TCP');
    }
    return localConnectionConfig({ host: endpoint.host, port: endpoint.port, clientId, connectTimeoutMs, operationTimeoutMs });
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
    .with_keep_alive_seconds(KEEP_ALIVE_SECONDS)
    .with_socket_options(socketOptions(connectTimeoutMs))
    .with_protocol_operation_timeout_ms(operationTimeoutMs)
    .build();
}

/** CRT error codes whose own text does not say what to do. */
const CRT_ERROR_TEXT: Readonly<Record<string, string>> = {
  AWS_AUTH_SIGNING_NO_CREDENTIALS: 'no AWS credentials for websockets + SigV4 (set AWS_PROFILE, or run aws configure)',
};

/** The CRT rejects with strings as well as errors: one line either way. */
export function describeCrtError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const crt = /(AWS_[A-Z0-9_]+),\s*(.*)$/.exec(text);
  const line = crt ? (CRT_ERROR_TEXT[crt[1] ?? ''] ?? `${crt[2]?.replace(/\.$/, '')} (${crt[1]})`) : text;
  return line.split('\n')[0] ?? line;
}

/** Whether a host name is this machine (where the twin's plain-TCP broker runs). */
export function isLoopbackHost(host: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);
}

/**
 * A hint for a TLS connection to this machine that the server closed: most
 * likely a plain-TCP broker (the local twin), which needs `mqtt://`.
 */
function plainBrokerHint(endpoint: string, failure: string): string {
  let parsed: ParsedEndpoint;
  try {
    parsed = parseEndpoint(endpoint);
  } catch {
    return '';
  }
  if (parsed.kind !== 'aws' || !isLoopbackHost(parsed.host) || !failure.includes('SOCKET_CLOSED')) return '';
  return `; a plain-TCP broker such as the local twin needs mqtt://${parsed.host}${parsed.port ? `:${parsed.port}` : ''}`;
}

/**
 * A connection (not yet connected) for `options`; operations without their
 * acknowledgement within `operationTimeoutMs` fail.
 *
 * @throws {ReplayOptionsError} when the options cannot work together.
 * @throws {EmitterConnectionError} when the certificate or key cannot be used.
 */
export function newConnection(options: ConnectionOptions, operationTimeoutMs: number): mqtt.MqttClientConnection {
  try {
    return new mqtt.MqttClient().new_connection(connectionConfig(options, operationTimeoutMs));
  } catch (error) {
    if (error instanceof ReplayOptionsError) throw error;
    // The CRT reads the certificate, key and CA here and rejects what is not PEM.
    const what = options.mtls
      ? `the certificate and key (${options.mtls.certPath}, ${options.mtls.keyPath}${options.mtls.caPath ? `, CA ${options.mtls.caPath}` : ''}): are they PEM files of one key pair?`
      : 'the connection';
    throw new EmitterConnectionError(`cannot set up ${what} ${describeCrtError(error)}`);
  }
}

/**
 * Connects within `options.connectTimeoutMs`, or resolves 'aborted' when
 * `options.signal` aborts first (an attempt given up on is closed should it
 * still succeed).
 *
 * @throws {EmitterConnectionError} refused, timed out, TLS or auth failure: one line naming the endpoint.
 */
export async function connect(connection: mqtt.MqttClientConnection, options: ConnectionOptions): Promise<'connected' | 'aborted'> {
  const where = options.endpoint;
  const ms = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  // The CRT reports some failures (a TLS negotiation) only after its own timeout: keep the latest reason for ours.
  let lastFailure: string | undefined;
  connection.on('connection_failure', (result) => {
    lastFailure = describeCrtError(result.error);
  });
  const attempt = connection.connect().then(
    () => 'connected' as const,
    (error: unknown) => {
      const failure = describeCrtError(error);
      throw new EmitterConnectionError(`cannot connect to ${where}: ${failure}${plainBrokerHint(where, failure)}`);
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
      const failure = lastFailure ?? 'no CONNACK';
      throw new EmitterConnectionError(`cannot connect to ${where}: ${failure} within ${ms / 1000} s${plainBrokerHint(where, failure)}`);
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

/** Disconnects within a bounded time; never rejects. */
export async function disconnect(connection: mqtt.MqttClientConnection): Promise<void> {
  // Stops the CRT's reconnect loop and frees its native resources; failures
  // here (never connected, already gone) leave nothing to clean up.
  await withTimeout(
    connection.disconnect().catch(() => {}),
    DISCONNECT_TIMEOUT_MS,
    () => {},
  );
}
