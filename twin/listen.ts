/** Starting the twin's servers on the loopback interface. */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

/** Where a server listens: 127.0.0.1 and a free port unless told otherwise. */
export interface ListenOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

/** Listens and resolves with the address actually bound (or rejects, e.g. EADDRINUSE). */
export async function listen(server: NetServer | HttpServer, options: ListenOptions = {}): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return { host: address, port };
}
