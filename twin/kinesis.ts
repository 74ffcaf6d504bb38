/**
 * The embedded Kinesis Data Streams API (kinesalite) and the reading stream
 * in it: in stream ingest, the topic rule writes each message to this stream
 * (`stream-writer.ts`) and the stream poller reads it (`stream-poller.ts`).
 * It serves the AWS CLI too (`aws kinesis --endpoint-url`). In memory, or in
 * the state folder, where records written but not yet processed survive a
 * restart.
 */
import kinesalite from 'kinesalite';
import { sleep } from '../common/async.ts';
import { portError, TwinStartError } from './errors.ts';
import { KinesisApiError, KinesisClient } from './kinesis-client.ts';
import { listen } from './listen.ts';

export interface KinesisOptions {
  readonly host: string;
  /** 0 picks a free one. */
  readonly port: number;
  /** LevelDB folder. @default in memory */
  readonly path?: string | undefined;
  /** The stream to create unless it exists. */
  readonly streamName: string;
  /** Shards of a stream created now (an existing stream keeps its own). */
  readonly shards: number;
}

export interface EmbeddedKinesis {
  /** `http://127.0.0.1:PORT`: `aws kinesis --endpoint-url`. */
  readonly endpoint: string;
  readonly port: number;
  readonly streamName: string;
  readonly streamArn: string;
  /** The stream's shards, in order. */
  readonly shardIds: readonly string[];
  /** A client of the endpoint (owned by the embedded Kinesis). */
  readonly client: KinesisClient;
  close(): Promise<void>;
}

/** How long a new stream may take to become ACTIVE (kinesalite is told to take no time). */
const ACTIVE_TIMEOUT_MS = 5_000;

/** The stream, created unless it exists, once it is ACTIVE. */
async function ensureStream(client: KinesisClient, streamName: string, shards: number) {
  try {
    await client.createStream(streamName, shards);
  } catch (error) {
    if (!(error instanceof KinesisApiError && error.type === 'ResourceInUseException')) throw error;
  }
  const deadline = performance.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const description = await client.describeStream(streamName);
    if (description.StreamStatus === 'ACTIVE') return description;
    if (performance.now() > deadline) throw new TwinStartError(`the Kinesis stream ${streamName} is still ${description.StreamStatus}`);
    await sleep(10);
  }
}

/** Starts kinesalite on `host:port` with the reading stream in it. */
export async function startKinesis(options: KinesisOptions): Promise<EmbeddedKinesis> {
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: Math.max(10, options.shards),
    ...(options.path ? { path: options.path } : {}),
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error?: Error) => (error ? reject(error) : resolve()));
    });
    return closed;
  };
  let client: KinesisClient | undefined;
  try {
    const { host: address, port } = await listen(server, options).catch((error: unknown) =>
      Promise.reject(portError(error, 'Kinesis', options.port)),
    );
    const endpoint = `http://${address}:${port}`;
    client = new KinesisClient(endpoint);
    const stream = await ensureStream(client, options.streamName, options.shards);
    const owned = client;
    return {
      endpoint,
      port,
      streamName: options.streamName,
      streamArn: stream.StreamARN,
      shardIds: stream.Shards.map((shard) => shard.ShardId),
      client: owned,
      close: async () => {
        owned.destroy();
        await close();
      },
    };
  } catch (error) {
    client?.destroy();
    // Also closes the LevelDB folder kinesalite opened, listening or not.
    await close().catch(() => undefined);
    throw error;
  }
}
