/**
 * The embedded DynamoDB (dynalite) in a worker thread of its own: the same
 * server as `startDynamoDb`, but its request handling does not compete with
 * the broker and the rule on the twin's main thread, and an internal failure
 * of dynalite (it throws out of its request handler) ends that thread, not
 * the twin's process.
 */
import { Worker } from 'node:worker_threads';
import type { DynamoDbThreadData, FromDynamoDbThread } from './dynamodb-thread-main.ts';
import type { EmbeddedDynamoDb } from './dynamodb.ts';
import { buildWorkerScript } from './lambda-bundle.ts';

const ENTRY = new URL('./dynamodb-thread-main.ts', import.meta.url);

/** Starts dynalite in a worker thread on 127.0.0.1 (port 0: a free one); in memory unless `path` is given. */
export async function startDynamoDbThread(options: { host?: string; port?: number; path?: string } = {}): Promise<EmbeddedDynamoDb> {
  const script = await buildWorkerScript('dynamodb-thread', ENTRY, ['dynalite']);
  const data: DynamoDbThreadData = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.path ? { path: options.path } : {}),
  };
  const worker = new Worker(script, { workerData: data, execArgv: [] });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const { address, port } = await new Promise<{ address: string; port: number }>((resolve, reject) => {
    worker.on('message', (message: FromDynamoDbThread) => {
      if (message.type === 'listening') resolve(message);
      if (message.type === 'listen-error') reject(Object.assign(new Error(message.message), { code: message.code }));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the DynamoDB thread exited with code ${code}`)));
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  // dynalite throws out of its request handler on internal failures: that ends this
  // thread (its clients then see connection errors, which the function retries), never the twin.
  worker.on('error', (error) => {
    process.emitWarning(`the embedded DynamoDB stopped: ${error.message}`);
  });
  return {
    endpoint: `http://${address}:${port}`,
    port,
    close: async () => {
      worker.postMessage('close');
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
