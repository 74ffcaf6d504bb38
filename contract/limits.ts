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
