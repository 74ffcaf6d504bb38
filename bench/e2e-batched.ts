/**
 * The twin end to end with batched messages, side by side with single
 * readings: the same readings, each on a fresh twin, sent by the emitter
 * (single messages, then batches of 10 built as `npm run emit -- --batch 10`
 * builds them), timed from the first publish until the function has handled
 * every message; and the embedded DynamoDB's own UpdateItem rate in the same
 * run, the ceiling for one write per reading.
 */
import type { ProfileInput } from '../contract/index.ts';
import { batchReadings } from '../emitter/batch.ts';
import { replay } from '../emitter/replay.ts';
import { startTwin } from '../twin/twin.ts';
import { buildUpdateLoopWorker } from './build.ts';
import { rawUpdateRate } from './e2e.ts';
import { median, round } from './stats.ts';
import { generateWorkload } from './workload.ts';

export interface BatchedE2eResult {
  readonly fleetSize: number;
  readonly readings: number;
  readonly batchSize: number;
  readonly runs: number;
  /** Medians of readings handled per second. */
  readonly singleReadingsPerSecond: number;
  readonly batchedReadingsPerSecond: number;
  readonly rawUpdateItemsPerSecond: number;
}

async function timeOnTwin(profiles: readonly ProfileInput[], messages: readonly object[]) {
  const twin = await startTwin({ profiles, logFile: false });
  try {
    const started = performance.now();
    const summary = await replay(messages, { endpoint: twin.mqttUrl, qos: 1, maxInFlight: 100 });
    await twin.waitUntilProcessed(summary.acked, { timeoutMs: 600_000 });
    return (performance.now() - started) / 1000;
  } finally {
    await twin.close();
  }
}

export async function batchedE2eBench(options: {
  readonly fleetSize: number;
  readonly readingsPerPrinter: number;
  readonly runs: number;
  readonly progress?: (line: string) => void;
}): Promise<BatchedE2eResult> {
  const batchSize = 10;
  const { profiles, readings } = generateWorkload(options.fleetSize, options.readingsPerPrinter, 11);
  const batched = [...batchReadings(readings, batchSize)];
  const workerFile = await buildUpdateLoopWorker();
  const single: number[] = [];
  const batch: number[] = [];
  const raw: number[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    single.push(readings.length / (await timeOnTwin(profiles, readings)));
    batch.push(readings.length / (await timeOnTwin(profiles, batched)));
    const twin = await startTwin({ profiles, logFile: false });
    try {
      const rate = await rawUpdateRate(
        workerFile,
        {
          endpoint: twin.dynamoDbEndpoint,
          tableName: twin.tableName,
          printerIds: profiles.map((p) => p.PrinterId),
          warmUpMs: 500,
          durationMs: 3000,
        },
        4,
      );
      raw.push(rate.rate);
    } finally {
      await twin.close();
    }
    options.progress?.(
      `  run ${run}: single ${round(single.at(-1)!, 0)} readings/s, batches of ${batchSize} ${round(batch.at(-1)!, 0)} readings/s, raw UpdateItem ${round(raw.at(-1)!, 0)}/s`,
    );
  }
  return {
    fleetSize: profiles.length,
    readings: readings.length,
    batchSize,
    runs: options.runs,
    singleReadingsPerSecond: round(median(single), 1),
    batchedReadingsPerSecond: round(median(batch), 1),
    rawUpdateItemsPerSecond: round(median(raw), 1),
  };
}
