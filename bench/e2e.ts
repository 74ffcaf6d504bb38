/**
 * End to end on the local twin (`docs/performance.md`): readings from the emitter
 * (device SDK, QoS 1) through the embedded broker, the rule and the detector
 * function to the embedded DynamoDB; the latency from a reading's publish to
 * the anomaly event it causes on `anom/pred`, seen by a device subscriber;
 * and, in the same run and on the same embedded DynamoDB, that server's own
 * UpdateItem rate with as many clients as the twin has function instances.
 */
import { Worker } from 'node:worker_threads';
import { sleep } from '../common/async.ts';
import { PREDICTION_TOPIC, type AnomalyEvent, type ReadingPayload } from '../contract/index.ts';
import type { GeneratedReading } from '../emitter/generate.ts';
import { replay } from '../emitter/replay.ts';
import { subscribeTopic } from '../emitter/subscriber.ts';
import { startBroker } from '../twin/broker.ts';
import { startTwin, type HandledMessage, type TwinStats } from '../twin/twin.ts';
import { buildUpdateLoopWorker } from './build.ts';
import { median, percentile, round } from './stats.ts';
import type { UpdateLoopInput, UpdateLoopOutput } from './update-loop-worker.ts';
import { eventKey, generateWorkload } from './workload.ts';

export interface E2eOptions {
  readonly fleetSize: number;
  /** Readings per printer of the throughput phase (unpaced). */
  readonly readingsPerPrinter: number;
  /** Readings per printer of the latency phase, paced at {@link pacedLoad} of the measured throughput. @default 10 */
  readonly latencyReadingsPerPrinter?: number;
  /** @default 0.5 */
  readonly pacedLoad?: number;
  readonly runs: number;
  /** Function instances of the twin (its execution environments). @default 4 */
  readonly twinConcurrency?: number;
  /** Emitter publishes awaiting their PUBACK. @default 100 */
  readonly maxInFlight?: number;
  /** How long each raw UpdateItem measurement lasts. @default 4000 */
  readonly rawDurationMs?: number;
  readonly progress?: (line: string) => void;
}

export interface E2eRun {
  readonly readings: number;
  /** From the first publish to the last reading processed by the function. */
  readonly seconds: number;
  readonly readingsPerSecond: number;
  /** The emitter's own rate (acknowledged publishes per second). */
  readonly emitterReadingsPerSecond: number;
  /** The embedded DynamoDB's UpdateItem rate, measured before and after the end-to-end run. */
  readonly rawUpdateItemPerSecond: { readonly before: number; readonly after: number; readonly mean: number };
  /** CPU of the whole process (all threads) per reading end to end, and per raw UpdateItem. */
  readonly cpuMs: { readonly perReading: number; readonly perRawUpdate: number };
  /** The emitter alone against a bare broker (no rule, no function). */
  readonly emitterAlone: { readonly readingsPerSecond: number; readonly cpuMsPerReading: number };
  readonly ratioToRaw: number;
  readonly eventsExpected: number;
  readonly eventsReceived: number;
  /** Unpaced phase (the emitter as fast as PUBACKs allow): latencies include the queue that builds up. */
  readonly saturated: PhaseLatency;
  /** Paced phase at `pacedLoad` of the unpaced throughput: the pipeline's own latency. */
  readonly paced: PhaseLatency & { readonly rate: number; readonly readings: number; readonly achievedReadingsPerSecond: number };
  readonly twin: TwinStats;
}

export interface PhaseLatency {
  /** Publish -> anom/pred event received by a device subscriber, ms. */
  readonly eventLatencyMs: Latency;
  /** Publish -> the function finished processing the reading, ms (every reading). */
  readonly processingLatencyMs: Latency;
}

