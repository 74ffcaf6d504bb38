/**
 * Lambda's event source mapping for one shard of the reading stream, as the
 * twin runs it, with the stack's settings (`lib/stream-ingest.ts`): batches
 * of up to 500 records, partial batch responses, bisection on a failed
 * invocation, bounded retries, one batch per shard at a time.
 *
 * - The shard is read in order (GetShardIterator once, then GetRecords) and
 *   the function is invoked as soon as records are there (the stack waits up
 *   to a second to fill a batch; the twin does not wait).
 * - One invocation per shard at a time: a printer's records (one partition
 *   key, one shard) are applied in the order they were written.
 * - A partial batch response names the records the function could not
 *   process: the records before the lowest of them are done, and the next
 *   batch starts at it (the function skips what it had already applied).
 * - A failed invocation (error, crash, timeout) splits its batch in two and
 *   retries each half, first half first, until a failing record is alone.
 * - Each retry counts against `retryAttempts`: a batch that fails once more
 *   goes to the on-failure destination, and the shard moves on past it.
 *
 * It knows nothing of the broker or the rule: it is handed a shard reader,
 * an `invoke` function and a sink for what it did, so it can be tested alone.
 */
import { randomUUID } from 'node:crypto';
import type { KinesisStreamEvent } from 'aws-lambda';
import { sleep } from '../common/async.ts';
import { isRecord } from '../common/guards.ts';
import type { AttemptOutcome } from './async-invoker.ts';
import type { DeadLetterCondition, KinesisBatchInfo } from './dead-letters.ts';
import { KinesisApiError, type KinesisRecord, type ShardIteratorType } from './kinesis-client.ts';
import type { SerializedError } from './lambda-runtime.ts';
import type { StreamCheckpoints } from './stream-checkpoints.ts';

/** The reads a poller makes (a `KinesisClient`). */
export interface ShardReader {
  getShardIterator(streamName: string, shardId: string, type: ShardIteratorType, sequenceNumber?: string): Promise<string>;
  getRecords(shardIterator: string, limit: number): Promise<{ Records: KinesisRecord[]; NextShardIterator?: string }>;
}

/** Where a poller reports what it does (the stream ingest counts and logs it). */
export interface ShardPollerSink {
  invoking(requestId: string, attempt: number, records: number): void;
  invoked(requestId: string, attempt: number, outcome: AttemptOutcome): void;
  /** Records the poller is done with, in shard order. */
  done(records: readonly KinesisRecord[], how: { status: 'processed' | 'dead-lettered'; requestId: string; attempts: number }): void;
  deadLetter(
    batch: { requestId: string; event: KinesisStreamEvent; attempts: number; batchInfo: KinesisBatchInfo },
    error: SerializedError,
    condition: DeadLetterCondition,
  ): void;
  /** A read failed; the poller tries again. */
  readFailed(shardId: string, error: Error): void;
}

export interface ShardPollerOptions {
  readonly reader: ShardReader;
  readonly streamName: string;
  readonly streamArn: string;
  readonly shardId: string;
  readonly region: string;
  /** The function's execution role, which Lambda names in each record's `invokeIdentityArn`. */
  readonly invokeIdentityArn: string;
  readonly invoke: (requestId: string, event: KinesisStreamEvent) => Promise<AttemptOutcome>;
  /** Most records per invocation. */
  readonly batchSize: number;
  /** Retries of a failed batch before it goes to the on-failure destination. */
  readonly retryAttempts: number;
  /** Wait before retry 1, 2, ... (the last one repeats). */
  readonly retryDelaysMs: readonly number[];
  readonly checkpoints: StreamCheckpoints;
  readonly sink: ShardPollerSink;
  /** How often an idle shard is read when nothing says records came. @default 250 */
  readonly idlePollMs?: number;
}

/** The next batch to invoke: its size (from the head of the buffer) and the retries it has had. */
interface Plan {
  readonly size: number;
  readonly retries: number;
}

/** The lowest record of `batch` the response names as failed: -1 for none, undefined for a response Lambda would not accept. */
function lowestFailure(response: unknown, batch: readonly KinesisRecord[]): number | undefined {
  if (!isRecord(response) || !Array.isArray(response['batchItemFailures'])) return -1;
  let lowest = -1;
  for (const failure of response['batchItemFailures']) {
    const id: unknown = isRecord(failure) ? failure['itemIdentifier'] : undefined;
    const index = batch.findIndex((record) => record.SequenceNumber === id);
    if (index < 0) return undefined;
    if (lowest < 0 || index < lowest) lowest = index;
  }
  return lowest;
}

