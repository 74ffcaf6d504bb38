/**
 * A TCP proxy that can fail like a server that stops and comes back: `down()`
 * drops every open connection (requests in flight lose their responses) and
 * refuses new ones until `up()`. The fault tests put it between a client and
 * the twin's DynamoDB or MQTT port.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface OutageProxy {
  readonly port: number;
  /** Where connections are forwarded; may be set after the proxy starts. */
  target: number | undefined;
  /** Connections dropped or refused so far. */
  readonly dropped: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startOutageProxy(target?: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  let isDown = false;
  let dropped = 0;
  const server = createServer((client) => {
    if (isDown || proxy.target === undefined) {
      dropped++;
      client.destroy();
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
    client.pipe(upstream).pipe(client);
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
