/**
 * The stream poller alone (Lambda's event source mapping for one shard), on
 * an in-memory shard and a scripted function: the batches it invokes, in
 * order, one at a time; partial batch responses; bisection of a failed
 * invocation; retries, then the on-failure destination; checkpoints; close.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../twin/async-invoker.ts';
import type { DeadLetterCondition, KinesisBatchInfo } from '../../twin/dead-letters.ts';
import type { KinesisRecord } from '../../twin/kinesis-client.ts';
import { StreamCheckpoints } from '../../twin/stream-checkpoints.ts';
import { ShardPoller, type ShardReader } from '../../twin/stream-poller.ts';

const SHARD = 'shardId-000000000000';

/** A shard in memory: sequence numbers 101, 102, ... (same length, so they order as strings). */
class MemoryShard implements ShardReader {
  readonly records: KinesisRecord[] = [];

  add(count: number): void {
    for (let i = 0; i < count; i++) {
      const n = this.records.length;
      this.records.push({
        SequenceNumber: String(101 + n),
        PartitionKey: `P${n % 3}`,
        Data: '',
        ApproximateArrivalTimestamp: 1_763_700_000,
      });
    }
  }

  async getShardIterator(_stream: string, _shard: string, type: string, sequenceNumber?: string): Promise<string> {
    return String(type === 'TRIM_HORIZON' ? 0 : this.records.findIndex((r) => r.SequenceNumber === sequenceNumber) + 1);
  }

  async getRecords(iterator: string, limit: number) {
    const from = Number(iterator);
    const Records = this.records.slice(from, from + limit);
    return { Records, NextShardIterator: String(from + Records.length) };
  }
}

/** Record numbers (0-based) of a batch. */
const numbers = (event: KinesisStreamEvent) => event.Records.map((r) => Number(r.kinesis.sequenceNumber) - 101);
const sequence = (n: number) => String(101 + n);

interface Run {
  /** Record numbers of each invocation, in order. */
  readonly invocations: number[][];
  readonly done: { numbers: number[]; status: string; attempts: number }[];
  readonly deadLetters: { numbers: number[]; condition: DeadLetterCondition; attempts: number; info: KinesisBatchInfo }[];
  readonly poller: ShardPoller;
  readonly checkpoints: StreamCheckpoints;
  /** Resolves once `count` records are done with. */
  doneWith(count: number): Promise<void>;
}