export interface Latency {
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface E2eResult {
  readonly section: 'e2e';
  readonly fleetSize: number;
  readonly readingsPerRun: number;
  readonly runs: number;
  readonly twinConcurrency: number;
  readonly maxInFlight: number;
  readonly median: {
    readonly readingsPerSecond: number;
    readonly rawUpdateItemPerSecond: number;
    readonly ratioToRaw: number;
    readonly cpuMsPerReading: number;
    readonly cpuMsPerRawUpdate: number;
    readonly emitterAloneReadingsPerSecond: number;
    readonly emitterAloneCpuMsPerReading: number;
    readonly saturated: { readonly eventLatencyMs: LatencySummary; readonly processingLatencyMs: LatencySummary };
    readonly paced: { readonly rate: number; readonly eventLatencyMs: LatencySummary; readonly processingLatencyMs: LatencySummary };
  };
  readonly rawRuns: E2eRun[];
}

export type LatencySummary = Omit<Latency, 'samples'> & { readonly samplesPerRun: number };

function latency(values: number[]): Latency {
  return {
    samples: values.length,
    p50: round(percentile(values, 50), 1),
    p95: round(percentile(values, 95), 1),
    p99: round(percentile(values, 99), 1),
    max: round(Math.max(...values), 1),
  };
}

/** CPU time of this process (every thread: the twin's workers, dynalite, the broker, the emitter), ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Runs `workers` UpdateItem loops (one worker thread each) against the table:
 * total updates per second, and the process's CPU per update while all loops run.
 */
export async function rawUpdateRate(
  workerFile: string,
  base: Omit<UpdateLoopInput, 'seed'>,
  workers: number,
): Promise<{ rate: number; cpuMsPerUpdate: number }> {
  let measuring = 0;
  let cpuAtStart = 0;
  let cpuAtFirstEnd: number | undefined;
  const outputs = await Promise.all(
    Array.from(
      { length: workers },
      (_, seed) =>
        new Promise<UpdateLoopOutput>((resolve, reject) => {
          const worker = new Worker(workerFile, { workerData: { ...base, seed } satisfies UpdateLoopInput });
          worker.on('message', (message: UpdateLoopOutput | { measuring: true }) => {
            if ('measuring' in message) {
              measuring += 1;
              if (measuring === workers) cpuAtStart = cpuMs();
              return;
            }
            cpuAtFirstEnd ??= cpuMs();
            resolve(message);
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  );
  const rate = outputs.reduce((sum, o) => sum + o.updates / o.seconds, 0);
  // The window in which every loop was measuring: CPU over it, divided by the updates it saw at `rate`.
  const windowSeconds = Math.min(...outputs.map((o) => o.seconds)) - 0.05;
  return { rate, cpuMsPerUpdate: ((cpuAtFirstEnd ?? cpuMs()) - cpuAtStart) / Math.max(1, rate * windowSeconds) };
}

/** The emitter alone, against a bare broker with no rule: its own rate and CPU per reading. */
async function emitterAlone(
  readings: readonly ReadingPayload[],
  maxInFlight: number,
): Promise<{ readingsPerSecond: number; cpuMsPerReading: number }> {
  const broker = await startBroker();
  try {
    const cpu0 = cpuMs();
    const summary = await replay(readings, { endpoint: broker.url, qos: 1, maxInFlight });
    return { readingsPerSecond: summary.readingsPerSecond, cpuMsPerReading: (cpuMs() - cpu0) / readings.length };
  } finally {
    await broker.close();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) return false;
    await sleep(20);
  }
  return true;
}

/** One run on a fresh twin. */
async function runOnce(options: Required<Omit<E2eOptions, 'progress' | 'runs'>>, workerFile: string): Promise<E2eRun> {
  const workload = generateWorkload(options.fleetSize, options.readingsPerPrinter + options.latencyReadingsPerPrinter, 7);
  const { profiles, readings } = workload;
  const unpacedCount = options.readingsPerPrinter * profiles.length;
  const printerIndex = new Map(profiles.map((p, i) => [p.PrinterId, i]));
  const indexOf = (r: Pick<GeneratedReading, 'PrinterId' | 'seq'>) => (r.seq - 1) * profiles.length + printerIndex.get(r.PrinterId)!;

  const emitterOnly = await emitterAlone(readings.slice(0, Math.min(readings.length, 5000)), options.maxInFlight);
  const twin = await startTwin({ profiles, concurrency: options.twinConcurrency, logFile: false });
  try {
    const raw: UpdateLoopInput = {
      endpoint: twin.dynamoDbEndpoint,
      tableName: twin.tableName,
      printerIds: profiles.map((p) => p.PrinterId),
      warmUpMs: 500,
      durationMs: options.rawDurationMs,
      seed: 0,
    };
    const rawBefore = await rawUpdateRate(workerFile, raw, options.twinConcurrency);

    const sentAt = new Float64Array(readings.length);
    const handledAt = new Float64Array(readings.length);
    const eventAt = new Float64Array(readings.length);
    let eventsReceived = 0;
    const subscriber = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC, {
      onMessage: ({ payload }) => {
        const at = performance.now();
        eventsReceived += 1;
        const event = JSON.parse(payload) as AnomalyEvent;
        const cause = workload.eventCauses.get(eventKey(event.PrinterId, event.events));
        if (cause !== undefined) eventAt[cause] = at;
      },
    });
    const onHandled = (message: HandledMessage) => {
      const reading = message.event as GeneratedReading;
      if (typeof reading?.seq === 'number') handledAt[indexOf(reading)] = performance.now();
    };
    twin.events.on('handled', onHandled);

    /** Replays readings[from, to), optionally paced; resolves when the function has processed them all. */
    const drive = async (from: number, to: number, rate?: number) => {
      let sent = 0;
      const summary = await replay(readings.slice(from, to), {
        endpoint: twin.mqttUrl,
        qos: 1,
        maxInFlight: options.maxInFlight,
        ...(rate ? { rate } : {}),
        onProgress: (progress) => {
          // `sent` grows by one right after each publish is handed to the connection.
          while (sent < progress.sent) sentAt[from + sent++] = performance.now();
        },
      });
      await twin.waitUntilProcessed(to, { timeoutMs: 600_000 });
      return { summary, doneAt: performance.now() };
    };
    const phaseLatency = (from: number, to: number): PhaseLatency => {
      const processing: number[] = [];
      const events: number[] = [];
      for (let i = from; i < to; i += 1) {
        if (sentAt[i]! === 0) continue;
        if (handledAt[i]! > 0) processing.push(handledAt[i]! - sentAt[i]!);
        if (eventAt[i]! > 0) events.push(eventAt[i]! - sentAt[i]!);
      }
      return { eventLatencyMs: latency(events), processingLatencyMs: latency(processing) };
    };

    const cpuBefore = cpuMs();
    const unpaced = await drive(0, unpacedCount);
    const cpuPerReading = (cpuMs() - cpuBefore) / unpacedCount;
    const seconds = (unpaced.doneAt - sentAt[0]!) / 1000;
    const readingsPerSecond = unpacedCount / seconds;
    const rate = Math.max(1, Math.round(readingsPerSecond * options.pacedLoad));
    const paced = await drive(unpacedCount, readings.length, rate);
    await waitFor(() => eventsReceived >= workload.expectedEvents, 10_000);
    twin.events.off('handled', onHandled);
    await subscriber.close();

    const rawAfter = await rawUpdateRate(workerFile, raw, options.twinConcurrency);
    const rawMean = (rawBefore.rate + rawAfter.rate) / 2;
    return {
      readings: unpacedCount,
      seconds,
      readingsPerSecond,
      emitterReadingsPerSecond: unpaced.summary.readingsPerSecond,
      rawUpdateItemPerSecond: { before: rawBefore.rate, after: rawAfter.rate, mean: rawMean },
      cpuMs: { perReading: cpuPerReading, perRawUpdate: (rawBefore.cpuMsPerUpdate + rawAfter.cpuMsPerUpdate) / 2 },
      emitterAlone: emitterOnly,
      ratioToRaw: readingsPerSecond / rawMean,
      eventsExpected: workload.expectedEvents,
      eventsReceived,
      saturated: phaseLatency(0, unpacedCount),
      paced: {
        rate,
        readings: readings.length - unpacedCount,
        achievedReadingsPerSecond: paced.summary.readingsPerSecond,
        ...phaseLatency(unpacedCount, readings.length),
      },
      twin: twin.stats(),
    };
  } finally {
    await twin.close();
  }
}

/** `runs` runs, each on a fresh twin; medians across runs. */
export async function e2eBench(options: E2eOptions): Promise<E2eResult> {
  const config = {
    fleetSize: options.fleetSize,
    readingsPerPrinter: options.readingsPerPrinter,
    twinConcurrency: options.twinConcurrency ?? 4,
    maxInFlight: options.maxInFlight ?? 100,
    rawDurationMs: options.rawDurationMs ?? 4000,
    latencyReadingsPerPrinter: options.latencyReadingsPerPrinter ?? 10,
    pacedLoad: options.pacedLoad ?? 0.5,
  };
  const workerFile = await buildUpdateLoopWorker();
  const runs: E2eRun[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    const result = await runOnce(config, workerFile);
    runs.push(result);
    options.progress?.(
      `  run ${run}: ${result.readings} readings in ${result.seconds.toFixed(1)} s = ${result.readingsPerSecond.toFixed(0)} readings/s; ` +
        `raw UpdateItem ${result.rawUpdateItemPerSecond.before.toFixed(0)}/${result.rawUpdateItemPerSecond.after.toFixed(0)} per s (before/after); ` +
        `CPU ${result.cpuMs.perReading.toFixed(2)} ms/reading vs ${result.cpuMs.perRawUpdate.toFixed(2)} ms/raw update; emitter alone ${result.emitterAlone.readingsPerSecond.toFixed(0)}/s; ` +
        `ratio ${(result.ratioToRaw * 100).toFixed(0)}%; events ${result.eventsReceived}/${result.eventsExpected}, ` +
        `paced at ${result.paced.rate}/s: event p50/p99 ${result.paced.eventLatencyMs.p50}/${result.paced.eventLatencyMs.p99} ms ` +
        `(${result.paced.eventLatencyMs.samples} events), processing p50/p99 ${result.paced.processingLatencyMs.p50}/${result.paced.processingLatencyMs.p99} ms`,
    );
  }
  const m = (pick: (r: E2eRun) => number) => median(runs.map(pick));
  const lat = (pick: (r: E2eRun) => Latency): LatencySummary => ({
    p50: round(
      m((r) => pick(r).p50),
      1,
    ),
    p95: round(
      m((r) => pick(r).p95),
      1,
    ),
    p99: round(
      m((r) => pick(r).p99),
      1,
    ),
    max: round(
      m((r) => pick(r).max),
      1,
    ),
    samplesPerRun: Math.round(m((r) => pick(r).samples)),
  });
  return {
    section: 'e2e',
    fleetSize: config.fleetSize,
    readingsPerRun: config.fleetSize * config.readingsPerPrinter,
    runs: options.runs,
    twinConcurrency: config.twinConcurrency,
    maxInFlight: config.maxInFlight,
    median: {
      readingsPerSecond: round(
        m((r) => r.readingsPerSecond),
        1,
      ),
      rawUpdateItemPerSecond: round(
        m((r) => r.rawUpdateItemPerSecond.mean),
        1,
      ),
      ratioToRaw: round(
        m((r) => r.ratioToRaw),
        3,
      ),
      cpuMsPerReading: round(
        m((r) => r.cpuMs.perReading),
        2,
      ),
      cpuMsPerRawUpdate: round(
        m((r) => r.cpuMs.perRawUpdate),
        2,
      ),
      emitterAloneReadingsPerSecond: round(
        m((r) => r.emitterAlone.readingsPerSecond),
        0,
      ),
      emitterAloneCpuMsPerReading: round(
        m((r) => r.emitterAlone.cpuMsPerReading),
        2,
      ),
      saturated: {
        eventLatencyMs: lat((r) => r.saturated.eventLatencyMs),
        processingLatencyMs: lat((r) => r.saturated.processingLatencyMs),
      },
      paced: {
        rate: Math.round(m((r) => r.paced.rate)),
        eventLatencyMs: lat((r) => r.paced.eventLatencyMs),
        processingLatencyMs: lat((r) => r.paced.processingLatencyMs),
      },
    },
    rawRuns: runs,
  };
}
