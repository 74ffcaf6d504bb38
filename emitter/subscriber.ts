/**
 * An MQTT subscriber built on the device SDK (`aws-iot-device-sdk-v2`, MQTT
 * 3.1.1 over plain TCP, connected as the emitter connects: `connection.ts`):
 * what `npm start`, the tests and the benchmarks use to watch `anom/pred` on
 * the twin's broker exactly as a device would.
 */
import { mqtt } from 'aws-iot-device-sdk-v2';
import { withTimeout } from '../common/async.ts';
import { connect, disconnect, localConnectionConfig, parseEndpoint, randomClientId } from './connection.ts';

/** One message received on the subscription. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: string;
}

export interface TopicSubscription {
  readonly messages: readonly ReceivedMessage[];
  /** Resolves once `count` messages have arrived in total; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Unsubscribes and disconnects. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** @default a random 'subscriber-xxxxxxxx' */
  readonly clientId?: string;
  /** For connecting, subscribing and unsubscribing. @default 5_000 */
  readonly timeoutMs?: number;
  /** Called as each message arrives (e.g. to time it), after it is added to `messages`. */
  readonly onMessage?: (message: ReceivedMessage) => void;
}

/**
 * Connects to `mqtt://HOST:PORT` and subscribes to `topic` with QoS 1.
 *
 * @throws {EmitterConnectionError} when the broker cannot be reached.
 */
export async function subscribeTopic(url: string, topic: string, options: SubscribeOptions = {}): Promise<TopicSubscription> {
  const endpoint = parseEndpoint(url);
  if (endpoint.kind !== 'local') throw new Error(`expected an mqtt:// URL, got ${url}`);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const connection = new mqtt.MqttClient().new_connection(
    localConnectionConfig({
      host: endpoint.host,
      port: endpoint.port,
      clientId: options.clientId ?? randomClientId('subscriber'),
      connectTimeoutMs: timeoutMs,
      operationTimeoutMs: timeoutMs,
    }),
  );
  // Without a listener the CRT's 'error' events would be unhandled.
  connection.on('error', () => {});
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<{ count: number; resolve: () => void }>();
  const decoder = new TextDecoder();

  await connect(connection, { endpoint: url, connectTimeoutMs: timeoutMs });
  try {
    await withTimeout(
      connection.subscribe(topic, mqtt.QoS.AtLeastOnce, (received, payload) => {
        const message = { topic: received, payload: decoder.decode(payload) };
        messages.push(message);
        options.onMessage?.(message);
        for (const waiter of waiters) {
          if (messages.length >= waiter.count) {
            waiters.delete(waiter);
            waiter.resolve();
          }
        }
      }),
      timeoutMs,
      `subscribing to ${topic}`,
    );
  } catch (error) {
    await disconnect(connection);
    throw error;
  }

  return {
    messages,
    waitFor: (count, waitMs = 10_000) => {
      if (messages.length >= count) return Promise.resolve();
      let waiter: { count: number; resolve: () => void } | undefined;
      const arrived = new Promise<void>((resolve) => {
        waiter = { count, resolve };
        waiters.add(waiter);
      });
      return withTimeout(arrived, waitMs, `waiting for ${count} message(s) on ${topic} (got ${messages.length})`).finally(() => {
        if (waiter) waiters.delete(waiter);
      });
    },
    close: async () => {
      await withTimeout(connection.unsubscribe(topic), timeoutMs, `unsubscribing from ${topic}`).catch(() => undefined);
      // disconnect() also frees the connection's native resources.
      await disconnect(connection);
    },
  };
}
