/** Size limits of what printers send (README, "Data formats"). */

/** Largest accepted reading payload, in bytes, as received. */
export const MAX_PAYLOAD_BYTES = 8 * 1024;

/** Longest accepted printer id, in characters. */
export const MAX_PRINTER_ID_LENGTH = 128;

/** Largest accepted batched-readings message, in bytes, as received. */
export const MAX_BATCH_BYTES = 128 * 1024;

/** Most readings one batched message may hold. */
export const MAX_BATCH_READINGS = 500;

/** Longest accepted metric name (a key of a reading's `data`, or of a metric-map `Thresholds`), in characters. */
export const MAX_METRIC_NAME_LENGTH = 64;

/**
 * Request ids a printer's item always keeps, the latest ones: a Lambda retry of
 * a write that went through is recognised when fewer than this many other
 * writes of that printer landed in between (`docs/design.md`, "Guarantees").
 * The item holds at most twice as many (see {@link MAX_RECENT_REQUEST_IDS}).
 */
export const RECENT_REQUEST_IDS = 6;

/** Most request ids an item holds: a counter-only write appends one while below this; a full write trims back to {@link RECENT_REQUEST_IDS}. */
export const MAX_RECENT_REQUEST_IDS = 2 * RECENT_REQUEST_IDS;