function startPoller(
  shard: MemoryShard,
  fn: (batch: number[], call: number) => AttemptOutcome,
  options: { batchSize?: number; retryAttempts?: number; checkpoints?: StreamCheckpoints; idlePollMs?: number } = {},
): Run {
  const invocations: number[][] = [];
  const done: Run['done'] = [];
  const deadLetters: Run['deadLetters'] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let inFlight = 0;
  const checkpoints = options.checkpoints ?? new StreamCheckpoints();
  const poller = new ShardPoller({
    reader: shard,
    streamName: 'PrinterReadings',
    streamArn: 'arn:aws:kinesis:us-east-1:123:stream/PrinterReadings',
    shardId: SHARD,
    region: 'us-east-1',
    invokeIdentityArn: 'arn:aws:iam::123:role/StreamConsumer',
    invoke: async (_requestId, event) => {
      inFlight += 1;
      expect(inFlight).toBe(1); // one invocation per shard at a time
      const batch = numbers(event);
      invocations.push(batch);
      await Promise.resolve();
      inFlight -= 1;
      return fn(batch, invocations.length);
    },
    batchSize: options.batchSize ?? 500,
    retryAttempts: options.retryAttempts ?? 10,
    retryDelaysMs: [0],
    checkpoints,
    idlePollMs: options.idlePollMs ?? 60_000,
    sink: {
      invoking: () => {},
      invoked: () => {},
      done: (records, how) => {
        done.push({ numbers: records.map((r) => Number(r.SequenceNumber) - 101), status: how.status, attempts: how.attempts });
        const total = done.reduce((n, d) => n + d.numbers.length, 0);
        for (const waiter of waiters.filter((w) => total >= w.count)) waiter.resolve();
      },
      deadLetter: (batch, _error, condition) =>
        deadLetters.push({ numbers: numbers(batch.event), condition, attempts: batch.attempts, info: batch.batchInfo }),
      readFailed: (_shard, error) => {
        throw error;
      },
    },
  });
  poller.start();
  return {
    invocations,
    done,
    deadLetters,
    poller,
    checkpoints,
    doneWith: (count) => new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

const ok = (value: unknown = { batchItemFailures: [] }): AttemptOutcome => ({ ok: true, value });
const crash: AttemptOutcome = { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: 'crashed', trace: [] } };
const partial = (...failed: number[]) => ok({ batchItemFailures: failed.map((n) => ({ itemIdentifier: sequence(n) })) });

describe('ShardPoller', () => {
  it('invokes with what the shard holds, up to the batch size, in order, and checkpoints after each batch', async () => {
    const shard = new MemoryShard();
    shard.add(7);
    const run = startPoller(shard, () => ok(), { batchSize: 3 });
    await run.doneWith(7);
    expect(run.invocations).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(run.checkpoints.get(SHARD)).toBe(sequence(6));
    // Records put later are taken when the poller is woken (not at the next idle poll, a minute away here).
    shard.add(2);
    run.poller.wake();
    await run.doneWith(9);
    expect(run.invocations.at(-1)).toEqual([7, 8]);
    await run.poller.close('stop');
  });

  it('a partial batch response: done up to the lowest failed record; the next batch starts there', async () => {
    const shard = new MemoryShard();
    shard.add(6);
    const run = startPoller(shard, (_batch, call) => (call <= 2 ? partial(4, 2) : ok()));
    await run.doneWith(6);
    expect(run.invocations).toEqual([
      [0, 1, 2, 3, 4, 5],
      [2, 3, 4, 5],
      [2, 3, 4, 5],
    ]);
    expect(run.done.map((d) => d.numbers)).toEqual([
      [0, 1],
      [2, 3, 4, 5],
    ]);
    expect(run.deadLetters).toEqual([]);
    await run.poller.close('stop');
  });

  it('a failed invocation is bisected until the poison record is alone, retried, then dead-lettered alone; the rest in order', async () => {
    const shard = new MemoryShard();
    shard.add(8);
    const run = startPoller(shard, (batch) => (batch.includes(5) ? crash : ok()), { retryAttempts: 3 });
    await run.doneWith(8);
    expect(run.invocations).toEqual([[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [4], [5], [6, 7]]);
    expect(run.done.map((d) => [d.numbers, d.status])).toEqual([
      [[0, 1, 2, 3], 'processed'],
      [[4], 'processed'],
      [[5], 'dead-lettered'],
      [[6, 7], 'processed'],
    ]);
    expect(run.deadLetters).toEqual([
      {
        numbers: [5],
        condition: 'RetryAttemptsExhausted',
        attempts: 4,
        info: expect.objectContaining({ shardId: SHARD, startSequenceNumber: sequence(5), endSequenceNumber: sequence(5), batchSize: 1 }),
      },
    ]);
    await run.poller.close('stop');
  });

  it('retries run out on a partial failure: the batch from the failed record goes to the on-failure destination', async () => {
    const shard = new MemoryShard();
    shard.add(4);
    const run = startPoller(shard, () => partial(1), { retryAttempts: 2 });
    await run.doneWith(4);
    expect(run.invocations).toEqual([
      [0, 1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(run.deadLetters.map((d) => [d.numbers, d.condition])).toEqual([[[1, 2, 3], 'RetryAttemptsExhausted']]);
    expect(run.checkpoints.get(SHARD)).toBe(sequence(3));
    await run.poller.close('stop');
  });

  it('a partial batch response naming a record not in the batch counts as a failed invocation', async () => {
    const shard = new MemoryShard();
    shard.add(2);
    const run = startPoller(shard, (_batch, call) => (call === 1 ? partial(9) : ok()));
    await run.doneWith(2);
    expect(run.invocations).toEqual([[0, 1], [0], [1]]);
    await run.poller.close('stop');
  });

  it('resumes after its checkpoint', async () => {
    const shard = new MemoryShard();
    shard.add(5);
    const checkpoints = new StreamCheckpoints();
    checkpoints.set(SHARD, sequence(2));
    const run = startPoller(shard, () => ok(), { checkpoints });
    await run.doneWith(2);
    expect(run.invocations).toEqual([[3, 4]]);
    await run.poller.close('stop');
  });

  it('closing with drain: what fails from then on is dead-lettered as TwinClosed, never retried; with stop, it stays in the shard', async () => {
    const shard = new MemoryShard();
    shard.add(4);
    const drained = startPoller(shard, () => crash);
    await drained.poller.close('drain');
    expect(drained.invocations).toEqual([[0, 1, 2, 3]]);
    expect(drained.deadLetters.map((d) => [d.numbers, d.condition, d.attempts])).toEqual([[[0, 1, 2, 3], 'TwinClosed', 1]]);

    const stopped = startPoller(shard, () => crash);
    await stopped.poller.close('stop');
    expect(stopped.invocations.length).toBeLessThanOrEqual(1);
    expect(stopped.deadLetters).toEqual([]);
    expect(stopped.checkpoints.get(SHARD)).toBeUndefined();
  });
});
