/**
 * The embedded MQTT 3.1.1 broker (aedes) on 127.0.0.1: what the emitter and
 * subscribers talk to in place of AWS IoT Core.
 */
import { Aedes } from 'aedes';
import { createServer, type Server } from 'node:net';
import { AWS_LIMITS } from '../contract/index.ts';
import { listen } from './listen.ts';

export interface EmbeddedBroker {
  readonly aedes: Aedes;
  readonly port: number;
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts aedes on 127.0.0.1 (port 0: a free one). As AWS IoT Core does, a
 * PUBLISH over its payload limit is rejected: it reaches no subscriber and no
 * rule, and the client is disconnected.
 */
export async function startBroker(options: { host?: string; port?: number } = {}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker({
    authorizePublish: (_client, packet, callback) =>
      callback(
        packet.payload.length > AWS_LIMITS.iotMessageBytes
          ? new Error(`PAYLOAD_LIMIT_EXCEEDED: message payload exceeds size limit for message type (${AWS_LIMITS.iotMessageBytes} bytes)`)
          : null,
      ),
  });
  const server: Server = createServer(aedes.handle);
  const { host: address, port } = await listen(server, options);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    aedes,
    port,
    url: `mqtt://${address}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
