/**
 * Stream ingest's buffer: a Kinesis data stream the topic rule writes each
 * message to, keyed by `PrinterId`, so that one printer's readings stay in
 * one shard, in order, and are read in batches by the detector
 * (`lib/stream-ingest.ts`).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';

export interface ReadingStreamProps {
  /**
   * A fixed number of shards (provisioned capacity) instead of on-demand
   * capacity. One shard takes 1,000 records or 1 MB a second: a fleet with a
   * known, steady rate pays less per reading provisioned (docs/cost.md, "Stream ingest").
   * @default - on-demand capacity: no shard planning, scales with the fleet
   */
  readonly shards?: number;
  /**
   * How long records stay readable. 24 hours is the shortest Kinesis allows
   * and the only one without an extended-retention charge; it still covers
   * the mapping's maximum record age (1 hour) many times over, and leaves a
   * day to re-read the records a dead-letter entry points at (its shard and
   * sequence numbers) after the alarm.
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;
}

/** An encrypted Kinesis data stream of readings. */
export class ReadingStream extends Construct {
  /** The stream. */
  public readonly stream: Stream;

  constructor(scope: Construct, id: string, props: ReadingStreamProps = {}) {
    super(scope, id);
    const { shards } = props;
    if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) {
      throw new Error(`shards must be a positive integer, got ${shards}`);
    }
    this.stream = new Stream(this, 'Stream', {
      // The AWS-managed key (alias/aws/kinesis): encrypted at rest with no key
      // to pay for or to keep a policy on, and producers and consumers need no
      // KMS permissions. A customer-managed key would add a monthly key charge
      // and per-principal grants without protecting these readings any better.
      encryption: StreamEncryption.MANAGED,
      ...(shards === undefined ? { streamMode: StreamMode.ON_DEMAND } : { streamMode: StreamMode.PROVISIONED, shardCount: shards }),
      retentionPeriod: props.retentionPeriod ?? Duration.hours(24),
      // Records in flight for at most a day, nothing to keep: a retained stream
      // would go on costing stream or shard hours after the stack is deleted.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
