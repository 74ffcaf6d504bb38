/**
 * Replays readings over MQTT with the AWS IoT Device SDK v2, to AWS IoT Core
 * (mTLS, or websockets + SigV4) or to a local broker over plain TCP, the way
 * the SDK samples do: one connection (`connection.ts`), every PUBACK awaited,
 * a timeout on every await, a clean disconnect. A publish that a lost
 * connection failed is sent again, in order, once the connection is back.
 */
import { mqtt } from 'aws-iot-device-sdk-v2';
import { sleep, withTimeout } from '../common/async.ts';
import { DETECT_TOPIC, type ReadingPayload } from '../contract/index.ts';
import { readingsIn } from './batch.ts';
import { connect, disconnect, newConnection, type ConnectionOptions } from './connection.ts';
import { ReplayOptionsError } from './errors.ts';

/**
 * What a replay publishes: readings, as `loadReadingsFile` and the generator
 * give them, or batched messages (`batch.ts`). Any other object is sent as it
 * is, so that tests can publish payloads the function must refuse.
 */
export type ReplayPayload = ReadingPayload | object;

/** How to reach the broker (see {@link ConnectionOptions}) and how to publish. */
export interface ReplayOptions extends ConnectionOptions {
  /** @default DETECT_TOPIC ('anom/detect') */
  readonly topic?: string;
  /** @default 1: every PUBACK awaited */
  readonly qos?: 0 | 1;
  /** Readings per second (a batched message counts its readings); undefined = as fast as acked (bounded in-flight). */
  readonly rate?: number;
  /** Publishes awaiting their PUBACK at most. @default 100 */
  readonly maxInFlight?: number;
  /** Stamp per-printer seq 1,2,3... (overwrites existing seq); for single readings (batch after {@link stampSeq} instead). */
  readonly addSeq?: boolean;
  /** Per publish attempt: no PUBACK within this time fails the attempt. @default 10_000 */
  readonly publishTimeoutMs?: number;
  /**
   * QoS 1: times a publish that failed (connection lost, no PUBACK) is sent
   * again once the connection is back, in the original order, before anything
   * newer; only then does it count as failed. Resending can deliver a reading
   * twice: the backend skips the copy by `seq`. @default 5
   */
  readonly resendAttempts?: number;
  /** Abort = stop sending, flush in-flight, disconnect, resolve with interrupted: true. */
  readonly signal?: AbortSignal;
  /** Called after each publish is sent, acknowledged or failed. */
  readonly onProgress?: (progress: ReplayProgress) => void;
}

/**
 * Counts so far. `sent`, `acked`, `failed` and `total` count messages
 * (publishes; `total` is Infinity for an endless replay); the `readings*`
 * fields count the readings in them (a batched message holds several).
 */
export interface ReplayProgress {
  sent: number;
  acked: number;
  failed: number;
  total: number;
  readingsSent: number;
  readingsAcked: number;
  readingsFailed: number;
}

/**
 * What a replay did, in messages (publishes) and in the readings they hold.
 * `acked`: PUBACK received (QoS 0: written to the socket); `failed`: publish
 * rejected or timed out. `seconds` runs from the first publish to the last
 * acknowledgement; `readingsPerSecond` is readingsAcked / seconds.
 */
export interface ReplaySummary {
  sent: number;
  acked: number;
  failed: number;
  readingsSent: number;
  readingsAcked: number;
  readingsFailed: number;
  /** Publishes sent again after a failed attempt (QoS 1). */
  resent: number;
  seconds: number;
  readingsPerSecond: number;
  interrupted: boolean;
}

const DEFAULTS = { maxInFlight: 100, publishTimeoutMs: 10_000, resendAttempts: 5 } as const;
/** After a failure, wait this long for the other failures of the same outage before resending in order. */
const RESEND_SETTLE_MS = 25;

/** Stamps per-printer `seq` 1, 2, 3... on copies of the readings, in order. */
export function* stampSeq<T extends ReplayPayload>(readings: Iterable<T>): Generator<T> {
  const next = new Map<unknown, number>();
  for (const reading of readings) {
    const printerId = (reading as { PrinterId?: unknown }).PrinterId;
    const seq = (next.get(printerId) ?? 0) + 1;
    next.set(printerId, seq);
    yield { ...reading, seq };
  }
}

