/**
 * Stream ingest as the twin runs it (the stack's is `lib/stream-ingest.ts`,
 * the function `lambda/stream-app.ts`): the topic rule puts each message on
 * the reading stream in the embedded Kinesis (`stream-writer.ts`), and a
 * poller per shard invokes the stream function with batches of records
 * (`stream-poller.ts`). It counts what happens as the asynchronous invoker
 * does, one message being one stream record, so the twin's stats, waits and
 * close work alike in both ingest modes. Readings per outcome are the ones
 * the function reports for each printer of a batch (its `results`).
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { isRecord } from '../common/guards.ts';
import type { StreamResult } from '../lambda/stream-app.ts';
import type { AttemptOutcome, InvokerStats } from './async-invoker.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { ActionFailed } from './rule-action.ts';
import type { InvokerEventSink } from './invoker-events.ts';
import type { KinesisClient, KinesisRecord } from './kinesis-client.ts';
import { type EmbeddedKinesis, startKinesis } from './kinesis.ts';
import { StreamCheckpoints } from './stream-checkpoints.ts';
import { ShardPoller, type ShardPollerSink } from './stream-poller.ts';
import { StreamWriter } from './stream-writer.ts';
import { IntakeTally } from './intake-tally.ts';

/**
 * The event source mapping's settings the twin runs with: the stack's
 * defaults (`STREAM_INGEST_DEFAULTS` in `lib/stream-ingest.ts`, which the
 * twin may not import), with the reasons given there.
 */

export interface StreamIngestOptions {
  readonly host: string;
  /** The Kinesis port; 0 picks a free one. */
  readonly port: number;
  readonly streamName: string;
  /** Shards of the stream when it is created. */
  readonly shards: number;
  /** Where the stream and the pollers' checkpoints are kept. @default in memory */
  readonly stateDir?: { readonly kinesisDir: string; readonly checkpointsFile: string } | undefined;
  readonly region: string;
  /** The stream function's execution role ARN (each record's `invokeIdentityArn`). */
  readonly invokeIdentityArn: string;
  /** Runs one invocation of the stream function. */
  readonly invoke: (requestId: string, event: KinesisStreamEvent) => Promise<AttemptOutcome>;
  /** Most records per invocation. */
  readonly batchSize: number;
  /** Retries of a failed batch. */
  readonly retryAttempts: number;
  readonly retryDelaysMs: readonly number[];
  readonly deadLetters: DeadLetters;
  readonly events: InvokerEventSink;
  readonly log: (line: string) => void;
  /**
   * The clients of the rule's Kinesis action and of the event source mapping,
   * given the embedded Kinesis endpoint (on the twin: signed with their roles,
   * through the IAM front). @default the embedded Kinesis's own client for both
   */
  readonly clients?: (
    endpoint: string,
    /** The port asked for (`port`): the front listens there, the embedded server on a free one. */
    port: number,
  ) => Promise<{ readonly writer: KinesisClient; readonly reader: KinesisClient; readonly endpoint?: string; readonly port?: number }>;
}

