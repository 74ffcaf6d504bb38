/**
 * How readings reach the detector, as the stack deploys it and the twin runs
 * it: `direct` (the rule invokes the function once per message) or `stream`
 * (the rule puts each message on a Kinesis stream keyed by PrinterId and the
 * function consumes it in batches). `docs/deploy.md`, "Stream ingest".
 */
export type IngestMode = 'direct' | 'stream';

export const INGEST_MODES: readonly IngestMode[] = ['direct', 'stream'];

/** The stream consumer's event source mapping, the stack's defaults and the twin's behaviour. */
export const STREAM_INGEST = {
  /** Most records per invocation. */
  batchSize: 500,
  /** How long Lambda gathers records before it invokes with fewer than a full batch. */
  maxBatchingWindowSeconds: 1,
  /** Retries of a failed batch (bisected on each failure) before its records go to the dead-letter queue. */
  retryAttempts: 10,
  /** Records older than this go to the dead-letter queue unprocessed. */
  maxRecordAgeSeconds: 3600,
} as const;
