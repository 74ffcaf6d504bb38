/**
 * The twin's asynchronous invocation model alone: a fake function whose
 * attempts the test settles one by one, fake timers for the retry delays, no
 * server and no real wait.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { AsyncInvoker, type AsyncInvokerOptions, type AttemptOutcome } from '../../twin/async-invoker.ts';
import { DeadLetters } from '../../twin/dead-letters.ts';
import { TwinWaitError } from '../../twin/errors.ts';
import { AWS_LIMITS } from '../../contract/index.ts';
import type { HandledMessage, InvocationRecord, InvokerEvents } from '../../twin/invoker-events.ts';

interface Call {
  readonly requestId: string;
  readonly event: unknown;
  settle(outcome: AttemptOutcome): void;
}

const OK: AttemptOutcome = { ok: true, value: { outcome: 'in-bounds', printerId: 'P', eventsDelivered: 0 } };
const FAILED: AttemptOutcome = { ok: false, error: { errorType: 'ProfileStoreError', errorMessage: 'table gone', trace: [] } };

const reading = (PrinterId: string | undefined, seq: number) => (PrinterId === undefined ? { seq } : { PrinterId, seq });

/** An invoker over a fake function: every attempt waits until the test settles it. */
function setUp(options: Partial<AsyncInvokerOptions> = {}) {
  const calls: Call[] = [];
  const invoke = (requestId: string, event: unknown) => new Promise<AttemptOutcome>((settle) => calls.push({ requestId, event, settle }));
  const events = new EventEmitter<InvokerEvents>();
  const handled: HandledMessage[] = [];
  const attempts: InvocationRecord[] = [];
  events.on('handled', (message) => handled.push(message));
  events.on('invocation', (record) => attempts.push(record));
  const deadLetters = new DeadLetters({ functionArn: 'arn:aws:lambda:local:function:detector' });
  const invoker = new AsyncInvoker({ invoke, concurrency: 4, retryDelaysMs: [50, 100], deadLetters, events, ...options });
  /** The events of the attempts started so far. */
  const started = () => calls.map((call) => call.event);
  return { invoker, calls, events, handled, attempts, deadLetters, started };
}

