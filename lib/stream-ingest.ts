/**
 * Stream ingest's consumer side: the event source mapping that reads the
 * reading stream in batches and invokes the detector (a `DetectorFunction`
 * with `ingest: 'stream'`), and the read permission on that stream, for that
 * function only. The handler (`lambda/stream-app.ts`) folds each printer's
 * records into one guarded write and reports only what failed, so the
 * mapping retries from there.
 */
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { EventSourceMapping, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { sendOnlyDestination } from './dead-letter-queue.ts';
import { STREAM_INGEST } from '../contract/index.ts';

/**
 * What the mapping needs to read a stream through a standard (shared
 * throughput) iterator: no `SubscribeToShard` (enhanced fan-out only), no
 * `ListStreams` (not scoped to a stream).
 */
const STREAM_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
];

export interface StreamIngestProps {
  /** The reading stream. */
  readonly stream: IStream;
  /** The detector built for stream ingest: the only function allowed to read the stream. */
  readonly function: IFunction;
  /**
   * Where a batch goes once its retries or its age run out: Lambda sends the
   * batch's shard and sequence numbers (not the records), which stay readable
   * for the stream's retention.
   */
  readonly deadLetterQueue: IQueue;
  /**
   * Most records per invocation. Each printer's records in a batch are folded
   * into one write, so larger batches save writes. Lambda caps a batch at its
   * 6 MB invocation payload anyway; 500 single readings of at most 8 KB fit
   * in it, base64-encoded.
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long the mapping gathers records before it invokes: a second bounds
   * the added latency while a fleet's readings fill the batch.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failed batch (or of the part the handler reports failed):
   * transient failures clear within seconds, and a retry skips what was applied.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the dead-letter queue instead of being
   * retried: as with direct ingest, readings an hour old are no longer "live".
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
}

/** The detector reading the stream: one mapping, its read permission and its on-failure destination. */
export class StreamIngest extends Construct {
  /** The event source mapping. */
  public readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: StreamIngestProps) {
    super(scope, id);
    props.function.addToRolePolicy(
      new PolicyStatement({ sid: 'ReadReadingStream', actions: STREAM_READ_ACTIONS, resources: [props.stream.streamArn] }),
    );
    // Only with a customer-managed key: the AWS-managed one needs no permission.
    props.stream.encryptionKey?.grantDecrypt(props.function);

    this.mapping = new EventSourceMapping(this, 'Mapping', {
      target: props.function,
      eventSourceArn: props.stream.streamArn,
      // Records written before the mapping existed (or while it was disabled) are readings too.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? STREAM_INGEST.batchSize,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(STREAM_INGEST.maxBatchingWindowSeconds),
      // The handler reports the first record of each printer it could not
      // write; a batch that fails as a whole is split to isolate the cause.
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? STREAM_INGEST.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? Duration.seconds(STREAM_INGEST.maxRecordAgeSeconds),
      // One batch at a time per shard: a printer's records (one partition key,
      // one shard) are then applied in the order they were written.
      parallelizationFactor: 1,
      onFailure: sendOnlyDestination(props.deadLetterQueue),
    });
  }
}