/**
 * The readings again and again: `count` readings in all (cycling through the
 * list), or forever when `count` is undefined. Stops early on an empty list.
 */
export function* repeatReadings<T extends ReplayPayload>(readings: readonly T[], count?: number): Generator<T> {
  if (readings.length === 0) return;
  for (let i = 0; count === undefined || i < count; i++) yield readings[i % readings.length]!;
}

/**
 * Replays `source` (`total` messages, Infinity for an endless one) in order
 * over one connection. Per-printer order is kept: publishes are issued in
 * order on one MQTT connection. See {@link replay}.
 *
 * @throws {EmitterConnectionError} when the connection cannot be established.
 * @throws {ReplayOptionsError} when the options cannot work together.
 */
export async function replayStream(source: Iterable<ReplayPayload>, total: number, options: ReplayOptions): Promise<ReplaySummary> {
  const topic = options.topic ?? DETECT_TOPIC;
  const qos = (options.qos ?? 1) === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
  const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULTS.maxInFlight);
  const publishTimeoutMs = options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs;
  const { rate, signal } = options;
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate)))
    throw new ReplayOptionsError(`rate must be a positive number, got ${rate}`);

  const connection = newConnection(options, publishTimeoutMs);
  // Without listeners the CRT's 'error'/'interrupt' events would be unhandled.
  // The CRT reconnects by itself; publishes in flight when the connection
  // dropped fail and are resent below once it is back.
  let online = true;
  let interruptions = 0;
  const onlineWaiters = new Set<() => void>();
  // Wakes the sending loop whenever it may have to hold or may go on (see `holdForResends`).
  let changeWaiters: (() => void)[] = [];
  const changed = () => {
    const waiters = changeWaiters;
    changeWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const setOnline = (value: boolean) => {
    online = value;
    if (online) for (const resolve of [...onlineWaiters]) resolve();
    changed();
  };
  connection.on('error', () => {});
  connection.on('interrupt', () => {
    interruptions++;
    setOnline(false);
  });
  connection.on('resume', () => setOnline(true));
  const waitOnline = (ms: number) =>
    online
      ? Promise.resolve()
      : withTimeout(
          new Promise<void>((resolve) => {
            const done = () => {
              onlineWaiters.delete(done);
              resolve();
            };
            onlineWaiters.add(done);
          }),
          ms,
          () => {},
        );

  // Resends in original order: failed publishes queue here and are released
  // together, sorted by their position in the replay, once the connection is
  // back; new publishes wait until the queue has been released.
  const resendAttempts = qos === mqtt.QoS.AtLeastOnce ? Math.max(0, options.resendAttempts ?? DEFAULTS.resendAttempts) : 0;
  let resendQueue: { index: number; release: () => void }[] = [];
  let resendReleased: Promise<void> | undefined;
  const resendTurn = (index: number): Promise<void> =>
    new Promise<void>((release) => {
      resendQueue.push({ index, release });
      resendReleased ??= (async () => {
        await sleep(RESEND_SETTLE_MS, undefined);
        await waitOnline(publishTimeoutMs);
        const queue = resendQueue.sort((a, b) => a.index - b.index);
        resendQueue = [];
        resendReleased = undefined;
        for (const waiter of queue) waiter.release();
        changed();
      })();
    });
  // Publishes that failed and are deciding whether to resend. While any is,
  // or the connection is down, or resends wait for their turn, nothing new is
  // published: a new reading of a printer must not overtake an older one that
  // is about to be resent, or the backend would skip the older one as late.
  let deciding = 0;
  const holdForResends = async () => {
    const offlineSince = performance.now();
    while (!aborted()) {
      if (resendReleased !== undefined) await resendReleased;
      else if (deciding > 0) await new Promise<void>((resolve) => changeWaiters.push(resolve));
      else if (!online && performance.now() - offlineSince < publishTimeoutMs) {
        await withTimeout(new Promise<void>((resolve) => changeWaiters.push(resolve)), publishTimeoutMs, () => {});
      } else return;
    }
  };

  const progress: ReplayProgress = { sent: 0, acked: 0, failed: 0, total, readingsSent: 0, readingsAcked: 0, readingsFailed: 0 };
  let resent = 0;
  const report = () => options.onProgress?.({ ...progress });
  let firstPublishAt: number | undefined;
  let lastSettledAt: number | undefined;

  const inFlight = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;
  const wake = () => {
    const resolve = slotFreed;
    slotFreed = undefined;
    resolve?.();
  };
  const aborted = () => signal?.aborted === true;
  const publishOne = async (message: ReplayPayload, readings: number, index: number): Promise<void> => {
    const payload = JSON.stringify(message);
    let ok = false;
    let turn: Promise<void> | undefined;
    for (let attempt = 0; attempt <= resendAttempts; attempt++) {
      if (turn !== undefined) {
        await turn;
        resent++;
      }
      const epoch = interruptions;
      try {
        const puback = connection.publish(topic, payload, qos, false).then(
          () => true,
          () => false,
        );
        ok = await withTimeout(puback, publishTimeoutMs, () => false);
      } catch {
        ok = false;
      }
      if (ok || attempt === resendAttempts) break;
      // Resend only what a lost connection failed: a broker that is up but
      // does not acknowledge would not acknowledge a copy either.
      deciding++;
      try {
        await sleep(RESEND_SETTLE_MS, undefined);
        if ((online && interruptions === epoch) || aborted()) break;
        turn = resendTurn(index); // queued at once, so the sending loop holds for it
      } finally {
        deciding--;
        changed();
      }
    }
    if (ok) {
      progress.acked++;
      progress.readingsAcked += readings;
    } else {
      progress.failed++;
      progress.readingsFailed += readings;
    }
    lastSettledAt = performance.now();
    report();
  };

  try {
    if ((await connect(connection, options)) === 'aborted') {
      const none = { sent: 0, acked: 0, failed: 0, readingsSent: 0, readingsAcked: 0, readingsFailed: 0 };
      return { ...none, resent: 0, seconds: 0, readingsPerSecond: 0, interrupted: true };
    }
    signal?.addEventListener('abort', wake);
    for (const message of options.addSeq ? stampSeq(source) : source) {
      while (inFlight.size >= maxInFlight && !aborted()) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
      }
      if (rate !== undefined && firstPublishAt !== undefined) {
        await sleep(firstPublishAt + (progress.readingsSent * 1000) / rate - performance.now(), signal);
      }
      await holdForResends(); // resends go first
      if (aborted()) break;
      firstPublishAt ??= performance.now();
      const readings = readingsIn(message);
      const pending = publishOne(message, readings, progress.sent).finally(() => {
        inFlight.delete(pending);
        wake();
      });
      inFlight.add(pending);
      progress.sent++;
      progress.readingsSent += readings;
      report();
    }
    // Flush: every in-flight publish settles within publishTimeoutMs.
    await Promise.all(inFlight);
  } finally {
    signal?.removeEventListener('abort', wake);
    await disconnect(connection);
  }

  const seconds = firstPublishAt !== undefined && lastSettledAt !== undefined ? (lastSettledAt - firstPublishAt) / 1000 : 0;
  return {
    sent: progress.sent,
    acked: progress.acked,
    failed: progress.failed,
    readingsSent: progress.readingsSent,
    readingsAcked: progress.readingsAcked,
    readingsFailed: progress.readingsFailed,
    resent,
    seconds,
    readingsPerSecond: seconds > 0 ? progress.readingsAcked / seconds : 0,
    interrupted: signal?.aborted === true && progress.sent < total,
  };
}

/**
 * Replays `readings` in order to `options.endpoint` and resolves with what
 * was sent, acknowledged and failed. QoS 1 (default): each PUBACK is awaited,
 * a publish without one within `publishTimeoutMs` counts as failed; at most
 * `maxInFlight` publishes await their PUBACK at once. Aborting `signal` stops
 * sending, waits for the in-flight PUBACKs (each bounded by its timeout),
 * disconnects and resolves with `interrupted: true`.
 *
 * @throws {EmitterConnectionError} when the connection cannot be established (refused, timed out, TLS/auth failure).
 * @throws {ReplayOptionsError} when the options cannot work together.
 */
export async function replay(readings: readonly ReplayPayload[], options: ReplayOptions): Promise<ReplaySummary> {
  return replayStream(readings, readings.length, options);
}