/** Lets settled attempts run on (microtasks and due timers only). */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('asynchronous invoker', () => {
  it("runs one printer's messages one at a time in arrival order, other printers alongside", async () => {
    const { invoker, calls, handled, started } = setUp();
    invoker.submit('dt/p', reading('A', 1));
    invoker.submit('dt/p', reading('A', 2));
    invoker.submit('dt/p', reading('B', 1));
    invoker.submit('dt/p', reading('A', 3));
    expect(started()).toEqual([reading('A', 1), reading('B', 1)]);

    calls[1]!.settle(OK); // B first: A's next message still waits for A's first
    await flush();
    expect(started()).toHaveLength(2);
    calls[0]!.settle(OK);
    await flush();
    expect(started()).toEqual([reading('A', 1), reading('B', 1), reading('A', 2)]);
    calls[2]!.settle(OK);
    await flush();
    calls[3]!.settle(OK);
    await flush();

    expect(handled.map((m) => m.event)).toEqual([reading('B', 1), reading('A', 1), reading('A', 2), reading('A', 3)]);
    expect(handled.every((m) => m.status === 'processed' && m.attempts === 1)).toBe(true);
    expect(new Set(handled.map((m) => m.requestId)).size).toBe(4);
    expect(invoker.stats()).toMatchObject({ received: 4, done: 4, processed: 4, invocations: 4, inFlight: 0 });
    expect(invoker.stats().outcomes['in-bounds']).toBe(4);
  });

  it('never runs more attempts at once than its concurrency', async () => {
    const { invoker, calls, started } = setUp({ concurrency: 2 });
    for (const id of ['A', 'B', 'C', 'D']) invoker.submit('dt/p', reading(id, 1));
    expect(started()).toEqual([reading('A', 1), reading('B', 1)]);
    expect(invoker.stats().inFlight).toBe(2);

    calls[0]!.settle(OK);
    await flush();
    expect(started()).toEqual([reading('A', 1), reading('B', 1), reading('C', 1)]);
    for (const call of calls.slice(1)) call.settle(OK);
    await flush();
    calls[3]!.settle(OK);
    await flush();
    expect(invoker.stats()).toMatchObject({ done: 4, inFlight: 0, maxConcurrentInvocations: 2 });
  });

  it('retries a failed attempt with the same request id after each delay, then dead-letters it', async () => {
    const { invoker, calls, events, handled, attempts, deadLetters, started } = setUp();
    const deadLettered = vi.fn();
    events.on('dead-letter', deadLettered);
    const requestId = invoker.submit('dt/p', reading('P1', 1));
    invoker.submit('dt/p', reading('P1', 2));

    calls[0]!.settle(FAILED);
    await vi.advanceTimersByTimeAsync(49);
    expect(calls).toHaveLength(1); // the retry waits its delay, and P1's next message waits for the retry
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    calls[1]!.settle(FAILED);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    calls[2]!.settle(FAILED); // the last retry
    await flush();

    expect(calls.slice(0, 3).map((call) => call.requestId)).toEqual([requestId, requestId, requestId]);
    expect(attempts.map((a) => [a.attempt, a.ok, a.error?.errorType])).toEqual([
      [1, false, 'ProfileStoreError'],
      [2, false, 'ProfileStoreError'],
      [3, false, 'ProfileStoreError'],
    ]);
    const [record] = deadLetters.list();
    expect(record).toMatchObject({
      requestContext: { requestId, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: reading('P1', 1),
      responsePayload: { errorType: 'ProfileStoreError', errorMessage: 'table gone' },
    });
    expect(deadLettered).toHaveBeenCalledWith(record);
    expect(handled).toEqual([expect.objectContaining({ requestId, status: 'dead-lettered', attempts: 3 })]);
    expect(started().at(-1)).toEqual(reading('P1', 2)); // the lane moves on

    calls[3]!.settle(OK);
    await flush();
    expect(invoker.stats()).toMatchObject({ received: 2, done: 2, invocations: 4, functionErrors: 3, retries: 2, deadLettered: 1 });
  });

  it('counts a rejected attempt as a failed one', async () => {
    const invoke = vi.fn(() => Promise.reject(new Error('the function runtime is closed')));
    const { invoker, deadLetters } = setUp({ invoke, retryAttempts: 0 });
    invoker.submit('dt/p', reading('P1', 1));
    await flush();
    expect(deadLetters.list()).toEqual([
      expect.objectContaining({
        responsePayload: expect.objectContaining({ errorType: 'Error', errorMessage: 'the function runtime is closed' }),
      }),
    ]);
  });

  it('gives each message without a PrinterId a lane of its own', () => {
    const { invoker, started } = setUp();
    invoker.submit('dt/p', reading(undefined, 1));
    invoker.submit('dt/p', reading(undefined, 2));
    invoker.submit('dt/p', 'a JSON string');
    expect(started()).toEqual([reading(undefined, 1), reading(undefined, 2), 'a JSON string']);
  });

  it('reports a refused message as handled at once, without invoking', () => {
    const { invoker, calls, handled } = setUp();
    invoker.refuse('dt/p');
    expect(calls).toEqual([]);
    expect(handled).toEqual([expect.objectContaining({ topic: 'dt/p', status: 'rule-error', attempts: 0 })]);
    expect(invoker.stats()).toMatchObject({ received: 1, done: 1, refused: 1, invocations: 0 });
  });

  it('resolves waits when their count is reached and rejects them after their timeout', async () => {
    const { invoker, calls } = setUp();
    invoker.submit('dt/p', reading('P1', 1));
    const idle = vi.fn();
    void invoker.waitForIdle().then(idle);
    const tooMany = invoker.waitUntilHandled(2, 1_000);
    const rejected = expect(tooMany).rejects.toThrow(
      new TwinWaitError('timed out after 1000 ms waiting for 2 messages to be handled (1 of 1 handled)'),
    );

    calls[0]!.settle(OK);
    await flush();
    expect(idle).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    await rejected;
  });

  it('at close, dead-letters what the drain left as TwinClosed, then refuses to wait', async () => {
    let stopped = false;
    const calls: Call[] = [];
    const invoke = (requestId: string, event: unknown) =>
      stopped
        ? Promise.reject(new Error('the function runtime is closed'))
        : new Promise<AttemptOutcome>((settle) => calls.push({ requestId, event, settle }));
    const { invoker, deadLetters } = setUp({ invoke });
    invoker.submit('dt/p', reading('P1', 1));
    calls[0]!.settle(FAILED); // waits 50 ms for its retry: longer than the drain allows
    await flush();
    const stopIntake = vi.fn(async () => undefined);
    const closed = invoker.close({
      drainTimeoutMs: 10,
      stopIntake,
      stopFunction: async () => {
        stopped = true;
      },
    });
    await vi.advanceTimersByTimeAsync(10);
    await closed;

    expect(stopIntake).toHaveBeenCalled();
    expect(deadLetters.list()).toEqual([
      expect.objectContaining({ requestContext: expect.objectContaining({ condition: 'TwinClosed', approximateInvokeCount: 2 }) }),
    ]);
    expect(invoker.stats()).toMatchObject({ received: 1, done: 1, deadLettered: 1 });
    await expect(invoker.waitUntilHandled(5)).rejects.toThrow(TwinWaitError);
  });
});

describe("Lambda's asynchronous payload limit", () => {
  it('takes an event of exactly the limit, and refuses one byte more before any invocation, as Lambda does', async () => {
    const { invoker, started } = setUp();
    const padded = (bytes: number) => {
      const json = JSON.stringify({ PrinterId: 'P', pad: '' });
      return JSON.stringify({ PrinterId: 'P', pad: 'x'.repeat(bytes - Buffer.byteLength(json)) });
    };
    const atLimit = padded(AWS_LIMITS.lambdaAsyncPayloadBytes);
    const over = padded(AWS_LIMITS.lambdaAsyncPayloadBytes + 1);
    expect([Buffer.byteLength(atLimit), Buffer.byteLength(over)]).toEqual([
      AWS_LIMITS.lambdaAsyncPayloadBytes,
      AWS_LIMITS.lambdaAsyncPayloadBytes + 1,
    ]);
    invoker.submit('dt/p', JSON.parse(over), over);
    await flush();
    expect(started()).toEqual([]);
    expect(invoker.stats().refused).toBe(1);
    invoker.submit('dt/p', JSON.parse(atLimit), atLimit);
    await flush();
    expect(started()).toHaveLength(1);
  });
});