/** Reads one shard and invokes the function with its records. */
export class ShardPoller {
  /** Records read and not yet done with, in shard order. */
  private readonly buffer: KinesisRecord[] = [];
  /** Batches owed first: the halves of a bisected batch, the rest of a partly failed one. */
  private readonly plans: Plan[] = [];
  private iterator: string | undefined;
  private lastRead: string | undefined;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private closing: 'drain' | 'stop' | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ShardPollerOptions) {
    this.lastRead = options.checkpoints.get(options.shardId);
  }

  get shardId(): string {
    return this.options.shardId;
  }

  /** Starts polling. */
  start(): void {
    this.running ??= this.run().catch((error: unknown) => this.options.sink.readFailed(this.options.shardId, error as Error));
  }

  /** Records came to the shard: read now rather than at the next idle poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops. `drain`: reads what the shard still holds and hands it on (an
   * invocation then fails, and what fails while closing is dead-lettered as
   * `TwinClosed`, never retried); `stop`: finishes the invocation under way
   * and leaves the rest in the stream, for the next start. The mode holds
   * from the call on; the promise resolves once polling has ended.
   */
  close(mode: 'drain' | 'stop'): Promise<void> {
    this.closing = mode;
    this.wake();
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    while (this.closing !== 'stop') {
      this.woken = false;
      const read = this.buffer.length < this.options.batchSize ? await this.read() : 0;
      if (this.buffer.length === 0) {
        if (this.closing === 'drain' && read === 0) return;
        await this.idle();
        continue;
      }
      const plan = this.plans.shift() ?? { size: Math.min(this.buffer.length, this.options.batchSize), retries: 0 };
      await this.deliver(plan);
    }
  }

  private idle(): Promise<void> {
    if (this.woken || this.closing !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.options.idlePollMs ?? 250);
      this.wakeUp = done;
    });
  }

  /** Reads what follows the last record read, up to a full batch; returns how many came. */
  private async read(): Promise<number> {
    const { reader, streamName, shardId } = this.options;
    try {
      this.iterator ??= await (this.lastRead === undefined
        ? reader.getShardIterator(streamName, shardId, 'TRIM_HORIZON')
        : reader.getShardIterator(streamName, shardId, 'AFTER_SEQUENCE_NUMBER', this.lastRead));
      const { Records, NextShardIterator } = await reader.getRecords(this.iterator, this.options.batchSize - this.buffer.length);
      this.iterator = NextShardIterator;
      this.buffer.push(...Records);
      this.lastRead = Records.at(-1)?.SequenceNumber ?? this.lastRead;
      return Records.length;
    } catch (error) {
      // An expired iterator is replaced by one after the last record read.
      this.iterator = undefined;
      if (!(error instanceof KinesisApiError && error.type === 'ExpiredIteratorException')) {
        this.options.sink.readFailed(shardId, error as Error);
        await sleep(this.options.idlePollMs ?? 250);
      }
      return 0;
    }
  }

  private event(records: readonly KinesisRecord[]): KinesisStreamEvent {
    const { shardId, streamArn, region, invokeIdentityArn } = this.options;
    return {
      Records: records.map((record) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.PartitionKey,
          sequenceNumber: record.SequenceNumber,
          data: record.Data,
          approximateArrivalTimestamp: record.ApproximateArrivalTimestamp,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${record.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn,
        awsRegion: region,
        eventSourceARN: streamArn,
      })),
    };
  }

  private async deliver(plan: Plan): Promise<void> {
    const batch = this.buffer.slice(0, plan.size);
    const requestId = randomUUID();
    const event = this.event(batch);
    const attempt = plan.retries + 1;
    this.options.sink.invoking(requestId, attempt, batch.length);
    const outcome = await this.options
      .invoke(requestId, event)
      .catch((error: Error): AttemptOutcome => ({ ok: false, error: { errorType: error.name, errorMessage: error.message, trace: [] } }));
    this.options.sink.invoked(requestId, attempt, outcome);
    const failedAt = outcome.ok ? lowestFailure(outcome.value, batch) : undefined;
    if (failedAt === -1) {
      this.finish(batch.length, { status: 'processed', requestId, attempts: attempt });
      return;
    }
    if (failedAt !== undefined && failedAt > 0) this.finish(failedAt, { status: 'processed', requestId, attempts: attempt });
    const failed = batch.slice(failedAt ?? 0);
    const error: SerializedError = outcome.ok
      ? failedAt === undefined
        ? { errorType: 'InvalidBatchItemFailures', errorMessage: 'the partial batch response names a record not in the batch', trace: [] }
        : { errorType: 'BatchItemFailures', errorMessage: `the function reported record ${failed[0]!.SequenceNumber} failed`, trace: [] }
      : outcome.error;
    if (this.closing !== undefined) {
      // Draining an in-memory stream: nothing is dropped silently. Stopping: the records stay in the stream.
      if (this.closing === 'drain') this.deadLetter(failed, requestId, attempt, error, 'TwinClosed');
      return;
    }
    if (plan.retries >= this.options.retryAttempts) {
      this.deadLetter(failed, requestId, attempt, error, 'RetryAttemptsExhausted');
      return;
    }
    const retries = plan.retries + 1;
    if (failedAt !== undefined || failed.length === 1) this.plans.unshift({ size: failed.length, retries });
    else this.plans.unshift({ size: Math.ceil(failed.length / 2), retries }, { size: Math.floor(failed.length / 2), retries });
    const delays = this.options.retryDelaysMs;
    await sleep(delays[Math.min(retries - 1, delays.length - 1)] ?? 0);
  }

  private deadLetter(
    records: readonly KinesisRecord[],
    requestId: string,
    attempts: number,
    error: SerializedError,
    condition: DeadLetterCondition,
  ): void {
    const first = records[0]!;
    const last = records.at(-1)!;
    const arrival = (record: KinesisRecord) => new Date(record.ApproximateArrivalTimestamp * 1000).toISOString();
    const batchInfo: KinesisBatchInfo = {
      shardId: this.options.shardId,
      startSequenceNumber: first.SequenceNumber,
      endSequenceNumber: last.SequenceNumber,
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: records.length,
      streamArn: this.options.streamArn,
    };
    this.options.sink.deadLetter({ requestId, event: this.event(records), attempts, batchInfo }, error, condition);
    this.finish(records.length, { status: 'dead-lettered', requestId, attempts });
  }

  /** The first `count` buffered records are done with: checkpoint after them. */
  private finish(count: number, how: { status: 'processed' | 'dead-lettered'; requestId: string; attempts: number }): void {
    const records = this.buffer.splice(0, count);
    this.options.checkpoints.set(this.options.shardId, records.at(-1)!.SequenceNumber);
    this.options.sink.done(records, how);
  }
}
