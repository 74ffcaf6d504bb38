/**
 * A webhook receiver for the twin's notifications: a real HTTP server on a
 * free port of 127.0.0.1 that records every POST. `holdNext` keeps the next
 * one unanswered until released, then fails it (500); `failNext` fails the
 * next one at once. Anything else is answered 204.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlarmNotification } from '../../contract/index.ts';

export interface Webhook {
  readonly url: string;
  readonly posts: { notification: AlarmNotification; status: number }[];
  holdNext(): { held: Promise<AlarmNotification>; release: () => void };
  failNext(): void;
  close(): Promise<void>;
}

export async function startWebhook(path = '/hook'): Promise<Webhook> {
  const posts: Webhook['posts'] = [];
  let hold: { arrived: (notification: AlarmNotification) => void; released: Promise<void> } | undefined;
  let fail = false;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const notification = JSON.parse(body) as AlarmNotification;
      const answer = (status: number) => {
        posts.push({ notification, status });
        res.writeHead(status).end();
      };
      if (fail) {
        fail = false;
        return answer(500);
      }
      const held = hold;
      if (held === undefined) return answer(204);
      hold = undefined;
      held.arrived(notification);
      void held.released.then(() => answer(500));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    posts,
    holdNext: () => {
      let arrived!: (notification: AlarmNotification) => void;
      let release!: () => void;
      const held = new Promise<AlarmNotification>((resolve) => (arrived = resolve));
      hold = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
      return { held, release };
    },
    failNext: () => {
      fail = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
