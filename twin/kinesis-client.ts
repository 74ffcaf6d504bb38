/**
 * The few Kinesis Data Streams calls the twin makes to its own embedded
 * Kinesis (`kinesis.ts`): the service's JSON protocol over HTTP, on one
 * keep-alive connection pool. The project ships no Kinesis SDK client (the
 * stack's function gets its records from Lambda, not from the API), and the
 * embedded server checks that a request is signed, not the signature: the
 * requests carry a well-formed SigV4 header with the twin's local
 * credentials (`LOCAL_AWS`), as any other client's would.
 */
import { Agent, request } from 'node:http';
import { LOCAL_AWS } from './dynamodb.ts';

/** A record as `GetRecords` returns it (`Data` base64-encoded). */
export interface KinesisRecord {
  readonly SequenceNumber: string;
  readonly PartitionKey: string;
  readonly Data: string;
  /** Seconds since the epoch. */
  readonly ApproximateArrivalTimestamp: number;
}

export interface ShardDescription {
  readonly ShardId: string;
}

/** The stream description the twin reads. */
export interface StreamDescription {
  readonly StreamName: string;
  readonly StreamARN: string;
  readonly StreamStatus: 'CREATING' | 'DELETING' | 'ACTIVE' | 'UPDATING';
  readonly Shards: readonly ShardDescription[];
}

export type ShardIteratorType = 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER' | 'AT_SEQUENCE_NUMBER' | 'LATEST';

/** The Kinesis API answered with an error (`type` is its `__type`, e.g. `ResourceNotFoundException`). */
export class KinesisApiError extends Error {
  override readonly name = 'KinesisApiError';

  constructor(
    readonly type: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(`${type}: ${message}`);
  }
}

const TARGET_PREFIX = 'Kinesis_20131202';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** `20260101T000000Z`, as SigV4 dates a request. */
function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** A client of one Kinesis endpoint (`http://HOST:PORT`). Close it with `destroy()`. */
export class KinesisClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private readonly url: URL;

  constructor(
    endpoint: string,
    private readonly region: string = LOCAL_AWS.region,
    /** The access key id the requests are signed with: a role's on the twin (`iam.ts`). */
    private readonly accessKeyId: string = LOCAL_AWS.credentials.accessKeyId,
  ) {
    this.url = new URL(endpoint);
  }

  /** Calls one operation; rejects with a {@link KinesisApiError} when the service says no. */
  call<T = Record<string, unknown>>(operation: string, body: object): Promise<T> {
    const payload = Buffer.from(JSON.stringify(body));
    const date = amzDate(new Date());
    const scope = `${date.slice(0, 8)}/${this.region}/kinesis/aws4_request`;
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': CONTENT_TYPE,
            'content-length': payload.byteLength,
            'x-amz-target': `${TARGET_PREFIX}.${operation}`,
            'x-amz-date': date,
            authorization: `AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/${scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              parsed = { __type: 'SerializationException', message: text.slice(0, 200) };
            }
            if (res.statusCode === 200) resolve(parsed as T);
            else {
              const type = String(parsed['__type'] ?? `HTTP ${res.statusCode}`).replace(/^.*#/, '');
              reject(new KinesisApiError(type, String(parsed['message'] ?? parsed['Message'] ?? ''), res.statusCode ?? 0));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  createStream(streamName: string, shardCount: number): Promise<unknown> {
    return this.call('CreateStream', { StreamName: streamName, ShardCount: shardCount });
  }

  async describeStream(streamName: string): Promise<StreamDescription> {
    const { StreamDescription } = await this.call<{ StreamDescription: StreamDescription }>('DescribeStream', { StreamName: streamName });
    return StreamDescription;
  }

  /** Puts one record; resolves with the shard it went to and its sequence number. */
  putRecord(streamName: string, partitionKey: string, data: Uint8Array): Promise<{ ShardId: string; SequenceNumber: string }> {
    return this.call('PutRecord', { StreamName: streamName, PartitionKey: partitionKey, Data: Buffer.from(data).toString('base64') });
  }

  async getShardIterator(streamName: string, shardId: string, type: ShardIteratorType, sequenceNumber?: string): Promise<string> {
    const { ShardIterator } = await this.call<{ ShardIterator: string }>('GetShardIterator', {
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: type,
      ...(sequenceNumber === undefined ? {} : { StartingSequenceNumber: sequenceNumber }),
    });
    return ShardIterator;
  }

  getRecords(shardIterator: string, limit: number): Promise<{ Records: KinesisRecord[]; NextShardIterator?: string }> {
    return this.call('GetRecords', { ShardIterator: shardIterator, Limit: limit });
  }

  destroy(): void {
    this.agent.destroy();
  }
}
