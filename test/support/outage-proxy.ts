/**
 * A TCP proxy that can fail like a server that stops and comes back: `down()`
 * drops every open connection (requests in flight lose their responses) and
 * refuses new ones until `up()`. The fault tests put it between a client and
 * the twin's DynamoDB or MQTT port. `downOnNextReply()` makes the fault land
 * mid-request for certain: the server's next reply is swallowed and the
 * connections drop at that moment, so at least one request the server took
 * never gets its answer (for MQTT: a PUBLISH the broker took loses its PUBACK).
 * `nextRefusal()` ends an outage on an event too: when a client has tried again.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface OutageProxy {
  readonly port: number;
  /** Where connections are forwarded; may be set after the proxy starts. */
  target: number | undefined;
  /** Connections dropped or refused so far. */
  readonly dropped: number;
  down(): void;
  /** Goes down at the server's next reply, which is never delivered; resolves then. */
  downOnNextReply(): Promise<void>;
  /** Resolves when the proxy next refuses a connection (a client trying again while it is down). */
  nextRefusal(): Promise<void>;
  /** `downOnNextReply()`, then back up once a client has tried to reconnect and been refused; resolves when up. */
  cutOnNextReply(): Promise<void>;
  up(): void;
  close(): Promise<void>;
}

export async function startOutageProxy(target?: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  let isDown = false;
  let dropped = 0;
  let onNextReply: (() => void) | undefined;
  const onRefusal: (() => void)[] = [];
  const server = createServer((client) => {
    if (isDown || proxy.target === undefined) {
      dropped++;
      client.destroy();
      for (const refused of onRefusal.splice(0)) refused();
      return;
    }
    const upstream = connect(proxy.target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const cut = onNextReply;
      if (cut === undefined) {
        client.write(chunk);
        return;
      }
      onNextReply = undefined;
      proxy.down();
      cut();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const proxy: OutageProxy = {
    port: (server.address() as AddressInfo).port,
    target,
    get dropped() {
      return dropped;
    },
    down() {
      isDown = true;
      for (const socket of sockets) {
        dropped++;
        socket.destroy();
      }
      sockets.clear();
    },
    downOnNextReply: () =>
      new Promise<void>((resolve) => {
        onNextReply = resolve;
      }),
    nextRefusal: () => new Promise<void>((resolve) => onRefusal.push(resolve)),
    cutOnNextReply: async () => {
      await proxy.downOnNextReply();
      await proxy.nextRefusal();
      proxy.up();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.down();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
