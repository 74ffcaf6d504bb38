/**
 * Runs inside the worker thread started by `dynamodb-thread.ts`: dynalite
 * listening on the requested port, until the parent says `close`. Built by
 * esbuild (dynalite stays a package import); never imported by the twin.
 */
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { acceptTransactions } from './dynamodb-transactions.ts';

export interface DynamoDbThreadData {
  readonly host: string;
  readonly port: number;
  readonly path?: string;
}

export type FromDynamoDbThread =
  | { type: 'listening'; address: string; port: number }
  | { type: 'listen-error'; code?: string; message: string }
  | { type: 'closed' };

const port = parentPort!;
const data = workerData as DynamoDbThreadData;
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(data.path ? { path: data.path } : {}) });
acceptTransactions(server);
server.once('error', (error: NodeJS.ErrnoException) => {
  port.postMessage({ type: 'listen-error', code: error.code, message: error.message } satisfies FromDynamoDbThread);
});
server.listen(data.port, data.host, () => {
  const { address, port: bound } = server.address() as AddressInfo;
  port.postMessage({ type: 'listening', address, port: bound } satisfies FromDynamoDbThread);
});
port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  server.closeAllConnections();
  server.close(() => {
    port.postMessage({ type: 'closed' } satisfies FromDynamoDbThread);
    port.close();
  });
});
