/**
 * The performance targets of `docs/performance.md` (and the product spec's
 * performance section), one definition each: the checks in `report*.ts`, the
 * chart and the tests read them from here.
 */

/** Single readings: DynamoDB requests per reading, flat from the smallest to the largest fleet measured. */
export const REQUESTS_PER_READING = { max: 1.05, flatWithin: 0.05 } as const;

/**
 * Handler cost: CPU time of the function per reading at this fleet size, at most
 * `maxRatio` times the CPU time of a bare SDK UpdateItem made with the same
 * client, side by side in one run; the embedded DynamoDB's CPU is not counted.
 */
export const HANDLER_CPU = { fleetSize: 1000, maxRatio: 1.5 } as const;

/** Batches of `batchSize`: requests and invocations per reading, and throughput against the original pattern. */
export const BATCHED = { batchSize: 10, maxRequestsPerReading: 0.12, maxInvocationsPerReading: 0.1, minThroughputVsOriginal: 20 } as const;

/** The twin end to end with batches: against the unbatched run and above the embedded DynamoDB's own UpdateItem rate. */
export const BATCHED_E2E = { minVsUnbatched: 3 } as const;

/** Stream ingest with `k` readings per printer per batch. */
export const STREAM = {
  maxInvocationsPerReading: 0.02,
  maxRequestsPerReading: (readingsPerPrinterPerBatch: number) => 1 / readingsPerPrinterPerBatch + 0.05,
} as const;

/**
 * Every detection and alarm option on: requests per reading at most
 * `baseline` plus the container's first read of a printer, spread over that
 * printer's readings; a write that records history does it in the same request.
 */
export const EVERY_OPTION = {
  baseline: 1,
  firstReadShare: (readingsPerPrinter: number) => 1 / readingsPerPrinter,
} as const;

/** Lambda bundles: size, and cold module load against a handler that only imports the SDK clients the detector imports. */
export const BUNDLE = { maxKb: 250, maxLoadVsSdkOnly: 1.2 } as const;

/** A target checked against the results, as the summary and `docs/performance.md` print it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** `undefined`: not measured yet (pending), or a figure that is reported but is no target. */
  readonly met: boolean | undefined;
  /** A figure the spec asks to report without a target (throughput against the emulator). */
  readonly reported?: true;
  /** For a missed (or borderline) target, or a reported figure: why it is what it is, from the measurements. */
  readonly why?: string;
}

/** The verdict column: met, missed, pending, or reported (no target). */
export function verdict(check: TargetCheck): string {
  if (check.reported) return 'reported';
  return check.met === undefined ? 'pending' : check.met ? '**met**' : '**missed**';
}