function isStreamResult(value: unknown): value is StreamResult {
  return isRecord(value) && Array.isArray(value['results']);
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Starts the embedded Kinesis with the reading stream, and a poller per shard. */
export async function startStreamIngest(options: StreamIngestOptions): Promise<StreamIngest> {
  const kinesis = await startKinesis({
    host: options.host,
    port: options.clients ? 0 : options.port,
    path: options.stateDir?.kinesisDir,
    streamName: options.streamName,
    shards: options.shards,
  });
  const clients = options.clients
    ? await options.clients(kinesis.endpoint, options.port)
    : { writer: kinesis.client, reader: kinesis.client };
  // As the event source mapping does before it polls: describe the stream and list its shards, with the consumer's role.
  for (const operation of ['DescribeStreamSummary', 'DescribeStream', 'ListShards']) {
    await clients.reader.call(operation, { StreamName: kinesis.streamName }).catch(async (error: unknown) => {
      await kinesis.close();
      throw error;
    });
  }
  return new StreamIngest(kinesis, options, clients);
}

/** The rule's Kinesis action, the stream's pollers and what they did. */
export class StreamIngest {
  /** The Kinesis endpoint everyone is given (`aws kinesis --endpoint-url`): the IAM front when there is one. */
  readonly endpoint: string;
  readonly port: number;
  private readonly writer: StreamWriter;
  private readonly pollers: ShardPoller[];
  private readonly puts = new Set<Promise<unknown>>();
  private readonly tally: IntakeTally;
  private closing = false;

  constructor(
    readonly kinesis: EmbeddedKinesis,
    private readonly options: StreamIngestOptions,
    clients: { readonly writer: KinesisClient; readonly reader: KinesisClient; readonly endpoint?: string; readonly port?: number },
  ) {
    this.endpoint = clients.endpoint ?? kinesis.endpoint;
    this.port = clients.port ?? kinesis.port;
    this.tally = new IntakeTally(options.events);
    this.writer = new StreamWriter(clients.writer, kinesis.streamName);
    const checkpoints = new StreamCheckpoints(options.stateDir?.checkpointsFile);
    this.pollers = kinesis.shardIds.map(
      (shardId) =>
        new ShardPoller({
          reader: clients.reader,
          streamName: kinesis.streamName,
          streamArn: kinesis.streamArn,
          shardId,
          region: options.region,
          invokeIdentityArn: options.invokeIdentityArn,
          invoke: options.invoke,
          batchSize: options.batchSize,
          retryAttempts: options.retryAttempts,
          retryDelaysMs: options.retryDelaysMs,
          checkpoints,
          sink: this.sink(),
        }),
    );
    for (const poller of this.pollers) poller.start();
  }

  stats(): InvokerStats {
    return this.tally.stats();
  }

  /** The rule's action for one matched message: a put on the stream; the MQTT PUBACK waits for it. A failed put is the rule's error action's. */
  submit(topic: string, event: unknown, json?: string): Promise<ActionFailed | undefined> {
    this.tally.counters.received += 1;
    const put = this.writer.put(event, json).then((outcome) => {
      if (outcome.ok) {
        this.pollers.find((poller) => poller.shardId === outcome.shardId)?.wake();
        return undefined;
      }
      this.options.log(
        JSON.stringify({
          level: 'ERROR',
          message: `topic rule: the Kinesis action failed: ${outcome.reason}`,
          timestamp: new Date().toISOString(),
          service: 'local-iot-rule',
          topic,
          printerId: outcome.partitionKey,
        }),
      );
      this.refuse(topic, false);
      return { actionFailed: outcome.reason };
    });
    this.puts.add(put);
    void put.finally(() => this.puts.delete(put));
    return put;
  }

  /** Counts a message the rule could not hand on: handled at once. */
  refuse(topic: string, received = true): string {
    return this.tally.refuse(topic, received);
  }

  /** Resolves when every message received so far is handled. */
  waitForIdle(timeoutMs?: number, what = 'every received message to be handled'): Promise<void> {
    return this.tally.waitForIdle(timeoutMs, what);
  }

  /** Resolves once `count` messages in total are handled. */
  waitUntilHandled(count: number, timeoutMs?: number): Promise<void> {
    return this.tally.waitUntilHandled(count, timeoutMs);
  }

  /**
   * Closes: stops the intake, lets the puts under way land, waits up to
   * `drainTimeoutMs` for the pollers to handle what is in the stream, then
   * stops the function. An in-memory stream is drained: what is still in it
   * is dead-lettered as `TwinClosed`, never dropped. A kept stream (a state
   * folder) keeps it, with each shard's checkpoint, for the next start.
   */
  async close(options: { drainTimeoutMs: number; stopIntake?: () => Promise<void>; stopFunction: () => Promise<void> }): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await options.stopIntake?.();
    await Promise.all(this.puts);
    await this.waitForIdle(options.drainTimeoutMs, 'the twin to drain').catch(() => undefined);
    const mode = this.options.stateDir === undefined ? 'drain' : 'stop';
    const stopped = this.pollers.map((poller) => poller.close(mode));
    await options.stopFunction();
    await Promise.all(stopped);
    this.tally.closeWaits();
    await this.kinesis.close();
  }

  /** Stops the pollers after the invocations under way; what is left stays in the stream. */
  async stopPolling(): Promise<void> {
    await Promise.all(this.pollers.map((poller) => poller.close('stop')));
  }

  private sink(): ShardPollerSink {
    const { events, deadLetters, log } = this.options;
    return {
      invoking: (requestId, attempt) => {
        this.tally.invoking();
        if (attempt > 1) this.tally.counters.retries += 1;
        events.emit('invoking', { requestId, printerId: undefined, attempt });
      },
      invoked: (requestId, attempt, outcome) => {
        this.tally.inFlight -= 1;
        if (!outcome.ok) this.tally.counters.functionErrors += 1;
        else if (isStreamResult(outcome.value)) this.count(outcome.value);
        events.emit('invocation', {
          requestId,
          printerId: undefined,
          attempt,
          ok: outcome.ok,
          ...(outcome.ok ? {} : { error: outcome.error }),
        });
      },
      done: (records, how) => this.done(records, how),
      deadLetter: (batch, error, condition) => {
        this.tally.counters.deadLettered += batch.batchInfo.batchSize;
        events.emit('dead-letter', deadLetters.sendStreamBatch(batch, error, condition));
      },
      readFailed: (shardId, error) =>
        log(
          JSON.stringify({
            level: 'ERROR',
            message: `stream poller: reading ${shardId} failed: ${error.message}`,
            timestamp: new Date().toISOString(),
            service: 'local-lambda-service',
          }),
        ),
    };
  }

  /** Readings per outcome and events published, as the function reports them for each printer of the batch. */
  private count(result: StreamResult): void {
    for (const printer of result.results) this.tally.countReadings(printer.readings, printer.deliveredEvents.length);
  }

  private done(
    records: readonly KinesisRecord[],
    how: { status: 'processed' | 'dead-lettered'; requestId: string; attempts: number },
  ): void {
    for (const record of records) {
      if (how.status === 'processed') this.tally.counters.processed += 1;
      // Records others put on the stream (the AWS CLI, a previous run) count as received when taken.
      if (this.tally.counters.done >= this.tally.counters.received) this.tally.counters.received += 1;
      this.tally.handled({
        requestId: how.requestId,
        topic: this.kinesis.streamName,
        printerId: record.PartitionKey,
        event: parsed(record.Data),
        attempts: how.attempts,
        status: how.status,
      });
    }
  }
}
