/**
 * The topic rule's Kinesis action, as the twin runs it in stream ingest: each
 * message the rule matches is put on the reading stream with `PutRecord`,
 * the data being the rule's output as JSON, the partition key the message's
 * `PrinterId` (the stack's action resolves the template `${PrinterId}`), so a
 * printer's records share one shard. A printer's puts are made one after the
 * other, so its records are in the shard in the order its messages came.
 */
import { sleep } from '../common/async.ts';
import { isRecord } from '../common/guards.ts';
import { KinesisApiError, type KinesisClient } from './kinesis-client.ts';

/** Where a put went, or why it failed for good (the rule action's error). */
export type PutOutcome =
  | { readonly ok: true; readonly shardId: string; readonly sequenceNumber: string; readonly partitionKey: string }
  | { readonly ok: false; readonly reason: string; readonly partitionKey: string };

/** Attempts of one put: a connection error or a server error is tried again, as the rules engine does. */
const PUT_ATTEMPTS = 3;
const RETRY_DELAY_MS = 20;

/**
 * The partition key `${PrinterId}` gives for `event`: the string itself, a
 * number or boolean as text, nothing (an empty key, which Kinesis refuses)
 * when the message has no PrinterId.
 */
export function partitionKeyOf(event: unknown): string {
  const id = isRecord(event) ? event['PrinterId'] : undefined;
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'boolean') return String(id);
  return id === undefined || id === null ? '' : JSON.stringify(id);
}

function retryable(error: unknown): boolean {
  return !(error instanceof KinesisApiError) || error.statusCode >= 500;
}

/** Puts messages on one stream, in order per partition key. */
export class StreamWriter {
  /** The last put of each partition key still under way: the next one waits for it. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
  ) {}

  /**
   * Puts `event` (as `json`, its text, when given: see `JsonEvent` in
   * `rule.ts`) after the earlier puts of its partition key; never rejects.
   */
  put(event: unknown, json?: string): Promise<PutOutcome> {
    const partitionKey = partitionKeyOf(event);
    const previous = this.tails.get(partitionKey) ?? Promise.resolve();
    const next = previous.then(() => this.putNow(partitionKey, Buffer.from(json ?? JSON.stringify(event))));
    this.tails.set(partitionKey, next);
    void next.then(() => {
      if (this.tails.get(partitionKey) === next) this.tails.delete(partitionKey);
    });
    return next;
  }

  private async putNow(partitionKey: string, data: Buffer): Promise<PutOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { ShardId, SequenceNumber } = await this.client.putRecord(this.streamName, partitionKey, data);
        return { ok: true, shardId: ShardId, sequenceNumber: SequenceNumber, partitionKey };
      } catch (error) {
        if (attempt >= PUT_ATTEMPTS || !retryable(error)) {
          return { ok: false, reason: `PutRecord to ${this.streamName} failed: ${(error as Error).message}`, partitionKey };
        }
        await sleep(RETRY_DELAY_MS * attempt);
      }
    }
  }
}
