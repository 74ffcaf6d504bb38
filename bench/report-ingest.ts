/** The ingest paths' targets and table (`docs/performance.md`), from `ingest.json`. */
import type { BatchedE2eResult } from './e2e-batched.ts';
import type { IngestResult, IngestRun } from './ingest.ts';
import { fmt } from './stats.ts';
import { BATCHED, BATCHED_E2E, STREAM, type TargetCheck } from './targets.ts';

type IngestCheck = TargetCheck;

const row = (r: IngestResult, path: IngestRun['path'], fleetSize?: number) =>
  r.rows.find((x) => x.path === path && (fleetSize === undefined || x.fleetSize === fleetSize));

export function ingestTargets(r: IngestResult): IngestCheck[] {
  const checks: IngestCheck[] = [];
  const single = row(r, 'single');
  const batched = row(r, 'batched');
  const original = row(r, 'original');
  if (batched) {
    checks.push({
      target: `Batches of ${r.batchSize}: <= ${BATCHED.maxRequestsPerReading} DynamoDB requests and <= ${BATCHED.maxInvocationsPerReading} invocations per reading`,
      measured: `${batched.requestsPerReading.toFixed(3)} requests, ${batched.invocationsPerReading.toFixed(3)} invocations per reading (${fmt(batched.fleetSize)} printers)`,
      met: batched.requestsPerReading <= BATCHED.maxRequestsPerReading && batched.invocationsPerReading <= BATCHED.maxInvocationsPerReading,
    });
  }
  for (const stream of r.rows.filter((x) => x.path === 'stream')) {
    const k = stream.readingsPerPrinterPerBatch ?? 1;
    const limit = STREAM.maxRequestsPerReading(k);
    checks.push({
      target: `Stream ingest, ${fmt(k)} reading(s) per printer per batch: <= ${STREAM.maxInvocationsPerReading} invocations and <= ${limit.toFixed(2)} requests per reading`,
      measured: `${stream.invocationsPerReading.toFixed(4)} invocations, ${stream.requestsPerReading.toFixed(3)} requests per reading (${fmt(stream.fleetSize)} printers, batches of ${r.streamBatchSize} records)`,
      met: stream.invocationsPerReading <= STREAM.maxInvocationsPerReading && stream.requestsPerReading <= limit,
    });
  }
  if (single) {
    // Throughput against the emulator's raw rate is reported, not a target: the handler's cost target is CPU (per-reading section).
    const share = single.readingsPerSecond / r.rawUpdateItemsPerSecond;
    checks.push({
      target: `Single readings at ${fmt(single.fleetSize)} printers against the embedded DynamoDB's raw UpdateItem rate (reported)`,
      measured: `${fmt(share * 100)}% (${fmt(single.readingsPerSecond)} vs ${fmt(r.rawUpdateItemsPerSecond)} UpdateItem/s, side by side)`,
      met: undefined,
      reported: true,
    });
  }
  if (batched && original) {
    const ratio = batched.readingsPerSecond / original.readingsPerSecond;
    checks.push({
      target: `Handler throughput at ${fmt(batched.fleetSize)} printers with batches of ${r.batchSize}: >= ${BATCHED.minThroughputVsOriginal}x the original pattern`,
      measured: `${fmt(ratio, 1)}x (${fmt(batched.readingsPerSecond)} vs ${fmt(original.readingsPerSecond, 1)} readings/s)`,
      met: ratio >= BATCHED.minThroughputVsOriginal,
    });
  }
  return checks;
}

/** The paths side by side, as a Markdown table. */
export function ingestTable(r: IngestResult): string[] {
  return [
    `| path | printers | readings per write | readings/s | DynamoDB requests per reading | invocations per reading |`,
    '|---|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => {
      const perWrite = x.path === 'batched' ? r.batchSize : x.path === 'stream' ? (x.readingsPerPrinterPerBatch ?? 1) : 1;
      return `| ${x.path} | ${fmt(x.fleetSize)} | ${fmt(perWrite)} | ${fmt(x.readingsPerSecond, 1)} | ${x.requestsPerReading.toFixed(3)} | ${x.invocationsPerReading.toFixed(4)} |`;
    }),
    '',
    `Raw UpdateItem rate of the same server in the same run: ${fmt(r.rawUpdateItemsPerSecond)}/s.`,
  ];
}

/** The twin end to end with batches of 10, against single readings and the raw UpdateItem rate of the same run. */
export function batchedE2eTargets(r: BatchedE2eResult): IngestCheck[] {
  const ratio = r.batchedReadingsPerSecond / r.singleReadingsPerSecond;
  return [
    {
      target: `Twin end to end with batches of ${r.batchSize}: >= ${BATCHED_E2E.minVsUnbatched}x the unbatched readings/s and above the embedded DynamoDB's own UpdateItem rate`,
      measured: `${fmt(r.batchedReadingsPerSecond)} vs ${fmt(r.singleReadingsPerSecond)} readings/s (${fmt(ratio, 1)}x); raw UpdateItem ${fmt(r.rawUpdateItemsPerSecond)}/s (${fmt(r.readings)} readings, ${fmt(r.fleetSize)} printers)`,
      met: ratio >= BATCHED_E2E.minVsUnbatched && r.batchedReadingsPerSecond > r.rawUpdateItemsPerSecond,
    },
  ];
}
