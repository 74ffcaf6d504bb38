/** Size limits of what printers send (`docs/design.md`, "Data formats"). */
import { AWS_LIMITS } from './aws-limits.ts';

/** Largest accepted reading payload, in bytes, as received. */
export const MAX_PAYLOAD_BYTES = 8 * 1024;

/** Longest accepted printer id, in characters. */
export const MAX_PRINTER_ID_LENGTH = 128;

/** Largest accepted batched-readings message, in bytes, as received: all that AWS IoT Core carries. */
export const MAX_BATCH_BYTES = AWS_LIMITS.iotMessageBytes;

/** Most readings one batched message may hold. */
export const MAX_BATCH_READINGS = 500;

/** Longest accepted metric name (a key of a reading's `data`, or of a metric-map `Thresholds`), in characters. */
export const MAX_METRIC_NAME_LENGTH = 64;

/**
 * Numbers DynamoDB can store (`docs/design.md`, "Data formats"): 0, or a
 * magnitude from 1e-130 to below 1e126 with at most 38 significant digits.
 * A number is written as its shortest decimal form (`String(x)`), so what
 * counts is that form's exponent; a double never has more than 17 digits.
 */
export const STORABLE_EXPONENT = { min: -130, max: 125 } as const;

/** The largest double DynamoDB can store (the one just below 1e126). */
export const MAX_STORABLE_NUMBER = 9.999999999999998e125;

/** The smallest positive double DynamoDB can store. */
export const MIN_STORABLE_NUMBER = 1e-130;

/** Whether DynamoDB can store `x` exactly as this double (`-0` is stored as 0). */
export function isStorableNumber(x: number): boolean {
  if (x === 0) return true;
  if (!Number.isFinite(x)) return false;
  const exponent = Number(x.toExponential().split('e')[1]);
  return exponent >= STORABLE_EXPONENT.min && exponent <= STORABLE_EXPONENT.max;
}

/** Why `x` cannot be stored, for a one-line error naming `what`; undefined when it can. */
export function unstorableReason(what: string, x: number): string | undefined {
  if (isStorableNumber(x)) return undefined;
  if (!Number.isFinite(x)) return `${what} must be finite`;
  return Math.abs(x) < 1
    ? `${what} ${String(x)} is too small to store: a non-zero magnitude must be at least 1e-130`
    : `${what} ${String(x)} is too large to store: a magnitude must be below 1e126`;
}

/**
 * A derived statistic brought into what DynamoDB stores: a magnitude above the
 * largest storable number is held at it, one below the smallest is stored as 0.
 */
export function clampStorable(x: number): number {
  if (x === 0) return x;
  if (Math.abs(x) < MIN_STORABLE_NUMBER) return 0;
  return Math.max(-MAX_STORABLE_NUMBER, Math.min(MAX_STORABLE_NUMBER, x));
}

/**
 * Request ids a printer's item always keeps, the latest ones: a Lambda retry of
 * a write that went through is recognised when fewer than this many other
 * writes of that printer landed in between (`docs/design.md`, "Guarantees").
 * The item holds at most twice as many (see {@link MAX_RECENT_REQUEST_IDS}).
 */
export const RECENT_REQUEST_IDS = 6;

/** Most request ids an item holds: a counter-only write appends one while below this; a full write trims back to {@link RECENT_REQUEST_IDS}. */
export const MAX_RECENT_REQUEST_IDS = 2 * RECENT_REQUEST_IDS;

/** Most printers one bulk alarm action (`POST /api/alarms/actions`) may name. */
export const MAX_BULK_PRINTERS = 100;
