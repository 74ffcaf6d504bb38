/**
 * An MQTT subscriber built on the device SDK (`aws-iot-device-sdk-v2`, MQTT
 * 3.1.1 over plain TCP): what `npm start` and the tests use to watch
 * `anom/pred` on the twin's broker exactly as a device would.
 */
import { io, mqtt } from 'aws-iot-device-sdk-v2';
import { randomUUID } from 'node:crypto';

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

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects to `mqtt://HOST:PORT` and subscribes to `topic` with QoS 1. */
export async function subscribeTopic(
  url: string,
  topic: string,
  options: { clientId?: string; timeoutMs?: number } = {},
): Promise<TopicSubscription> {
  const { hostname, port, protocol } = new URL(url);
  if (protocol !== 'mqtt:') throw new Error(`expected an mqtt:// URL, got ${url}`);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const client = new mqtt.MqttClient();
  const connection = client.new_connection({
    client_id: options.clientId ?? `subscriber-${randomUUID()}`,
    host_name: hostname,
    port: Number(port),
    socket_options: new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, timeoutMs),
    clean_session: true,
    keep_alive: 30,
    protocol_operation_timeout: timeoutMs,
  });
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<{ count: number; resolve: () => void }>();
  const decoder = new TextDecoder();

  await withTimeout(connection.connect(), timeoutMs, `connecting to ${url}`);
  try {
    await withTimeout(
      connection.subscribe(topic, mqtt.QoS.AtLeastOnce, (received, payload) => {
        messages.push({ topic: received, payload: decoder.decode(payload) });
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
    await withTimeout(connection.disconnect(), timeoutMs, 'disconnecting').catch(() => undefined);
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
      await withTimeout(connection.disconnect(), timeoutMs, 'disconnecting').catch(() => undefined);
    },
  };
}
